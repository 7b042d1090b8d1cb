namespace Clinforge.Data.Tests;

public sealed class ImageOpsTests
{
    private static RawImage Grey(int w, int h, params byte[] px) => new(w, h, 1, px);

    [Fact]
    public void Should_ScaleTo01_When_SizeAlreadyMatches()
    {
        // given a 2x2 grey image at the target size
        var img = Grey(2, 2, 0, 51, 102, 255);

        // when converted
        var t = ImageOps.ToTensorChw(img, 2, 1);

        // then values are the bytes over 255, row-major
        Assert.Equal(new[] { 0f, 0.2f, 0.4f, 1f }, t.Select(v => MathF.Round(v, 4)));
    }

    [Fact]
    public void Should_CentreCrop_When_ImageIsWide()
    {
        // given a 4x2 image whose columns are 0, 100, 200, 250
        var img = Grey(4, 2, 0, 100, 200, 250, 0, 100, 200, 250);

        // when converted to 2x2 (shorter side already 2, so only the crop acts)
        var t = ImageOps.ToTensorChw(img, 2, 1);

        // then the middle two columns remain
        Assert.Equal(new[] { 100f, 200f, 100f, 200f }, t.Select(v => MathF.Round(v * 255)));
    }

    [Fact]
    public void Should_AverageArea_When_Shrinking()
    {
        // given a 4x4 image made of four 2x2 blocks with varied values
        var img = Grey(4, 4,
            0, 40, 100, 100,
            80, 120, 100, 100,
            10, 10, 255, 0,
            10, 10, 0, 255);

        // when shrunk to 2x2
        var t = ImageOps.ToTensorChw(img, 2, 1);

        // then each output is its block's mean
        Assert.Equal(new[] { 60f, 100f, 10f, 127.5f }, t.Select(v => MathF.Round(v * 255, 1)));
    }

    [Fact]
    public void Should_AverageFractionalArea_When_ShrinkingByNonIntegerFactor()
    {
        // given a 3x3 image with one bright pixel in the middle
        var img = Grey(3, 3, 0, 0, 0, 0, 255, 0, 0, 0, 0);

        // when shrunk to 2x2, each output covers 1.5x1.5 source pixels
        var t = ImageOps.ToTensorChw(img, 2, 1);

        // then each output gets a quarter-pixel of the bright one: 0.25 / 2.25 of 255
        Assert.All(t, v => Assert.Equal(0.25 / 2.25, v, 4));
    }

    [Fact]
    public void Should_InterpolateBilinearly_When_Enlarging()
    {
        // given a 2x2 image
        var img = Grey(2, 2, 0, 100, 200, 40);

        // when enlarged to 4x4 (half-pixel centres)
        var t = ImageOps.ToTensorChw(img, 4, 1).Select(v => v * 255).ToArray();

        // then corners keep the source values and inner samples mix 3:1
        Assert.Equal(0, t[0], 3);
        Assert.Equal(100, t[3], 3);
        Assert.Equal(200, t[12], 3);
        Assert.Equal(40, t[15], 3);
        Assert.Equal(0.75 * 0 + 0.25 * 100, t[1], 3);
        Assert.Equal(0.75 * (0.75 * 0 + 0.25 * 100) + 0.25 * (0.75 * 200 + 0.25 * 40), t[5], 3);
    }

    [Fact]
    public void Should_ReplicateGrey_When_ThreeChannelsAsked()
    {
        // given a grey image
        var img = Grey(1, 1, 128);

        // when three channels are asked for
        var t = ImageOps.ToTensorChw(img, 1, 3);

        // then all three planes hold the grey value
        Assert.Equal(3, t.Length);
        Assert.All(t, v => Assert.Equal(128 / 255f, v, 5));
    }

    [Fact]
    public void Should_UseLuminanceWeights_When_RgbToGrey()
    {
        // given pure red, green and blue pixels in a 3x1 image, cropped to each in turn via 1x1 images
        var red = new RawImage(1, 1, 3, [255, 0, 0]);
        var green = new RawImage(1, 1, 3, [0, 255, 0]);
        var blue = new RawImage(1, 1, 3, [0, 0, 255]);

        // when converted to one channel
        var r = ImageOps.ToTensorChw(red, 1, 1)[0];
        var g = ImageOps.ToTensorChw(green, 1, 1)[0];
        var b = ImageOps.ToTensorChw(blue, 1, 1)[0];

        // then the weights are 0.299, 0.587, 0.114
        Assert.Equal(0.299f, r, 4);
        Assert.Equal(0.587f, g, 4);
        Assert.Equal(0.114f, b, 4);
    }

    [Fact]
    public void Should_WriteChwPlanes_When_RgbKeepsThreeChannels()
    {
        // given a 2x1 RGB image, cropped to its left pixel at size 1
        var img = new RawImage(2, 1, 3, [10, 20, 30, 40, 50, 60]);

        // when converted (the centre crop of a 2-wide row starts at column 0: offsets are whole pixels)
        var t = ImageOps.ToTensorChw(img, 1, 3);

        // then the planes are R, G, B of that pixel
        Assert.Equal(new[] { 10f, 20f, 30f }, t.Select(v => MathF.Round(v * 255)));
    }

    [Fact]
    public void Should_StayInUnitRange_When_ResizingArbitraryImage()
    {
        // given a random 53x37 RGB image
        var img = Fixtures.RandomImage(53, 37, 3, seed: 9);

        // when resized to 16 and to 64
        var small = ImageOps.ToTensorChw(img, 16, 3);
        var large = ImageOps.ToTensorChw(img, 64, 3);

        // then the shapes are right and every value is in [0, 1]
        Assert.Equal(3 * 16 * 16, small.Length);
        Assert.Equal(3 * 64 * 64, large.Length);
        Assert.All(small.Concat(large), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Should_HashEqual_When_PixelsAndSizeEqual()
    {
        // given two equal images, and one with the same bytes but another shape
        var a = Grey(2, 2, 1, 2, 3, 4);
        var b = Grey(2, 2, 1, 2, 3, 4);
        var c = Grey(4, 1, 1, 2, 3, 4);

        // when hashed
        var (ha, hb, hc) = (ImageOps.PixelHash(a), ImageOps.PixelHash(b), ImageOps.PixelHash(c));

        // then equal images share a 64-hex-digit hash and the reshaped one differs
        Assert.Equal(ha, hb);
        Assert.NotEqual(ha, hc);
        Assert.Matches("^[0-9a-f]{64}$", ha);
    }
}
