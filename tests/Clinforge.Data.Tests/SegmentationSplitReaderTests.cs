using Clinforge.Core;

namespace Clinforge.Data.Tests;

/// <summary>Segmentation data that come split into train/val/test folders: read as that split, kept by the splitter, and bad folders named.</summary>
public sealed class SegmentationSplitReaderTests(ITestOutputHelper output)
{
    // The segmentation kind's fractions (60% train, 15% validation), which Development passes to the splitter.
    private const double TrainFraction = 0.60;
    private const double ValFraction = 0.15;

    /// <summary>A 20×16 mask: value <paramref name="value"/> in the first <paramref name="blockWidth"/> columns, 0 elsewhere.</summary>
    private static RawImage Mask(byte value, int blockWidth)
    {
        var pixels = new byte[20 * 16];
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < blockWidth; x++) pixels[y * 20 + x] = value;
        return new RawImage(20, 16, 1, pixels);
    }

    /// <summary>Writes <paramref name="count"/> pairs in <c>split/images</c> + <c>split/masks</c>, named <c>{split}{i}.png</c>.</summary>
    private static void WritePairs(TempDir dir, string split, int count, byte value = 255, int blockWidth = 5, string masks = "masks")
    {
        for (int i = 0; i < count; i++)
        {
            Fixtures.WriteRandom(dir[$"{split}/images/{split}{i}.png"], 20, 16, 1);
            Fixtures.Write(dir[$"{split}/{masks}/{split}{i}_mask.png"], Mask(value, blockWidth));
        }
    }

    [Fact]
    public void Should_ReadEveryFolderAsItsOwnSplit_When_TrainValAndTestFoldersHoldDifferentLayouts()
    {
        // given train/ as images/ + masks/, val/ as one folder per case, test/ as images/ + gt/
        using var dir = new TempDir();
        WritePairs(dir, "train", 4, blockWidth: 4);
        for (int i = 0; i < 2; i++)
        {
            Fixtures.WriteRandom(dir[$"val/case{i}/image.png"], 20, 16, 1);
            Fixtures.Write(dir[$"val/case{i}/mask.png"], Mask(255, 8));
        }
        WritePairs(dir, "test", 2, blockWidth: 0, masks: "gt");
        Fixtures.Write(dir["test/gt/test1_mask.png"], Mask(255, 12));

        // when opened through the reader that picks the layout
        Assert.True(SegmentationReader.Looks(dir.Path));
        var ds = DatasetReader.Open(dir.Path);

        // then every pair is read with an id relative to the root and the folder it came from as its split
        Assert.Equal("segmentation", ds.Format);
        Assert.Equal(
            ["test/images/test0.png", "test/images/test1.png", "train/images/train0.png", "train/images/train1.png", "train/images/train2.png", "train/images/train3.png", "val/case0/image.png", "val/case1/image.png"],
            ds.Items.Select(i => i.Id));
        Assert.NotNull(ds.OfficialSplit);
        var official = ds.OfficialSplit;
        Assert.Equal(SplitNames.Train, official["train/images/train2.png"]);
        Assert.Equal(SplitNames.Val, official["val/case1/image.png"]);
        Assert.Equal(SplitNames.Test, official["test/images/test0.png"]);
        // and the rest of the pipeline loads images by id and masks through the dataset's masks
        var seg = Assert.IsType<SegmentationMasks>(ds.Segmentation);
        Assert.Equal(dir["val/case1/mask.png"], seg.MaskFile("val/case1/image.png"));
        Assert.Equal(dir["test/gt/test1_mask.png"], seg.MaskFile("test/images/test1.png"));
        var item = ds.Items.Single(i => i.Id == "test/images/test1.png");
        Assert.Equal(dir["test/images/test1.png"], ds.FilePath(item));
        Assert.Equal((20, 16), (ds.Load(item).Width, ds.Load(item).Height));
        Assert.Equal(12 * 16, seg.Labels(item.Id).Count(b => b == 1));
        // and the summary covers all splits: 4 px of 20 in train, 8 in val, 0 and 12 in test, one empty mask
        Assert.Equal(8, seg.Summary.Pairs);
        Assert.Equal(1, seg.Summary.EmptyMasks);
        var foreground = Assert.Single(seg.Summary.Labels);
        Assert.Equal("foreground", foreground.Name);
        Assert.Equal((4 * 4 + 2 * 8 + 0 + 12) / 20.0 / 8, foreground.MeanFraction, 9);
        Assert.Equal((0.0, 0.6, 7), (foreground.MinFraction, foreground.MaxFraction, foreground.Images));
        Assert.Contains("one folder per case", seg.Summary.Layout, StringComparison.Ordinal);
        Assert.Contains("masks in gt/", seg.Summary.Layout, StringComparison.Ordinal);

        // when split with the segmentation kind's fractions and inspected
        var splits = Splitter.Split(ds, 17, TrainFraction, ValFraction);
        var card = Inspector.Inspect(ds, splits, 17);

        // then the data's own split is kept, and the data card says so
        Assert.Equal("official", splits.Method);
        Assert.Equal((4, 2, 2), (splits.Train.Count, splits.Val.Count, splits.Test.Count));
        Assert.All(splits.Test, i => Assert.StartsWith("test/", i.Id, StringComparison.Ordinal));
        Assert.All(splits.Val, i => Assert.StartsWith("val/", i.Id, StringComparison.Ordinal));
        Assert.Equal("official", card.SplitMethod);
        Assert.Contains("the split comes with the data (official) and is kept.", card.Notes);
        Assert.Contains(card.Notes, n => n.StartsWith("the data come split into train/ (4 pairs), val/ (2 pairs), test/ (2 pairs)", StringComparison.Ordinal));
        Assert.Contains(card.Notes, n => n.Contains("test/: 1 mask(s) are empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_DrawValidationFromTheTrainFolder_When_ThereIsNoValFolder()
    {
        // given training/ with 10 pairs and testing/ with 3
        using var dir = new TempDir();
        WritePairs(dir, "training", 10);
        WritePairs(dir, "testing", 3);

        // when read and split twice with the same seed
        var ds = DatasetReader.Open(dir.Path);
        var splits = Splitter.Split(ds, 5, TrainFraction, ValFraction);
        var again = Splitter.Split(ds, 5, TrainFraction, ValFraction);

        // then test is the testing folder untouched, and validation is a seeded fifth of training (0.15 of 0.75)
        Assert.Equal("official", splits.Method);
        Assert.Equal(["testing/images/testing0.png", "testing/images/testing1.png", "testing/images/testing2.png"], splits.Test.Select(i => i.Id).Order(StringComparer.Ordinal));
        Assert.Equal((8, 2), (splits.Train.Count, splits.Val.Count));
        Assert.All(splits.Val, i => Assert.StartsWith("training/", i.Id, StringComparison.Ordinal));
        Assert.Empty(splits.Val.Select(i => i.Id).Intersect(splits.Train.Select(i => i.Id)));
        Assert.Equal(splits.Val.Select(i => i.Id), again.Val.Select(i => i.Id));
        Assert.Contains("no 'val' folder: the val split is drawn (seeded) from training/.", ds.Notes);
    }

    [Fact]
    public void Should_DrawTestFromTheTrainFolderAndKeepVal_When_ThereIsNoTestFolder()
    {
        // given train/ with 12 pairs and val/ with 2
        using var dir = new TempDir();
        WritePairs(dir, "train", 12);
        WritePairs(dir, "val", 2);

        // when read and split
        var ds = DatasetReader.Open(dir.Path);
        var splits = Splitter.Split(ds, 5, TrainFraction, ValFraction);

        // then val is the val folder and test is carved from train in the asked proportion (0.25 of 0.85 of 12)
        Assert.Equal(["val/images/val0.png", "val/images/val1.png"], splits.Val.Select(i => i.Id).Order(StringComparer.Ordinal));
        Assert.Equal((8, 4), (splits.Train.Count, splits.Test.Count));
        Assert.All(splits.Test, i => Assert.StartsWith("train/", i.Id, StringComparison.Ordinal));
        Assert.Contains("no 'test' folder: the test split is drawn (seeded) from train/.", ds.Notes);
    }

    [Fact]
    public void Should_NameTheSplitFolder_When_ItHasImagesButNoMasks()
    {
        using var dir = new TempDir();
        WritePairs(dir, "train", 3);
        Fixtures.WriteRandom(dir["test/images/t0.png"], 20, 16, 1);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.StartsWith(dir["test"] + ":", e.Message, StringComparison.Ordinal);
        Assert.Contains("images/ but no folder of masks", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_NameTheMaskFolder_When_ASplitFoldersMaskFolderIsEmpty()
    {
        using var dir = new TempDir();
        WritePairs(dir, "train", 3);
        Fixtures.WriteRandom(dir["val/images/v0.png"], 20, 16, 1);
        Directory.CreateDirectory(dir["val/masks"]);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.StartsWith(dir["val/masks"] + ": holds no mask images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_NameTheFolder_When_AnUnknownFolderSitsBesideSplitFolders()
    {
        using var dir = new TempDir();
        WritePairs(dir, "train", 3);
        WritePairs(dir, "test", 2);
        WritePairs(dir, "extra", 2);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.StartsWith(dir["extra"] + ": 'extra' is not a split folder, yet it sits beside test/, train/", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_NameBothFolders_When_TwoFoldersStandForOneSplit()
    {
        using var dir = new TempDir();
        WritePairs(dir, "train", 3);
        WritePairs(dir, "training", 3);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains("two folders stand for the 'train' split (train/, training/)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_AskForTrainingPairs_When_OnlyValAndTestFoldersExist()
    {
        using var dir = new TempDir();
        WritePairs(dir, "val", 2);
        WritePairs(dir, "test", 2);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.StartsWith(dir.Path + ": split folders val/, test/ but no train/", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseTheLabel_When_OnlyTheTestMasksHoldIt()
    {
        // given label 1 in every split, and label 2 only in test
        using var dir = new TempDir();
        WritePairs(dir, "train", 3, value: 1);
        WritePairs(dir, "test", 2, value: 1);
        Fixtures.Write(dir["test/masks/test1_mask.png"], Mask(2, 6));
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.StartsWith(dir["train"] + ": no training mask holds value 2 (found in test/)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_NoteTheLabel_When_ATestFolderLacksIt()
    {
        // given labels 1 and 2 in training, only 1 in test
        using var dir = new TempDir();
        WritePairs(dir, "train", 3, value: 1);
        Fixtures.Write(dir["train/masks/train2_mask.png"], Mask(2, 6));
        WritePairs(dir, "test", 2, value: 1);
        var ds = DatasetReader.Open(dir.Path);
        Assert.Equal([1, 2], ds.Segmentation!.Values);
        Assert.Equal("label map", ds.Segmentation.Summary.MaskKind);
        Assert.Contains("no mask in test/ holds label 2: its test metrics cannot be measured there.", ds.Notes);
    }

    [Fact]
    public void Should_NameTheFolderWithoutRegions_When_OnlySomeSplitsHaveRegionsOfInterest()
    {
        // given DRIVE-like training/ (images, 1st_manual, mask as the field of view) and a test/ without fields of view
        using var dir = new TempDir();
        WritePairs(dir, "training", 3, masks: "1st_manual");
        for (int i = 0; i < 3; i++) Fixtures.Write(dir[$"training/roi/training{i}_roi.png"], Mask(255, 20));
        WritePairs(dir, "test", 2);
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));
        Assert.StartsWith(dir["test"] + ": has no region-of-interest masks", e.Message, StringComparison.Ordinal);
        Assert.Contains("while training/ has them", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_DrawValidationAndTestFromTraining_When_DriveIsOpenedAtItsRootWithOnlyTheTrainingFolder()
    {
        // given DRIVE's root as shipped here: training/ (images, 1st_manual, mask as the field of view) and no test/
        var drive = Fixtures.SharedFile(output, "drive");
        if (drive is null) return;
        if (Directory.Exists(Path.Combine(drive, "test")))
        {
            output.WriteLine("SKIPPED: this copy of DRIVE has its test folder; the test expects training/ alone.");
            return;
        }

        // when opened at the root and split with the segmentation kind's fractions
        var ds = DatasetReader.Open(drive);
        var splits = Splitter.Split(ds, 17, TrainFraction, ValFraction);

        // then the 20 training pairs keep their fields of view and ids under training/, and val and test are drawn from them
        var seg = Assert.IsType<SegmentationMasks>(ds.Segmentation);
        Assert.Equal(20, seg.Summary.Pairs);
        Assert.True(seg.Summary.RegionOfInterest);
        Assert.EndsWith("21_manual1.gif", seg.MaskFile("training/images/21_training.tif"), StringComparison.Ordinal);
        Assert.EndsWith("21_training_mask.gif", seg.RegionFile("training/images/21_training.tif")!, StringComparison.Ordinal);
        Assert.Equal("official", splits.Method);
        Assert.Equal((12, 3, 5), (splits.Train.Count, splits.Val.Count, splits.Test.Count));
        Assert.Contains("no 'test' folder: the test split is drawn (seeded) from training/.", ds.Notes);
    }

    [Fact]
    public void Should_StayClassification_When_SplitFoldersHoldClassFolders()
    {
        // given train/ and test/ each with one folder per class: not a segmentation layout
        using var dir = new TempDir();
        foreach (var split in new[] { "train", "test" })
            foreach (var cls in new[] { "benign", "malignant" })
                Fixtures.WriteRandom(dir[$"{split}/{cls}/a.png"], 20, 16, 1);
        Assert.False(SegmentationReader.Looks(dir.Path));
        var ds = DatasetReader.Open(dir.Path);
        Assert.Null(ds.Segmentation);
        Assert.Equal(["benign", "malignant"], ds.Classes);
    }
}
