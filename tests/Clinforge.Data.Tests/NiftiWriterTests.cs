using System.IO.Compression;

namespace Clinforge.Data.Tests;

/// <summary>Label maps written back as NIfTI on the voxel grid of the volume they outline.</summary>
public sealed class NiftiWriterTests(ITestOutputHelper output)
{
    // File axes: i runs anterior (2 mm), j superior (2 mm), k to the patient's left (3 mm), so the reader
    // permutes and flips every axis to reach RAS, and slices along the 3-mm axis (sagittal).
    private static readonly double[,] s_obliqueSform = { { 0, 0, -3, 10 }, { 2, 0, 0, -4 }, { 0, 2, 0, 6 } };
    private static readonly int[] s_dims = [4, 3, 5];

    private static byte LabelOfFileVoxel(int index) => (byte)((index * 7 + index / 5) % 4);

    [Fact]
    public void Should_WriteEachLabelBackToItsOwnFileVoxel_When_TheSourceIsStoredPermutedAndFlipped()
    {
        // given a source volume and a label map on its grid, both stored in a permuted, flipped order
        using var dir = new TempDir();
        NiftiReaderTests.WriteNifti1(dir["image.nii"], s_dims, datatype: 4, i => (short)(i * 3), sform: s_obliqueSform);
        NiftiReaderTests.WriteNifti1(dir["truth.nii"], s_dims, datatype: 2, LabelOfFileVoxel, sform: s_obliqueSform);
        var source = NiftiReader.Read(dir["image.nii"]);
        var truth = NiftiReader.Read(dir["truth.nii"]);
        var (axis, _) = source.ChooseSliceAxis();
        Assert.Equal(0, axis);
        var slices = Enumerable.Range(0, source.SliceCount(axis)).Select(s => truth.LabelSlice(axis, s).Select(v => (byte)v).ToArray()).ToList();

        // when the label slices (as a model would give them) are written for the source volume
        var path = dir["out_mask.nii.gz"];
        NiftiWriter.WriteLabels(source, axis, slices, path);

        // then the voxel data, in the file's own order, are the labels that were read from there
        using (var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        using (var buffer = new MemoryStream())
        {
            gz.CopyTo(buffer);
            var bytes = buffer.ToArray();
            int n = s_dims[0] * s_dims[1] * s_dims[2];
            Assert.Equal(352 + n, bytes.Length);
            Assert.Equal(Enumerable.Range(0, n).Select(LabelOfFileVoxel), bytes.Skip(352));
        }
        // and our reader sees the same grid, orientation and label slices, with the label intent
        var written = NiftiReader.Read(path);
        Assert.Equal(source.OriginalOrientation, written.OriginalOrientation);
        Assert.Equal(source.Dims, written.Dims);
        Assert.Equal(1002, written.IntentCode);
        for (int s = 0; s < slices.Count; s++) Assert.Equal(slices[s].Select(v => (int)v), written.LabelSlice(axis, s));

        // and the NIfTI reference library accepts the header and the image
        if (MedicalTools.Find(output, "nifti_tool", "nifti-bin") is not { } tool) return;
        foreach (var check in new[] { "-check_hdr", "-check_nim" })
        {
            var (code, stdout, stderr) = MedicalTools.Run(tool, check, "-infiles", path);
            output.WriteLine(stdout + stderr);
            Assert.Equal(0, code);
            Assert.Contains("IS GOOD", stdout + stderr, StringComparison.Ordinal);
        }
        var fields = MedicalTools.Run(tool, "-disp_hdr", "-infiles", path, "-field", "datatype", "-field", "intent_code", "-field", "dim").Out;
        Assert.Matches(@"datatype\s+70\s+1\s+2\b", fields);
        Assert.Matches(@"intent_code\s+68\s+1\s+1002\b", fields);
        Assert.Matches(@"dim\s+40\s+8\s+3 4 3 5 1 1 1 1", fields);
    }

    [Fact]
    public void Should_RefuseSlicesOfTheWrongSize_When_TheyDoNotFitTheVolume()
    {
        using var dir = new TempDir();
        NiftiReaderTests.WriteNifti1(dir["image.nii"], s_dims, datatype: 4, i => (short)i, sform: s_obliqueSform);
        var source = NiftiReader.Read(dir["image.nii"]);
        var e = Assert.Throws<ArgumentException>(() => NiftiWriter.WriteLabels(source, 0, [new byte[3]], dir["x.nii"]));
        Assert.Contains("slices", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir["x.nii"]));
    }
}
