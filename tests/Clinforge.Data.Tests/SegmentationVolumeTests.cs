using Clinforge.Core;

namespace Clinforge.Data.Tests;

/// <summary>NIfTI image volumes with NIfTI label maps, read for segmentation as 2-D slices: pairing, splitting and bad volumes.</summary>
public sealed class SegmentationVolumeTests(ITestOutputHelper output)
{
    private static readonly int[] s_dims = [6, 5, 4];

    /// <summary>A label map of <see cref="s_dims"/>: slice 0 (bottom) empty, above it label <paramref name="left"/> where r &lt; 3 and 2 elsewhere.</summary>
    private static byte LabelAt(int voxel, byte left)
    {
        int r = voxel % s_dims[0], s = voxel / (s_dims[0] * s_dims[1]);
        return s == 0 ? (byte)0 : r < 3 ? left : (byte)2;
    }

    private static void WriteCase(TempDir dir, string name, byte left = 1, int[]? maskDims = null, string mask = "mask.nii.gz")
    {
        Directory.CreateDirectory(dir[name]);
        NiftiReaderTests.WriteNifti1(dir[$"{name}/image.nii.gz"], s_dims, datatype: 4, i => (short)(i * 7 % 300), gzip: true);
        NiftiReaderTests.WriteNifti1(dir[$"{name}/{mask}"], maskDims ?? s_dims, datatype: 2, i => LabelAt(i, left), gzip: true);
    }

    [Fact]
    public void Should_ReadEverySliceWithItsLabelSlice_When_ImagesAndMasksAreNiftiVolumes()
    {
        // given three cases, each a 6x5x4 volume and a label map on the same grid (isotropic voxels: axial slices)
        using var dir = new TempDir();
        for (int c = 0; c < 3; c++) WriteCase(dir, $"case{c}");

        // when opened
        var ds = DatasetReader.Open(dir.Path);

        // then every axial slice is an image with the matching slice of its label map
        Assert.Equal("segmentation", ds.Format);
        Assert.Equal(12, ds.Items.Count);
        Assert.Equal("case0/image.nii.gz#000", ds.Items[0].Id);
        var seg = Assert.IsType<SegmentationMasks>(ds.Segmentation);
        Assert.Equal([1, 2], seg.Values);
        Assert.Equal(3, seg.Summary.Volumes);
        Assert.Equal("label map", seg.Summary.MaskKind);
        Assert.Contains("axial", seg.Summary.Slicing, StringComparison.Ordinal);
        var image = ds.Load(ds.Items.Single(i => i.Id == "case1/image.nii.gz#002"));
        Assert.Equal((6, 5, 1), (image.Width, image.Height, image.Channels));
        // columns run to the patient's right: r < 3 is label 1 (index 1), the rest label 2 (index 2); slice 0 is empty
        var labels = seg.Labels("case1/image.nii.gz#002");
        Assert.Equal(30, labels.Length);
        for (int row = 0; row < 5; row++) Assert.Equal([1, 1, 1, 2, 2, 2], labels.Skip(row * 6).Take(6).Select(b => (int)b));
        Assert.All(seg.Labels("case1/image.nii.gz#000"), b => Assert.Equal(0, b));
        Assert.Equal(dir["case1/mask.nii.gz"], seg.MaskFile("case1/image.nii.gz#002"));
        // and the slices of a volume are grouped in slabs of neighbours, which the card's notes explain
        Assert.All(ds.Items, i => Assert.StartsWith(i.Id.Split('#')[0] + " slab ", i.Group, StringComparison.Ordinal));
        Assert.Contains(ds.Notes, n => n.Contains("same subject", StringComparison.Ordinal));
        Assert.Equal(3, seg.Summary.EmptyMasks);
    }

    [Fact]
    public void Should_KeepEachVolumeInOneSplit_When_ThereAreEnoughVolumesForAPatientLevelSplit()
    {
        // given as many volumes as a split by volume needs
        using var dir = new TempDir();
        for (int c = 0; c < SegmentationReader.MinVolumesForVolumeSplit; c++) WriteCase(dir, $"case{c}");

        // when opened and split
        var ds = DatasetReader.Open(dir.Path);
        var splits = Splitter.Split(ds, 17, 0.6, 0.15);

        // then no volume has slices in two splits, and every split holds whole volumes
        string Volume(DataItem i) => i.Id.Split('#')[0];
        var where = new[] { splits.Train, splits.Val, splits.Test }.SelectMany((items, s) => items.Select(i => (Volume: Volume(i), Split: s)))
            .GroupBy(x => x.Volume).ToDictionary(g => g.Key, g => g.Select(x => x.Split).Distinct().Count());
        Assert.Equal(SegmentationReader.MinVolumesForVolumeSplit, where.Count);
        Assert.All(where.Values, n => Assert.Equal(1, n));
        Assert.NotEmpty(splits.Test);
        Assert.NotEmpty(splits.Val);
        Assert.Contains(ds.Notes, n => n.Contains("unseen in training", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_KeepTheFoldersSplitAndLoadEachSlice_When_VolumesComeInTrainValAndTestFolders()
    {
        // given volumes already split into train/, val/ and test/ folders, one folder per case in each
        using var dir = new TempDir();
        WriteCase(dir, "train/a");
        WriteCase(dir, "train/b", left: 3);
        WriteCase(dir, "val/c");
        WriteCase(dir, "test/d", left: 3);

        // when opened and split
        var ds = DatasetReader.Open(dir.Path);
        var splits = Splitter.Split(ds, 17, 0.6, 0.15);

        // then the folders' split is kept slice by slice, and a test slice loads with its own labels
        Assert.Equal((8, 4, 4), (splits.Train.Count, splits.Val.Count, splits.Test.Count));
        Assert.All(splits.Test, i => Assert.StartsWith("test/d/image.nii.gz#", i.Id, StringComparison.Ordinal));
        var seg = ds.Segmentation!;
        Assert.Equal([1, 2, 3], seg.Values);
        var id = "test/d/image.nii.gz#003";
        Assert.Equal((6, 5), (ds.Load(splits.Test.Single(i => i.Id == id)).Width, ds.Load(splits.Test.Single(i => i.Id == id)).Height));
        Assert.Equal([3, 3, 3, 2, 2, 2], seg.Labels(id).Take(6).Select(b => (int)b));
        Assert.Equal(4, seg.Summary.Volumes);
    }

    [Fact]
    public void Should_NameBothFilesAndGrids_When_ALabelMapIsNotOnItsImagesGrid()
    {
        using var dir = new TempDir();
        WriteCase(dir, "a");
        WriteCase(dir, "b", maskDims: [6, 5, 3]);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains(dir["b/mask.nii.gz"], e.Message, StringComparison.Ordinal);
        Assert.Contains("6x5x3", e.Message, StringComparison.Ordinal);
        Assert.Contains("6x5x4", e.Message, StringComparison.Ordinal);
        Assert.Contains("voxel grid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseAProbabilityMapAsLabels_When_ALabelVolumeHoldsFractions()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["a"]);
        NiftiReaderTests.WriteNifti1(dir["a/image.nii"], s_dims, datatype: 4, i => (short)i);
        NiftiReaderTests.WriteNifti1(dir["a/mask.nii"], s_dims, datatype: 16, i => i % 2 == 0 ? 0f : 0.37f);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains(dir["a/mask.nii"], e.Message, StringComparison.Ordinal);
        Assert.Contains("0.37", e.Message, StringComparison.Ordinal);
        Assert.Contains("whole numbers", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_AskForALabelMapVolume_When_ANiftiImageHasAPngMask()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["a"]);
        NiftiReaderTests.WriteNifti1(dir["a/image.nii.gz"], s_dims, datatype: 4, i => (short)i, gzip: true);
        Fixtures.Write(dir["a/mask.png"], new RawImage(6, 5, 1, new byte[30]));
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains(dir["a/mask.png"], e.Message, StringComparison.Ordinal);
        Assert.Contains("NIfTI label map", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ReadTheBrainAndItsSixTissueLabels_When_GivenTheSharedKmeansVolumes()
    {
        // given the shared T1 brain (128x128x62, 2x2x3 mm) and its k-means label map, as one case
        var t1 = Fixtures.SharedFile(output, "nifti/KmeansTest_T1UCharRaw.nii.gz");
        var labels = Fixtures.SharedFile(output, "nifti/KmeansTest_T1KmeansPrelimSegmentation.nii.gz");
        if (t1 is null || labels is null) return;
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["brain"]);
        File.Copy(t1, dir["brain/image.nii.gz"]);
        File.Copy(labels, dir["brain/mask.nii.gz"]);

        // when opened
        var ds = DatasetReader.Open(dir.Path);

        // then the 62 slices along the 3-mm axis are paired with labels 1–6 (the file's 126 voxels of 0 are background)
        var seg = Assert.IsType<SegmentationMasks>(ds.Segmentation);
        output.WriteLine($"{seg.Summary.Pairs} slices; {seg.Summary.Slicing}; " + string.Join("; ", seg.Summary.Labels.Select(l => $"{l.Name} {l.MeanFraction:P1}")));
        Assert.Equal(62, seg.Summary.Pairs);
        Assert.Equal([1, 2, 3, 4, 5, 6], seg.Values);
        Assert.Contains("3 mm", seg.Summary.Slicing, StringComparison.Ordinal);
        Assert.InRange(seg.Summary.Labels[0].MeanFraction, 0.70, 0.74);
        var middle = ds.Items[31];
        var image = ds.Load(middle);
        Assert.Equal(image.Width * image.Height, seg.Labels(middle.Id).Length);
    }
}
