namespace Clinforge.Data.Tests;

public sealed class DetectionReaderTests(ITestOutputHelper output)
{
    private static void WriteYoloDataset(TempDir dir, string split, params (string Name, string? Label)[] images)
    {
        Directory.CreateDirectory(dir[$"{split}/images"]);
        Directory.CreateDirectory(dir[$"{split}/labels"]);
        int seed = 0;
        foreach (var (name, label) in images)
        {
            Fixtures.Write(dir[$"{split}/images/{name}.png"], Fixtures.RandomImage(40, 32, 1, seed++));
            if (label is not null) File.WriteAllText(dir[$"{split}/labels/{name}.txt"], label);
        }
    }

    [Fact]
    public void Should_ReadPolygonYoloAndEmptyRows_When_SplitFoldersHoldImagesAndLabels()
    {
        // given: a polygon row, a YOLO row, an empty file (negative) in train; one polygon in val; class names in data.yaml
        using var dir = new TempDir();
        WriteYoloDataset(dir, "train",
            ("a", "2 0.1 0.2 0.3 0.25 0.28 0.4 0.12 0.35\n"),
            ("b", "0 0.5 0.5 0.2 0.4\n"),
            ("c", ""));
        WriteYoloDataset(dir, "val", ("d", "6 0.6 0.6 0.7 0.6 0.7 0.8 0.6 0.8"));
        File.WriteAllText(dir["data.yaml"], "nc: 7\nnames: ['elbow positive', 'fingers positive', 'forearm fracture', 'humerus fracture', 'humerus', 'shoulder fracture', 'wrist positive']\n");

        // when
        var ds = DatasetReader.Open(dir.Path);

        // then
        Assert.Equal(DetectionReader.ImageClasses, ds.Classes);
        var det = Assert.IsType<DetectionAnnotations>(ds.Detection);
        Assert.Equal(7, det.SourceClasses.Count);
        Assert.Equal("mixed", det.LabelFormat);
        var a = det.Labels["train/images/a.png"];
        Assert.True(a.HasBoxes && a.Positive);
        var box = Assert.Single(a.Boxes);
        Assert.Equal(0.1, box.X1, 9); Assert.Equal(0.2, box.Y1, 9); Assert.Equal(0.3, box.X2, 9); Assert.Equal(0.4, box.Y2, 9);
        Assert.Equal(0, box.Class); // every source class is one finding class
        var b = Assert.Single(det.Labels["train/images/b.png"].Boxes);
        Assert.Equal(0.4, b.X1, 9); Assert.Equal(0.3, b.Y1, 9); Assert.Equal(0.6, b.X2, 9); Assert.Equal(0.7, b.Y2, 9);
        Assert.False(det.Labels["train/images/c.png"].Positive);
        Assert.Equal(0, ds.Items.Single(i => i.Id == "train/images/c.png").Label);
        Assert.Equal(SplitNames.Val, ds.OfficialSplit!["val/images/d.png"]);
    }

    [Fact]
    public void Should_KeepEachBoxsSourceClass_When_LabelsAreAskedForTheDataClasses()
    {
        // given: boxes of source classes 2 and 0 in one image, class 6 in another, names in data.yaml
        using var dir = new TempDir();
        WriteYoloDataset(dir, "train", ("a", "2 0.2 0.2 0.1 0.1\n0 0.6 0.6 0.2 0.2\n"), ("b", "6 0.5 0.5 0.2 0.2\n"), ("c", ""));
        File.WriteAllText(dir["data.yaml"], "names: ['elbow positive', 'fingers positive', 'forearm fracture', 'humerus fracture', 'humerus', 'shoulder fracture', 'wrist positive']\n");
        var det = DatasetReader.Open(dir.Path).Detection!;

        // when: the detector's classes are the source classes (per-class detection), one class, or a list missing 'wrist positive'
        var apart = det.LabelsFor(det.SourceClasses);
        var merged = det.LabelsFor([]);
        var missing = Assert.Throws<ClinforgeException>(() => det.LabelsFor(["elbow positive", "forearm fracture"]));

        // then: the source indices survive per class; merged every box is class 0; a class the model lacks is named
        Assert.Equal([2, 0], apart["train/images/a.png"].Boxes.Select(x => x.Class));
        Assert.Equal(6, Assert.Single(apart["train/images/b.png"].Boxes).Class);
        Assert.Empty(apart["train/images/c.png"].Boxes);
        Assert.All(merged.Values.SelectMany(l => l.Boxes), x => Assert.Equal(0, x.Class));
        Assert.Contains("'wrist positive'", missing.Message, StringComparison.Ordinal);
        // and the classes of another list are matched by name: index 1 = forearm fracture (source 2)
        var two = det.LabelsFor(["elbow positive", "forearm fracture", "wrist positive"]);
        Assert.Equal([1, 0], two["train/images/a.png"].Boxes.Select(x => x.Class));
        Assert.Equal(2, Assert.Single(two["train/images/b.png"].Boxes).Class);
    }

    [Fact]
    public void Should_WriteSeveralClassIds_When_SyntheticFolderHasThreeClasses()
    {
        // given / when: a synthetic detection folder with three classes
        using var dir = new TempDir();
        SyntheticDetection.WriteFolder(dir.Path, 60, seed: 4, classes: 3);
        var det = DatasetReader.Open(dir.Path).Detection!;

        // then: data.yaml names three body parts and the boxes use all three ids
        Assert.Equal(SyntheticDetection.BodyParts.Take(3), det.SourceClasses);
        Assert.Equal([0, 1, 2], det.LabelsFor(det.SourceClasses).Values.SelectMany(l => l.Boxes).Select(x => x.Class).Distinct().Order());
    }

    [Theory]
    [InlineData("image1_404_png.rf.39ba3f53047ecb4064613850a1c76fc1.jpg", "image1_404_png")]
    [InlineData("distal-humeral-fractures-2-_JPEG.rf.525ce876785d0fd798ec3af1593e5bc1.png", "distal-humeral-fractures-2-_JPEG")]
    [InlineData("scan.rf.notahash.png", null)]
    [InlineData("plain.png", null)]
    public void Should_NameTheSourceImage_When_AFileIsAnAugmentedExportCopy(string file, string? source)
    {
        // Roboflow names each augmented copy '<source>.rf.<hex hash>'
        Assert.Equal(source, AugmentedExport.SourceOf(file));
    }

    [Fact]
    public void Should_KeepAugmentedCopiesOfOneSourceInOneSplit_When_TheSplitIsDrawnHere()
    {
        // given: a train folder only (val and test are drawn here), 12 sources with 3 augmented copies each, half with a fracture
        using var dir = new TempDir();
        var images = Enumerable.Range(0, 12).SelectMany(s => Enumerable.Range(0, 3).Select(c =>
            ($"src{s:00}_jpg.rf.{s:x2}{c:x2}aaaabbbbccccddddeeeeffff0000", s % 2 == 0 ? "0 0.5 0.5 0.2 0.2" : ""))).ToArray();
        WriteYoloDataset(dir, "train", images.Select(i => (i.Item1, (string?)i.Item2)).ToArray());

        // when read, split and inspected
        var ds = DatasetReader.Open(dir.Path);
        var splits = Splitter.Split(ds, 5, 0.5, 0.25);
        var card = Inspector.Inspect(ds, splits, 5);

        // then: each source is a group, no source has copies in two splits, and the card says why
        Assert.Equal(AugmentedExport.GroupName, ds.GroupColumn);
        Assert.All(ds.Items, i => Assert.Matches("^src[0-9]{2}_jpg$", i.Group!));
        var splitOf = new[] { splits.Train, splits.Val, splits.Test }.SelectMany((list, k) => list.Select(i => (i.Group, k)));
        Assert.All(splitOf.GroupBy(x => x.Group), g => Assert.Single(g.Select(x => x.k).Distinct()));
        Assert.Contains(ds.Notes, n => n.Contains("36 images are named as augmented copies", StringComparison.Ordinal) && n.Contains("of 12 source images", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_WarnThatTestResultsMayBeOptimistic_When_TheDataOwnSplitPutsCopiesOfOneSourceOnBothSides()
    {
        // given: the data's own train and test folders share one source image (as bone-fracture's train/ and val/ do for 98 of 333 sources)
        using var dir = new TempDir();
        WriteYoloDataset(dir, "train", ("a_jpg.rf.00000000000000000000000000000001", "0 0.5 0.5 0.2 0.2"), ("b_jpg.rf.00000000000000000000000000000002", ""),
            ("c_jpg.rf.00000000000000000000000000000003", "0 0.5 0.5 0.2 0.2"), ("d_jpg.rf.00000000000000000000000000000004", ""));
        WriteYoloDataset(dir, "val", ("e_jpg.rf.00000000000000000000000000000005", "0 0.4 0.4 0.2 0.2"), ("f_jpg.rf.00000000000000000000000000000006", ""));
        WriteYoloDataset(dir, "test", ("a_jpg.rf.00000000000000000000000000000007", "0 0.5 0.5 0.2 0.2"), ("g_jpg.rf.00000000000000000000000000000008", ""));

        // when inspected with the official split
        var ds = DatasetReader.Open(dir.Path);
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 1), 1);

        // then the card names how many test images share a source with development images
        Assert.Contains(card.Notes, n => n.Contains("1 of 2 test images share their source image with training or validation images", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_MarkImageLevelPositives_When_CsvListsImagesWithoutLabelFiles()
    {
        // given: one boxed image, two images only in image_labels.csv (one positive, one negative)
        using var dir = new TempDir();
        WriteYoloDataset(dir, ".", ("boxed", "0 0.5 0.5 0.2 0.2"), ("pos", null), ("neg", null));
        File.WriteAllText(dir["image_labels.csv"], "image,label\npos.png,fracture\nneg.png,none\n");

        // when
        var ds = DatasetReader.Open(dir.Path);
        var splits = Splitter.Split(ds, 1, 0.34, 0.33);
        var card = Inspector.Inspect(ds, splits, 1);

        // then
        var det = ds.Detection!;
        var pos = det.Labels["images/pos.png"];
        Assert.True(pos.Positive && !pos.HasBoxes && pos.Boxes.Count == 0);
        Assert.False(det.Labels["images/neg.png"].Positive);
        var summary = Assert.IsType<DetectionSummary>(card.Detection);
        Assert.Equal(1, summary.PositivesWithBoxes);
        Assert.Equal(1, summary.PositivesImageLevelOnly);
        Assert.Equal(1, summary.Negatives);
        Assert.Equal(0.5, summary.BoxedShare, 9);
        Assert.Equal("mixed", summary.Supervision);
    }

    [Fact]
    public void Should_NoteFewBoxedPositives_When_MostPositivesAreImageLevel()
    {
        // given: 1 boxed positive, 4 image-level positives
        using var dir = new TempDir();
        WriteYoloDataset(dir, ".", ("b0", "0 0.5 0.5 0.2 0.2"), ("p1", null), ("p2", null), ("p3", null), ("p4", null), ("n", ""));
        File.WriteAllText(dir["image_labels.csv"], "image,label\np1.png,1\np2.png,1\np3.png,1\np4.png,1\n");

        // when
        var ds = DatasetReader.Open(dir.Path);
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 1, 0.5, 0.25), 1);

        // then
        Assert.Equal(0.2, card.Detection!.BoxedShare, 9);
        Assert.Contains(card.Notes, n => n.Contains("only 20% of positive images have boxes", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_ReadCocoBoxes_When_FolderHoldsCocoJson()
    {
        // given: a COCO file with one box on a 40x32 image and one image without annotations
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["images"]);
        Fixtures.Write(dir["images/x.png"], Fixtures.RandomImage(40, 32, 1, 1));
        Fixtures.Write(dir["images/y.png"], Fixtures.RandomImage(40, 32, 1, 2));
        File.WriteAllText(dir["annotations.json"], """
            {"images":[{"id":1,"file_name":"x.png","width":40,"height":32},{"id":2,"file_name":"y.png","width":40,"height":32}],
             "annotations":[{"id":1,"image_id":1,"category_id":3,"bbox":[4,8,20,16]}],
             "categories":[{"id":3,"name":"nodule"}]}
            """);

        // when
        var ds = DatasetReader.Open(dir.Path);

        // then
        var det = ds.Detection!;
        Assert.Equal("coco", det.LabelFormat);
        Assert.Equal(["nodule"], det.SourceClasses);
        var box = Assert.Single(det.Labels["images/x.png"].Boxes);
        Assert.Equal(0.1, box.X1, 9); Assert.Equal(0.25, box.Y1, 9); Assert.Equal(0.6, box.X2, 9); Assert.Equal(0.75, box.Y2, 9);
        Assert.False(det.Labels["images/y.png"].Positive);
    }

    [Theory]
    [InlineData("0 0.5 0.5 0.2", "line 2: expected 'class cx cy w h'")]
    [InlineData("0 0.5 0.5 abc 0.2", "line 2: value 4 'abc' is not a number")]
    [InlineData("0 120 80 30 40", "line 2: coordinate 120 is outside 0..1")]
    [InlineData("x 0.5 0.5 0.2 0.2", "line 2: the class 'x' is not a non-negative integer")]
    [InlineData("0 0.5 0.5 0 0.2", "line 2: the box has no area")]
    public void Should_NameFileAndLine_When_LabelRowIsMalformed(string badRow, string expected)
    {
        // given: a label file whose second row is bad
        using var dir = new TempDir();
        WriteYoloDataset(dir, ".", ("img", "0 0.5 0.5 0.2 0.2\n" + badRow + "\n"));

        // when
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));

        // then
        Assert.Contains("img.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_SayWhichAnnotation_When_CocoBoxIsOutsideTheImage()
    {
        // given
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["images"]);
        Fixtures.Write(dir["images/x.png"], Fixtures.RandomImage(40, 32, 1, 1));
        File.WriteAllText(dir["coco.json"], """{"images":[{"id":1,"file_name":"x.png","width":40,"height":32}],"annotations":[{"image_id":1,"bbox":[30,8,20,16]}]}""");

        // when
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(dir.Path));

        // then
        Assert.Contains("coco.json, annotations[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside the 40x32 image", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_CountBoxedAndNegativeImages_When_ReadingBoneFracture()
    {
        // given: the shared bone-fracture data, when present
        var yaml = Fixtures.SharedFile(output, "bone-fracture/data.yaml");
        if (yaml is null) return;
        var root = Path.GetDirectoryName(yaml)!;

        // when
        var ds = DatasetReader.Open(root);

        // then: the README's counts (train 3631 / 1345 with boxes, val 348 / 173)
        var det = ds.Detection!;
        Assert.Equal(3631 + 348, ds.Items.Count);
        Assert.Equal(1345 + 173, det.Labels.Values.Count(l => l.Positive));
        Assert.Equal(7, det.SourceClasses.Count);
        Assert.All(det.Labels.Values.SelectMany(l => l.Boxes), b => Assert.True(b.X2 > b.X1 && b.Y2 > b.Y1));
    }
}
