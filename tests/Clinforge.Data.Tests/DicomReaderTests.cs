using System.Globalization;

namespace Clinforge.Data.Tests;

/// <summary>DICOM decoding checked pixel by pixel against dcmtk (and OpenJPEG for JPEG 2000), which share no code with GDCM's readers.</summary>
public sealed class DicomReaderTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every sample file: (path under shared/data, reference tool, largest allowed difference per pixel,
    /// largest allowed mean difference). Lossless syntaxes must agree to rounding: dcmtk truncates the
    /// windowed value where Clinforge rounds it, so up to 1 grey level, about half the pixels (measured:
    /// max 1, mean 0.35..0.49). Lossy ones get the codec's tolerance on top: two conforming JPEG decoders
    /// may differ by the IDCT's rounding (ISO/IEC 10918-2 allows ±1 per reconstructed sample); measured
    /// here max 1, mean up to 0.77 (12-bit JPEG extended).
    /// </summary>
    public static TheoryData<string, string, int, double> Files => new()
    {
        { "dicom/implicit_little.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/explicit_little.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/explicit_big.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/deflated.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/rle.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/jpeg_baseline_8bit.dcm", "dcmj2pnm", 2, 1.0 },
        { "dicom/jpeg_lossless_sel1.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/jpeg_ls.dcm", "dcml2pnm", 1, 0.6 },
        { "dicom/siim-sample.dcm", "dcmj2pnm", 2, 1.0 },
        { "dicom/pydicom/CT_small.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/pydicom/MR_small.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/pydicom/MR_small_RLE.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/pydicom/JPEG-lossy.dcm", "dcmj2pnm", 2, 1.0 },
        { "dicom/pydicom/SC_rgb_jpeg_dcmd.dcm", "dcmj2pnm", 1, 0.6 },
        { "dicom/volume/brain_001.dcm", "dcmj2pnm", 1, 0.6 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Should_MatchDcmtk_When_DecodingEachTransferSyntax(string relative, string tool, int maxDiff, double maxMean)
    {
        // given a sample file, GDCM, and dcmtk's decoder for its transfer syntax
        if (Fixtures.SharedFile(output, relative) is not { } file || !MedicalTools.Gdcm(output) || MedicalTools.Find(output, tool, "dcmtk") is not { } reference) return;
        using var dir = new TempDir();

        // when Clinforge decodes it, and dcmtk renders the same frames through the same window
        var image = DicomReader.Read(file);
        var window = image.Window;
        var frames = image.Frames <= 3 ? Enumerable.Range(0, image.Frames).ToArray() : new[] { 0, image.Frames / 2, image.Frames - 1 };
        foreach (var frame in frames)
        {
            var ours = image.ToRaw(frame);
            var pnm = dir[$"f{frame}.pnm"];
            var args = new List<string> { "+F", (frame + 1).ToString(CultureInfo.InvariantCulture) };
            if (image.Samples == 1) args.AddRange(["+Ww", window.Center.ToString("R", CultureInfo.InvariantCulture), window.Width.ToString("R", CultureInfo.InvariantCulture)]);
            args.AddRange([file, pnm]);
            var (code, _, err) = MedicalTools.Run(reference, [.. args]);
            Assert.True(code == 0, $"{tool} failed on {relative}: {err}");
            var (w, h, c, theirs) = MedicalTools.ReadPnm(pnm);

            // then the pixels agree within the codec's tolerance
            Assert.Equal((ours.Width, ours.Height, ours.Channels), (w, h, c));
            int max = 0;
            long sum = 0;
            for (int i = 0; i < theirs.Length; i++)
            {
                int d = Math.Abs(ours.Pixels[i] - theirs[i]);
                max = Math.Max(max, d);
                sum += d;
            }
            double mean = sum / (double)theirs.Length;
            output.WriteLine($"{relative} frame {frame}: {image.TransferSyntax}, window {window}, max |diff| {max}, mean {mean:0.0000}");
            Assert.True(max <= maxDiff && mean <= maxMean, $"{relative} frame {frame}: max |diff| {max} (allowed {maxDiff}), mean {mean:0.0000} (allowed {maxMean})");
        }
    }

    [Fact]
    public void Should_MatchOpenJpeg_When_DecodingJpeg2000()
    {
        // given the JPEG 2000 sample (dcmtk's free build has no JPEG 2000 codec, so OpenJPEG decodes the raw codestream)
        if (Fixtures.SharedFile(output, "dicom/jpeg_2000.dcm") is not { } file || !MedicalTools.Gdcm(output) || MedicalTools.Find(output, "opj_decompress", "libopenjp2-tools") is not { } opj) return;
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(file);
        int start = bytes.AsSpan().IndexOf(new byte[] { 0xFF, 0x4F, 0xFF, 0x51 });
        int end = bytes.AsSpan().LastIndexOf(new byte[] { 0xFF, 0xD9 });
        Assert.True(start > 0 && end > start, "no JPEG 2000 codestream (SOC..EOC) in the file");
        File.WriteAllBytes(dir["c.j2k"], bytes[start..(end + 2)]);
        var (code, _, err) = MedicalTools.Run(opj, "-i", dir["c.j2k"], "-o", dir["c.raw"]);
        Assert.True(code == 0, err);

        // when GDCM decodes the file
        var image = DicomReader.Read(file);

        // then the modality values equal OpenJPEG's samples (signed 16-bit, little endian) times slope plus intercept
        var raw = File.ReadAllBytes(dir["c.raw"]);
        Assert.Equal(image.Width * image.Height * 2, raw.Length);
        var values = image.FrameValues(0);
        int mismatches = 0;
        for (int i = 0; i < values.Length; i++)
        {
            short stored = (short)(raw[2 * i] | (raw[2 * i + 1] << 8));
            if (Math.Abs(stored * image.Slope + image.Intercept - values[i]) > 1e-3) mismatches++;
        }
        output.WriteLine($"JPEG 2000: {values.Length} pixels, {mismatches} differ; slope {image.Slope}, intercept {image.Intercept}");
        Assert.Equal(0, mismatches);
        Assert.Equal(-1024, image.Intercept);
    }

    [Fact]
    public void Should_InvertAndMatchDcmtk_When_PhotometricIsMonochrome1()
    {
        // given a copy of a CT slice relabelled MONOCHROME1 with dcmodify
        if (Fixtures.SharedFile(output, "dicom/pydicom/CT_small.dcm") is not { } file || !MedicalTools.Gdcm(output)
            || MedicalTools.Find(output, "dcmodify", "dcmtk") is not { } dcmodify || MedicalTools.Find(output, "dcmj2pnm", "dcmtk") is not { } dcmj2pnm) return;
        using var dir = new TempDir();
        var copy = dir["mono1.dcm"];
        File.Copy(file, copy);
        Assert.Equal(0, MedicalTools.Run(dcmodify, "-nb", "-m", "(0028,0004)=MONOCHROME1", copy).Code);

        // when both are read
        var mono2 = DicomReader.Read(file);
        var mono1 = DicomReader.Read(copy);
        var a = mono2.ToRaw(0, mono2.Window).Pixels;
        var b = mono1.ToRaw(0, mono2.Window).Pixels;

        // then MONOCHROME1 is the inverse, and dcmtk agrees
        Assert.True(mono1.Inverted);
        Assert.All(Enumerable.Range(0, a.Length), i => Assert.Equal(255 - a[i], b[i]));
        var w = mono2.Window;
        Assert.Equal(0, MedicalTools.Run(dcmj2pnm, "+Ww", w.Center.ToString("R", CultureInfo.InvariantCulture), w.Width.ToString("R", CultureInfo.InvariantCulture), copy, dir["m1.pgm"]).Code);
        var theirs = MedicalTools.ReadPnm(dir["m1.pgm"]).Pixels;
        Assert.True(Enumerable.Range(0, b.Length).All(i => Math.Abs(b[i] - theirs[i]) <= 1), "MONOCHROME1 rendering differs from dcmtk's");
    }

    [Fact]
    public void Should_KeepFullRangeUntilWindowing_When_DataAreSixteenBit()
    {
        // given a CT slice with rescale intercept -1024 and a 12-bit MR slice with slope 3.77
        if (Fixtures.SharedFile(output, "dicom/rle.dcm") is not { } ct || Fixtures.SharedFile(output, "dicom/jpeg_ls.dcm") is not { } mr || !MedicalTools.Gdcm(output)) return;

        // when read
        var ctImage = DicomReader.Read(ct);
        var mrImage = DicomReader.Read(mr);

        // then values are in modality units (Hounsfield below -1000 for air), far past 8 bits, and the header windows are used
        var ctValues = ctImage.FrameValues(0).ToArray();
        Assert.True(ctValues.Min() < -1000 && ctValues.Max() > 255, $"CT range {ctValues.Min()}..{ctValues.Max()}");
        Assert.Contains("minimum to maximum", ctImage.Window.Source);
        Assert.Equal(3.774114, mrImage.Slope, 6);
        Assert.Equal((1000.0, 2000.0), (mrImage.Window.Center, mrImage.Window.Width));
        Assert.Contains("the file's window", mrImage.Window.Source);
    }

    [Fact]
    public void Should_OrderSeriesByPosition_When_ReadingVolumeFolder()
    {
        // given the 20-slice MR series
        if (Fixtures.SharedFile(output, "dicom/volume/brain_001.dcm") is not { } first || !MedicalTools.Gdcm(output)) return;
        var files = Directory.GetFiles(Path.GetDirectoryName(first)!, "*.dcm");

        // when each header is read
        var headers = files.Select(f => DicomReader.Read(f).Header).OrderBy(h => h.InstanceNumber).ToList();

        // then instance numbers run 1..20 and slice positions move monotonically along the normal
        Assert.Equal(Enumerable.Range(1, 20), headers.Select(h => h.InstanceNumber!.Value));
        var positions = headers.Select(h => h.SlicePosition!.Value).ToList();
        var steps = positions.Zip(positions.Skip(1), (p, q) => q - p).ToList();
        Assert.True(steps.All(s => s > 0) || steps.All(s => s < 0), $"positions not monotonic: {string.Join(", ", positions)}");
        Assert.Single(headers.Select(h => h.SeriesKey).Distinct());
    }

    [Fact]
    public void Should_ApplyDicomLinearFunction_When_Windowing()
    {
        // given values around a window c=40 w=400 (PS3.3 C.11.2.1.2.1: below -160 black, above 239 white)
        float[] values = [-1000, -160, -159.5f, 40, 239, 239.5f, 3000];
        var output8 = new byte[values.Length];

        // when windowed, and windowed inverted
        VoiWindow.Apply(values, output8, 40, 400, invert: false);
        var inverted = new byte[values.Length];
        VoiWindow.Apply(values, inverted, 40, 400, invert: true);

        // then the ends clip and the middle follows ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
        Assert.Equal(new byte[] { 0, 0, 0, 128, 255, 255, 255 }, output8);
        Assert.Equal(output8.Select(b => (byte)(255 - b)), inverted);
    }
}
