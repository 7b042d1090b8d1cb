using Clinforge.Core;

namespace Clinforge.Data.Tests;

/// <summary>Image/mask pairs read for segmentation: DRIVE as shipped, label maps, and every bad mask refused by name.</summary>
public sealed class SegmentationReaderTests(ITestOutputHelper output)
{
    /// <summary>A 20×16 mask: value <paramref name="value"/> in a block of the given width, 0 elsewhere.</summary>
    private static RawImage Mask(int width, int height, byte value, int blockWidth)
    {
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < blockWidth && x < width; x++) pixels[y * width + x] = value;
        return new RawImage(width, height, 1, pixels);
    }

    [Fact]
    public void Should_PairImagesVesselMasksAndFieldsOfView_When_ReadingDriveAsShipped()
    {
        // given DRIVE's training folder: images/*.tif, 1st_manual/*_manual1.gif, mask/*_training_mask.gif
        var drive = Fixtures.SharedFile(output, "drive/training");
        if (drive is null) return;

        // when it is opened
        var ds = DatasetReader.Open(drive);

        // then the 20 images are paired with their vessel masks and fields of view
        Assert.Equal("segmentation", ds.Format);
        var seg = Assert.IsType<SegmentationMasks>(ds.Segmentation);
        Assert.Equal(20, seg.Summary.Pairs);
        Assert.True(seg.Summary.RegionOfInterest);
        Assert.Equal("binary", seg.Summary.MaskKind);
        Assert.Equal([255], seg.Values);
        Assert.EndsWith("21_manual1.gif", seg.MaskFile("images/21_training.tif"), StringComparison.Ordinal);
        Assert.EndsWith("21_training_mask.gif", seg.RegionFile("images/21_training.tif")!, StringComparison.Ordinal);
        // and vessels cover about an eighth of the field of view (Staal et al. 2004 report about 12–13%)
        var vessels = Assert.Single(seg.Summary.Labels);
        output.WriteLine($"vessel share inside the field of view: mean {vessels.MeanFraction:P1}, {vessels.MinFraction:P1}–{vessels.MaxFraction:P1}");
        Assert.InRange(vessels.MeanFraction, 0.10, 0.16);
        Assert.Equal(20, vessels.Images);
        // and vessels are a thin structure: a few pixels wide on average (capillaries 1–2 px, the widest trunks about 8)
        output.WriteLine($"vessel typical width: {vessels.MeanWidth:F2} px");
        Assert.InRange(vessels.MeanWidth!.Value, 2.5, 5.0);
        // and the label map of an image has its size, with 0 and 1 only
        var image = ds.Load(ds.Items[0]);
        var labels = seg.Labels(ds.Items[0].Id);
        Assert.Equal(image.Width * image.Height, labels.Length);
        Assert.Equal([0, 1], labels.Distinct().Order().Select(b => (int)b));
        Assert.Equal(image.Width * image.Height, seg.Region(ds.Items[0].Id)!.Length);
    }

    [Fact]
    public void Should_ReadALabelMapWithItsCoverage_When_MasksHoldOneValuePerLabel()
    {
        // given images/ and masks/ with values 0, 1 and 2 (one mask empty), masks named with _mask
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++) Fixtures.WriteRandom(dir[$"images/case{i}.png"], 20, 16, 1);
        Fixtures.Write(dir["masks/case0_mask.png"], Mask(20, 16, 1, 5));
        Fixtures.Write(dir["masks/case1_mask.png"], Mask(20, 16, 2, 10));
        Fixtures.Write(dir["masks/case2_mask.png"], Mask(20, 16, 0, 0));

        // when opened and inspected
        var ds = DatasetReader.Open(dir.Path);
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 17), 17);

        // then it is a label map of two labels, each covering what it covers, with the empty mask counted
        var seg = Assert.IsType<SegmentationSummary>(card.Segmentation);
        Assert.Equal("label map", seg.MaskKind);
        Assert.False(seg.RegionOfInterest);
        Assert.Equal(1, seg.EmptyMasks);
        Assert.Equal(["label 1", "label 2"], seg.Labels.Select(l => l.Name));
        Assert.Equal(0.25 / 3, seg.Labels[0].MeanFraction, 9);
        Assert.Equal(0.5, seg.Labels[1].MaxFraction, 9);
        Assert.Equal(1, seg.Labels[1].Images);
        Assert.Contains(card.Notes, n => n.Contains("1 mask(s) are empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_MeasureEachLabelsTypicalWidth_When_MasksHoldStrandsAndBlobs()
    {
        // given 64×64 masks, each with a horizontal strand 2 px wide and 40 px long (label 1) and a disc of radius 12 (label 2)
        using var dir = new TempDir();
        for (int i = 0; i < 2; i++)
        {
            Fixtures.WriteRandom(dir[$"images/case{i}.png"], 64, 64, 1);
            var pixels = new byte[64 * 64];
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                {
                    if (y is 6 or 7 && x >= 10 && x < 50) pixels[y * 64 + x] = 1;
                    if ((x - 32) * (x - 32) + (y - 36 - i) * (y - 36 - i) <= 144) pixels[y * 64 + x] = 2;
                }
            Fixtures.Write(dir[$"masks/case{i}_mask.png"], new RawImage(64, 64, 1, pixels));
        }

        // when opened
        var seg = DatasetReader.Open(dir.Path).Segmentation!.Summary;

        // then the strand is 2 px wide (2 × 80 px / 80 edge px) and the disc about its radius (2πr² / 2πr = r; on the pixel
        // grid fewer pixels touch a 4-neighbour outside than 2πr, 441 px over 64 edge px, so 13.8)
        Assert.Equal(2.0, seg.Labels[0].MeanWidth!.Value, 6);
        Assert.Equal(2 * 441 / 64.0, seg.Labels[1].MeanWidth!.Value, 6);
    }

    [Fact]
    public void Should_PairEachCasesImageAndMask_When_EveryCaseHasItsOwnFolder()
    {
        // given one folder per case, each with image.png, mask.png and roi.png
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++)
        {
            Fixtures.WriteRandom(dir[$"case{i}/image.png"], 20, 16, 3);
            Fixtures.Write(dir[$"case{i}/mask.png"], Mask(20, 16, 255, 4 + i));
            Fixtures.Write(dir[$"case{i}/roi.png"], Mask(20, 16, 255, 16));
        }

        // when opened and inspected
        var ds = DatasetReader.Open(dir.Path);
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 17), 17);

        // then every case is a pair with its region of interest, the ids name the case, and coverage is counted inside the region
        Assert.Equal("segmentation", ds.Format);
        Assert.Equal(["case0/image.png", "case1/image.png", "case2/image.png"], ds.Items.Select(i => i.Id));
        var seg = Assert.IsType<SegmentationSummary>(card.Segmentation);
        Assert.Equal(3, seg.Pairs);
        Assert.True(seg.RegionOfInterest);
        Assert.Contains("one folder per case", seg.Layout, StringComparison.Ordinal);
        Assert.Equal((4 + 5 + 6) / 3.0 / 16, seg.Labels[0].MeanFraction, 9);
        Assert.Equal(dir["case1/mask.png"], ds.Segmentation!.MaskFile("case1/image.png"));
    }

    [Fact]
    public void Should_NameTheCase_When_ACaseFolderHasNoMask()
    {
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["a/image.png"], 20, 16, 1);
        Fixtures.Write(dir["a/label.png"], Mask(20, 16, 255, 4));
        Fixtures.WriteRandom(dir["b/image.png"], 20, 16, 1);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains(dir.Path + "/b", e.Message, StringComparison.Ordinal);
        Assert.Contains("has no mask", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_NameTheFileAndBothSizes_When_AMaskIsNotTheSizeOfItsImage()
    {
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["images/a.png"], 20, 16, 1);
        Fixtures.Write(dir["masks/a.png"], Mask(18, 16, 255, 4));
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains(dir["masks/a.png"], e.Message, StringComparison.Ordinal);
        Assert.Contains("18x16", e.Message, StringComparison.Ordinal);
        Assert.Contains("20x16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ListTheImages_When_SomeHaveNoMask()
    {
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["images/a.png"], 20, 16, 1);
        Fixtures.WriteRandom(dir["images/b.png"], 20, 16, 1);
        Fixtures.Write(dir["masks/a_segmentation.png"], Mask(20, 16, 255, 4));
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains("1 of 2 image(s) have no mask: b.png", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseAPictureAsAMask_When_ItHoldsManyValues()
    {
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["images/a.png"], 20, 16, 1);
        Fixtures.WriteRandom(dir["masks/a.png"], 20, 16, 1); // noise: up to 256 values
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains(dir["masks/a.png"], e.Message, StringComparison.Ordinal);
        Assert.Contains("not a label map", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseAColourMask_When_ItsChannelsDiffer()
    {
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["images/a.png"], 20, 16, 1);
        var rgb = new byte[20 * 16 * 3];
        rgb[0] = 255; // one red pixel
        Fixtures.Write(dir["masks/a.png"], new RawImage(20, 16, 3, rgb));
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains("colour mask", e.Message, StringComparison.Ordinal);
        Assert.Contains(dir["masks/a.png"], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseMasksWithNothingToOutline_When_EveryMaskIsEmpty()
    {
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["images/a.png"], 20, 16, 1);
        Fixtures.Write(dir["masks/a.png"], Mask(20, 16, 0, 0));
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains("every mask is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_StayADetectionDataset_When_LabelsHoldBoxFiles()
    {
        // given images/ and labels/ of YOLO text files: boxes, not masks
        using var dir = new TempDir();
        Fixtures.WriteRandom(dir["images/a.png"], 20, 16, 1);
        Fixtures.WriteText(dir["labels/a.txt"], "0 0.5 0.5 0.2 0.2\n");
        var ds = DatasetReader.Open(dir.Path);
        Assert.Null(ds.Segmentation);
        Assert.NotNull(ds.Detection);
    }
}
