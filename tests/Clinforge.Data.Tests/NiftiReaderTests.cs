using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace Clinforge.Data.Tests;

/// <summary>NIfTI reading checked against nifti_tool (nifticlib, Debian's nifti-bin): header facts and voxel values.</summary>
public sealed class NiftiReaderTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files => new()
    {
        "nifti/KmeansTest_T1KmeansPrelimSegmentation.nii.gz",
        "nifti/KmeansTest_T1RawSkullStrip.nii.gz",
        "nifti/KmeansTest_T1UCharRaw.nii.gz",
        "nifti/aal.nii.gz",
        "nifti/anatomical.nii",
        "nifti/ch2bet.nii.gz",
        "nifti/example4d.nii.gz",
        "nifti/example_nifti2.nii.gz",
        "nifti/some_blobs.nii",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Should_AgreeWithNiftiTool_When_ReadingEachSampleFile(string relative)
    {
        // given a sample volume and nifticlib's nifti_tool
        if (Fixtures.SharedFile(output, relative) is not { } file || MedicalTools.Find(output, "nifti_tool", "nifti-bin") is not { } tool) return;
        var (_, nim, _) = MedicalTools.Run(tool, "-disp_nim", "-field", "nx", "-field", "ny", "-field", "nz", "-field", "nt", "-field", "datatype", "-field", "scl_slope", "-field", "scl_inter", "-infiles", file);
        string Field(string name) => nim.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(p => p.Length >= 4 && p[0] == name)[3];
        int nx = int.Parse(Field("nx"), CultureInfo.InvariantCulture), ny = int.Parse(Field("ny"), CultureInfo.InvariantCulture), nz = int.Parse(Field("nz"), CultureInfo.InvariantCulture);
        double slope = double.Parse(Field("scl_slope"), CultureInfo.InvariantCulture), inter = double.Parse(Field("scl_inter"), CultureInfo.InvariantCulture);

        // when Clinforge reads it
        var volume = NiftiReader.Read(file);

        // then sizes (permuted to RAS), data type and voxel count agree, and sampled voxels hold nifti_tool's values
        Assert.Equal(int.Parse(Field("datatype"), CultureInfo.InvariantCulture), volume.Datatype);
        Assert.Equal(new[] { nx, ny, nz }.Order(), volume.Dims.Order());
        Assert.Equal((long)nx * ny * nz, (long)volume.Dims[0] * volume.Dims[1] * volume.Dims[2]);
        Assert.Equal(Math.Max(1, int.Parse(Field("nt"), CultureInfo.InvariantCulture)), volume.Volumes); // nifti_tool shows nt 0 for 3-D files
        var random = new Random(7);
        for (int n = 0; n < 6; n++)
        {
            int i = random.Next(nx), j = random.Next(ny), k = random.Next(nz);
            var (_, value, _) = MedicalTools.Run(tool, "-quiet", "-disp_ci", $"{i}", $"{j}", $"{k}", "0", "0", "0", "0", "-infiles", file);
            double expected = double.Parse(value.Trim().Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) * (slope == 0 ? 1 : slope) + (slope == 0 ? 0 : inter);
            var (r, a, s) = volume.FromFileVoxel(i, j, k);
            Assert.True(Math.Abs(volume[r, a, s] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{relative} voxel ({i},{j},{k}): {volume[r, a, s]} vs nifti_tool {expected}");
        }
        var (axis, reason) = volume.ChooseSliceAxis();
        var slice = volume.Slice(axis, volume.SliceCount(axis) / 2);
        output.WriteLine($"{relative}: NIfTI-{volume.Version}, {string.Join("x", volume.Dims)} RAS from {volume.OriginalOrientation} ({volume.AffineSource}); {NiftiVolume.AxisName(axis)} slices: {reason}; window {volume.Window}");
        Assert.Equal(volume.PlaneSize(axis), (slice.Width, slice.Height));
    }

    [Fact]
    public void Should_FlipToRas_When_FileIsStoredLeftToRight()
    {
        // given a tiny LAS volume written by hand: voxel value = its x index, with the sform's x column pointing left
        using var dir = new TempDir();
        var path = dir["las.nii"];
        WriteNifti1(path, [4, 2, 2], datatype: 2, i => (byte)(i % 4), sform: new double[,] { { -2, 0, 0, 10 }, { 0, 2, 0, 0 }, { 0, 0, 3, 0 } });

        // when read
        var volume = NiftiReader.Read(path);

        // then canonical R runs the other way (x index 3 is leftmost, so R index 0), axial is chosen for its 3 mm voxels
        Assert.Equal("LAS", volume.OriginalOrientation);
        Assert.Equal(new float[] { 3, 2, 1, 0 }, Enumerable.Range(0, 4).Select(r => volume[r, 0, 0]));
        Assert.Equal((2, 3.0), (volume.ChooseSliceAxis().Axis, volume.Spacing[2]));
    }

    [Fact]
    public void Should_ApplySclSlopeAndIntercept_When_HeaderSetsThem()
    {
        // given int16 values 0..7 with scl_slope 0.5 and scl_inter -1
        using var dir = new TempDir();
        var path = dir["scaled.nii.gz"];
        WriteNifti1(path, [2, 2, 2], datatype: 4, i => (short)i, slope: 0.5f, inter: -1, gzip: true);

        // when read
        var volume = NiftiReader.Read(path);

        // then value = stored * 0.5 - 1
        Assert.Equal(-1f, volume[0, 0, 0]);
        Assert.Equal(2.5f, volume[1, 1, 1]);
    }

    [Fact]
    public void Should_ReadLabelMapAsMask_When_VolumeHoldsIntegerLabels()
    {
        // given the AAL atlas (a label map, intent NIFTI_INTENT_LABEL) and the k-means segmentation
        if (Fixtures.SharedFile(output, "nifti/aal.nii.gz") is not { } aal || Fixtures.SharedFile(output, "nifti/KmeansTest_T1KmeansPrelimSegmentation.nii.gz") is not { } kmeans) return;

        // when read as label maps
        var atlas = NiftiReader.Read(aal);
        var seg = NiftiReader.Read(kmeans);
        var (axis, _) = atlas.ChooseSliceAxis();
        var mask = atlas.LabelSlice(axis, atlas.SliceCount(axis) / 2);

        // then labels are integers with background 0, the slice layout matches the image slice, and the label set is small
        Assert.True(atlas.HasIntegerValues);
        Assert.Equal(1002, atlas.IntentCode);
        var labels = atlas.DistinctLabels()!;
        Assert.Equal(0, labels[0]);
        Assert.True(labels.Count > 50, $"AAL has {labels.Count} labels");
        var (w, h) = atlas.PlaneSize(axis);
        Assert.Equal(w * h, mask.Length);
        Assert.Contains(mask, v => v > 0);
        Assert.All(mask, v => Assert.Contains(v, labels));
        Assert.True(seg.DistinctLabels()!.Count <= 10);
    }

    /// <summary>Writes a single-file NIfTI-1 volume (little endian, vox_offset 352, value(linear index) per voxel), optionally gzipped.</summary>
    internal static void WriteNifti1<T>(string path, int[] dims, short datatype, Func<int, T> value, double[,]? sform = null, float slope = 1, float inter = 0, bool gzip = false, long[]? headerDims = null)
        where T : unmanaged
    {
        var header = new byte[352];
        BinaryPrimitives.WriteInt32LittleEndian(header, 348);
        var d = headerDims ?? [3, dims[0], dims[1], dims[2], 1, 1, 1, 1];
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(40 + 2 * i), (short)d[i]);
        int size = System.Runtime.InteropServices.Marshal.SizeOf<T>();
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(70), datatype);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(72), (short)(size * 8));
        BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(76), 1);
        for (int i = 1; i <= 3; i++) BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(76 + 4 * i), 1);
        BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(108), 352);
        BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(112), slope);
        BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(116), inter);
        if (sform is not null)
        {
            BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(254), 1);
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(280 + 16 * r + 4 * c), (float)sform[r, c]);
        }
        "n+1\0"u8.CopyTo(header.AsSpan(344));
        int n = dims[0] * dims[1] * dims[2];
        var data = new T[n];
        for (int i = 0; i < n; i++) data[i] = value(i);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        using var file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write(header);
        stream.Write(bytes);
    }
}
