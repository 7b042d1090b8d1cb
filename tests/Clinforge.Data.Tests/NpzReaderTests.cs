using System.Diagnostics;

namespace Clinforge.Data.Tests;

public sealed class NpzReaderTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Images(int n, int h, int w, int c, int seed) => Fixtures.RandomImage(w, h * n, c, seed).Pixels;

    [Fact]
    public void Should_ReadSplitsLabelsAndPixels_When_NpzIsMedMnistShaped()
    {
        // given an npz with (N,H,W) uint8 images and (N,1) int64 labels for train, val and test
        var train = Images(5, 4, 3, 1, seed: 1);
        var arrays = new Dictionary<string, byte[]>
        {
            ["train_images"] = Fixtures.Npy("|u1", [5, 4, 3], train),
            ["train_labels"] = Fixtures.Npy("<i8", [5, 1], Fixtures.Int64Labels([0, 1, 1, 0, 1])),
            ["val_images"] = Fixtures.Npy("|u1", [2, 4, 3], Images(2, 4, 3, 1, seed: 2)),
            ["val_labels"] = Fixtures.Npy("<i8", [2, 1], Fixtures.Int64Labels([1, 0])),
            ["test_images"] = Fixtures.Npy("<u1", [3, 4, 3], Images(3, 4, 3, 1, seed: 3)),
            ["test_labels"] = Fixtures.Npy("<i8", [3], Fixtures.Int64Labels([0, 0, 1])),
        };
        var path = Fixtures.WriteNpz(_dir["toy.npz"], arrays);

        // when opened
        var ds = DatasetReader.Open(path);

        // then items are "split/index", the split is official, classes are numbered, pixels are exact
        Assert.Equal("npz", ds.Format);
        Assert.Equal(new[] { "0", "1" }, ds.Classes);
        Assert.Equal(10, ds.Items.Count);
        Assert.Equal("train/0", ds.Items[0].Id);
        Assert.Equal("test/2", ds.Items[9].Id);
        Assert.Equal(new[] { 0, 1, 1, 0, 1, 1, 0, 0, 0, 1 }, ds.Items.Select(i => i.Label));
        Assert.Equal("val", ds.OfficialSplit!["val/1"]);
        var img = ds.Load(ds.Items[2]);
        Assert.Equal((3, 4, 1), (img.Width, img.Height, img.Channels));
        Assert.Equal(train.AsSpan(2 * 12, 12).ToArray(), img.Pixels);
        Assert.Null(ds.FilePath(ds.Items[0]));
    }

    [Fact]
    public void Should_ReadRgb_When_ImagesHaveThreeChannelsAndVersion2Header()
    {
        // given (N,H,W,3) images, uint8 labels of shape (N,), .npy version 2 headers
        var pixels = Images(4, 2, 2, 3, seed: 5);
        var path = Fixtures.WriteNpz(_dir["rgb.npz"], new Dictionary<string, byte[]>
        {
            ["train_images"] = Fixtures.Npy("|u1", [4, 2, 2, 3], pixels, version: 2),
            ["train_labels"] = Fixtures.Npy("|u1", [4], [0, 2, 1, 2], version: 2),
        });

        // when opened
        var ds = DatasetReader.Open(path);

        // then images are RGB and all three classes exist
        Assert.Equal(new[] { "0", "1", "2" }, ds.Classes);
        var img = ds.Load(ds.Items[3]);
        Assert.Equal(3, img.Channels);
        Assert.Equal(pixels.AsSpan(3 * 12, 12).ToArray(), img.Pixels);
    }

    [Fact]
    public void Should_NameClasses_When_FileIsKnownMedMnist()
    {
        // given a file called breastmnist_64.npz (the MedMNIST+ naming)
        var path = Fixtures.WriteNpz(_dir["breastmnist_64.npz"], new Dictionary<string, byte[]>
        {
            ["train_images"] = Fixtures.Npy("|u1", [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]),
            ["train_labels"] = Fixtures.Npy("|u1", [2, 1], [0, 1]),
        });

        // when opened
        var ds = DatasetReader.Open(path);

        // then the classes carry MedMNIST's names
        Assert.Equal(new[] { "malignant", "normal_or_benign" }, ds.Classes);
    }

    [Fact]
    public void Should_ReadOfficialBreastMnist_When_SharedDataIsPresent()
    {
        // given the real BreastMNIST file (skipped without ../shared/data)
        var path = Fixtures.SharedFile(output, "medmnist/breastmnist.npz");
        if (path is null) return;

        // when opened, split and inspected
        var ds = DatasetReader.Open(path);
        var splits = Splitter.Split(ds, seed: 42);
        var card = Inspector.Inspect(ds, splits, seed: 42);

        // then the official 546/78/156 split of 28x28 grey images is kept
        Assert.Equal(new[] { "malignant", "normal_or_benign" }, ds.Classes);
        Assert.Equal("official", splits.Method);
        Assert.Equal((546, 78, 156), (splits.Train.Count, splits.Val.Count, splits.Test.Count));
        Assert.Equal(780, card.TotalItems);
        Assert.Equal(1, card.Channels);
        Assert.Equal(new SizeSummary(28, 28, 28, 28, 28, 28), card.ImageSizes);
        Assert.Equal(546, card.Counts["train"].Values.Sum());
        Assert.True(card.Counts["train"]["normal_or_benign"] > card.Counts["train"]["malignant"], "BreastMNIST has more normal/benign than malignant images");
    }

    [Fact]
    public void Should_ReadTheOfficialSplitAndLoadTensors_When_PneumoniaMnistIsPresent()
    {
        // given the real PneumoniaMNIST file, 5856 images (skipped without ../shared/data)
        var path = Fixtures.SharedFile(output, "medmnist/pneumoniamnist.npz");
        if (path is null) return;

        // when opened, split, inspected and loaded as a tensor
        var watch = Stopwatch.StartNew();
        var ds = DatasetReader.Open(path);
        var splits = Splitter.Split(ds, seed: 1);
        var card = Inspector.Inspect(ds, splits, seed: 1);
        var inspected = watch.Elapsed;
        var (pixels, labels) = ImageCache.Load(ds, splits.Train, 28, 1);
        using var store = pixels;
        output.WriteLine($"open+split+inspect {inspected.TotalMilliseconds:0} ms, tensor {watch.Elapsed.TotalMilliseconds:0} ms");

        // then the counts are the official ones (the timing above is printed, not asserted: benchmarks judge speed)
        Assert.Equal(new[] { "normal", "pneumonia" }, ds.Classes);
        Assert.Equal((4708, 524, 624), (splits.Train.Count, splits.Val.Count, splits.Test.Count));
        Assert.Equal(5856, card.TotalItems);
        Assert.Equal((4708, 1, 28), (pixels.Count, pixels.Channels, pixels.Size));
        Assert.False(pixels.IsMapped);
        Assert.Equal(4708, labels.Length);
    }

    [Fact]
    public void Should_ParseNpyHeader_When_ShapeHasTrailingComma()
    {
        // given a 1-D int32 big-endian array
        var bytes = Fixtures.Npy(">i4", [3], [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 1, 0]);

        // when read and converted to labels
        var array = Npy.Read(new MemoryStream(bytes), "t.npy");
        var labels = Npy.ToInt32(array, "t.npy");

        // then the shape and byte order are honoured
        Assert.Equal(new long[] { 3 }, array.Shape);
        Assert.Equal(new[] { 7, 0, 256 }, labels);
    }
}
