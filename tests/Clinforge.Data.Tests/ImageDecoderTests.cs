using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Data.Tests;

public sealed class ImageDecoderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("png")]
    [InlineData("bmp")]
    [InlineData("tif")]
    public void Should_ReturnExactRgb_When_LosslessFormat(string ext)
    {
        // given an RGB image written losslessly
        var original = Fixtures.RandomImage(7, 5, 3, seed: 1);
        var path = Fixtures.Write(_dir[$"rgb.{ext}"], original);

        // when it is decoded
        var decoded = ImageDecoder.Decode(path);

        // then the size, channel count and every byte survive
        Assert.Equal((7, 5, 3), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(original.Pixels, decoded.Pixels);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("bmp")]
    [InlineData("tif")]
    [InlineData("jpg")]
    [InlineData("gif")]
    public void Should_KeepOneChannel_When_ImageIsGrey(string ext)
    {
        // given a grey image (a smooth ramp, so JPEG keeps it grey)
        var pixels = new byte[16 * 16];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i % 16 * 16);
        var path = Fixtures.Write(_dir[$"grey.{ext}"], new RawImage(16, 16, 1, pixels));

        // when it is decoded
        var decoded = ImageDecoder.Decode(path);

        // then it stays one channel, with the ramp intact (exact for lossless, close for JPEG)
        Assert.Equal(1, decoded.Channels);
        Assert.Equal(256, decoded.Pixels.Length);
        var maxError = pixels.Zip(decoded.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxError <= (ext == "jpg" ? 12 : 0), $"max error {maxError}");
    }

    [Fact]
    public void Should_DetectGrey_When_RgbFileHoldsEqualChannels()
    {
        // given an RGB PNG whose pixels all have R = G = B
        var path = _dir["rgb-grey.png"];
        using (var image = new Image<Rgb24>(4, 3))
        {
            for (var y = 0; y < 3; y++)
                for (var x = 0; x < 4; x++) image[x, y] = new Rgb24((byte)(x * 60), (byte)(x * 60), (byte)(x * 60));
            image.SaveAsPng(path);
        }

        // when decoded
        var decoded = ImageDecoder.Decode(path);

        // then it is one channel with the grey values
        Assert.Equal(1, decoded.Channels);
        Assert.Equal(new byte[] { 0, 60, 120, 180, 0, 60, 120, 180, 0, 60, 120, 180 }, decoded.Pixels);
    }

    [Fact]
    public void Should_DecodeColourJpegAndGif_When_FormatsAreLossy()
    {
        // given a two-colour image saved as JPEG and GIF
        var pixels = new byte[16 * 16 * 3];
        for (var i = 0; i < 16 * 16; i++)
        {
            var red = i % 16 < 8;
            pixels[i * 3] = red ? (byte)220 : (byte)20;
            pixels[i * 3 + 2] = red ? (byte)20 : (byte)220;
        }
        var img = new RawImage(16, 16, 3, pixels);
        var jpg = Fixtures.Write(_dir["c.jpg"], img);
        var gif = Fixtures.Write(_dir["c.gif"], img);

        // when decoded
        var fromJpg = ImageDecoder.Decode(jpg);
        var fromGif = ImageDecoder.Decode(gif);

        // then both are RGB, the left half red and the right half blue
        foreach (var d in new[] { fromJpg, fromGif })
        {
            Assert.Equal(3, d.Channels);
            Assert.True(d.Pixels[0] > 150 && d.Pixels[2] < 80, "left pixel should be red");
            Assert.True(d.Pixels[15 * 3] < 80 && d.Pixels[15 * 3 + 2] > 150, "right pixel should be blue");
        }
    }

    [Fact]
    public void Should_DropAlpha_When_PngHasAlphaChannel()
    {
        // given an RGBA PNG with a half-transparent pixel
        var path = _dir["rgba.png"];
        using (var image = new Image<Rgba32>(2, 1))
        {
            image[0, 0] = new Rgba32(10, 20, 30, 128);
            image[1, 0] = new Rgba32(200, 100, 50, 255);
            image.SaveAsPng(path);
        }

        // when decoded
        var decoded = ImageDecoder.Decode(path);

        // then the colour stays and the alpha is gone
        Assert.Equal(3, decoded.Channels);
        Assert.Equal(new byte[] { 10, 20, 30, 200, 100, 50 }, decoded.Pixels);
    }

    [Fact]
    public void Should_ScaleTo8Bit_When_PngIs16BitGrey()
    {
        // given a 16-bit grey PNG
        var path = _dir["l16.png"];
        using (var image = new Image<L16>(2, 1))
        {
            image[0, 0] = new L16(65535);
            image[1, 0] = new L16(32896); // 128 * 257
            image.SaveAsPng(path);
        }

        // when decoded
        var decoded = ImageDecoder.Decode(path);

        // then it is one 8-bit channel
        Assert.Equal(1, decoded.Channels);
        Assert.Equal(new byte[] { 255, 128 }, decoded.Pixels);
    }

    [Fact]
    public void Should_ThrowWithFileAndRemedy_When_PngIsTruncated()
    {
        // given a PNG cut after 100 bytes
        var full = Fixtures.Write(_dir["full.png"], Fixtures.RandomImage(32, 32, 3, seed: 2));
        var cut = _dir["cut.png"];
        File.WriteAllBytes(cut, File.ReadAllBytes(full)[..100]);

        // when decoded
        var e = Assert.Throws<ClinforgeException>(() => ImageDecoder.Decode(cut));

        // then the message names the file and says what to do
        Assert.Contains(cut, e.Message);
        Assert.Contains("cannot decode image", e.Message);
        Assert.Contains("Remove or replace the file", e.Message);
    }

    [Fact]
    public void Should_Throw_When_TextFileHasJpgExtension()
    {
        // given a text file named x.jpg
        var path = Fixtures.WriteText(_dir["x.jpg"], "this is not an image");

        // when decoded
        var e = Assert.Throws<ClinforgeException>(() => ImageDecoder.Decode(path));

        // then the reason says it is no image format
        Assert.Contains(path, e.Message);
        Assert.Contains("not a recognised image format", e.Message);
    }

    [Fact]
    public void Should_SayNotFound_When_FileIsMissing()
    {
        // given a path with no file
        var path = _dir["nothing.png"];

        // when decoded
        var e = Assert.Throws<ClinforgeException>(() => ImageDecoder.Decode(path));

        // then it says the file is missing
        Assert.Contains("file not found", e.Message);
    }

    [Fact]
    public void Should_FlagTruncatedPng_When_ProbingButPassIntactOne()
    {
        // given an intact PNG and the same PNG without its last 200 bytes (header intact)
        var full = Fixtures.Write(_dir["ok.png"], Fixtures.RandomImage(64, 64, 3, seed: 3));
        var bytes = File.ReadAllBytes(full);
        var cut = _dir["cut-late.png"];
        File.WriteAllBytes(cut, bytes[..^200]);

        // when probed cheaply
        var okReason = ImageDecoder.Probe(full);
        var cutReason = ImageDecoder.Probe(cut);

        // then only the truncated one is unreadable
        Assert.Null(okReason);
        Assert.NotNull(cutReason);
    }

    [Theory]
    [InlineData("png", 300)]
    [InlineData("jpg", 0)]
    [InlineData("bmp", 0)]
    public void Should_RejectTruncatedFile_When_DecoderWouldFillMissingRows(string ext, int cutFromEnd)
    {
        // given an image that loses its end (the last 300 bytes, or half the file)
        var full = Fixtures.Write(_dir[$"whole.{ext}"], Fixtures.RandomImage(96, 96, 3, seed: 8));
        var bytes = File.ReadAllBytes(full);
        var cut = _dir[$"cut.{ext}"];
        File.WriteAllBytes(cut, bytes[..(cutFromEnd > 0 ? bytes.Length - cutFromEnd : bytes.Length / 2)]);

        // when probed and decoded
        var reason = ImageDecoder.Probe(cut);
        var e = Assert.Throws<ClinforgeException>(() => ImageDecoder.Decode(cut));

        // then the probe calls it truncated, decoding refuses it, and the intact file passes
        Assert.StartsWith("truncated", reason);
        Assert.Contains("cannot decode image", e.Message);
        Assert.Null(ImageDecoder.Probe(full));
    }

    [Fact]
    public void Should_AcceptJpeg_When_DataFollowsEndMarker()
    {
        // given a JPEG with 100 KB of trailer after its end-of-image marker (as some cameras write)
        var full = Fixtures.Write(_dir["trailer.jpg"], Fixtures.RandomImage(32, 32, 3, seed: 12));
        var trailer = new byte[100_000];
        new Random(1).NextBytes(trailer);
        for (var i = 0; i + 1 < trailer.Length; i++) if (trailer[i] == 0xFF && trailer[i + 1] == 0xD9) trailer[i + 1] = 0;
        File.WriteAllBytes(full, [.. File.ReadAllBytes(full), .. trailer]);

        // when probed and decoded
        var reason = ImageDecoder.Probe(full);
        var img = ImageDecoder.Decode(full);

        // then it is readable
        Assert.Null(reason);
        Assert.Equal(32, img.Width);
    }
}
