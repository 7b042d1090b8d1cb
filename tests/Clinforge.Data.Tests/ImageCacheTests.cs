namespace Clinforge.Data.Tests;

public sealed class ImageCacheTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (Dataset Ds, List<DataItem> Items) Memory(int n)
    {
        var images = new List<RawImage>();
        var items = new List<DataItem>();
        for (var i = 0; i < n; i++)
        {
            images.Add(Fixtures.RandomImage(10 + i, 12, i % 2 == 0 ? 1 : 3, seed: i));
            items.Add(new DataItem($"m/{i}", i % 3));
        }
        return (Dataset.InMemory("memory://t", ["x", "y", "z"], items, images), items);
    }

    private static byte[] Expected(Dataset ds, DataItem item, int size, int channels)
    {
        var floats = ImageOps.ToTensorChw(ds.Load(item), size, channels);
        var bytes = new byte[floats.Length];
        PixelStore.Quantise(floats, bytes);
        return bytes;
    }

    private static byte[] Image(PixelStore store, int index)
    {
        var bytes = new byte[store.BytesPerImage];
        store.Read(index, bytes);
        return bytes;
    }

    [Fact]
    public void Should_HoldEachImageAsItsRoundedConversion_When_LoadingItemsInMemory()
    {
        // given a memory dataset of differently sized grey and RGB images
        var (ds, items) = Memory(9);
        var subset = new[] { items[4], items[0], items[7] };

        // when loaded at 8x8, 3 channels, without a cache folder
        var (pixels, labels) = ImageCache.Load(ds, subset, 8, 3);
        using var store = pixels;

        // then each image is the single-image conversion rounded to bytes, in the given order, held in memory
        Assert.False(store.IsMapped);
        Assert.Equal((3, 3, 8, 192L), (store.Count, store.Channels, store.Size, store.BytesPerImage));
        Assert.Equal(new[] { 1, 0, 1 }, labels);
        for (var k = 0; k < subset.Length; k++) Assert.Equal(Expected(ds, subset[k], 8, 3), Image(store, k));
        // and the rounding is to the nearest 1/255
        var floats = ImageOps.ToTensorChw(ds.Load(subset[1]), 8, 3);
        var back = store.ReadUnit(1);
        Assert.True(floats.Zip(back, (a, b) => Math.Abs(a - b)).Max() <= 0.5f / 255f + 1e-6f);
    }

    [Fact]
    public void Should_MapOneFileThatLaterLoadsReuse_When_ACacheFolderIsGiven()
    {
        // given a folder dataset of PNGs and a cache folder
        for (var i = 0; i < 6; i++) Fixtures.WriteRandom(_dir[$"d/{(i < 3 ? "a" : "b")}/{i}.png"]);
        var ds = DatasetReader.Open(_dir["d"]);
        var expected = ds.Items.Select(item => Expected(ds, item, 16, 1)).ToList();

        // when loaded once, the source images then deleted, and loaded again
        string file;
        using (var first = ImageCache.Load(ds, ds.Items, 16, 1, _dir["cache"]).Pixels)
        {
            Assert.True(first.IsMapped);
            file = first.FilePath!;
        }
        Directory.Delete(_dir["d"], recursive: true);
        var (pixels, _) = ImageCache.Load(ds, ds.Items, 16, 1, _dir["cache"]);
        using var second = pixels;

        // then the second load maps the same file (nothing left to decode) and gives the same bytes
        Assert.Equal(file, second.FilePath);
        Assert.Equal(Path.Combine(_dir["cache"], ImageCache.FileName(ds, ds.Items, 16, 1)), file);
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i], Image(second, i));
        Assert.Single(Directory.GetFiles(_dir["cache"]));
    }

    [Fact]
    public void Should_NameADifferentFile_When_ResolutionOrItemsDiffer()
    {
        var (ds, items) = Memory(4);
        var a = ImageCache.FileName(ds, items, 16, 1);
        Assert.NotEqual(a, ImageCache.FileName(ds, items, 32, 1));
        Assert.NotEqual(a, ImageCache.FileName(ds, items, 16, 3));
        Assert.NotEqual(a, ImageCache.FileName(ds, items.Take(3).ToList(), 16, 1));
        Assert.NotEqual(a, ImageCache.FileName(ds, [items[1], items[0], items[2], items[3]], 16, 1));
        Assert.Equal(a, ImageCache.FileName(ds, items.ToList(), 16, 1));
    }

    [Fact]
    public void Should_DecodeAgain_When_TheCacheFileIsTruncatedOrNotACache()
    {
        // given a cached load whose file is then cut short
        var (ds, items) = Memory(5);
        string file;
        using (var store = ImageCache.Load(ds, items, 8, 1, _dir["cache"]).Pixels) file = store.FilePath!;
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(stream.Length - 10);
        Assert.Throws<InvalidDataException>(() => PixelStore.Open(file));

        // when loaded again
        using (var again = ImageCache.Load(ds, items, 8, 1, _dir["cache"]).Pixels)
        {
            // then the images are decoded again, complete and right
            for (var i = 0; i < items.Count; i++) Assert.Equal(Expected(ds, items[i], 8, 1), Image(again, i));
        }

        // and a file that is no cache at all is replaced too
        File.WriteAllBytes(file, new byte[PixelStore.HeaderBytes + 5 * 64]);
        using var replaced = ImageCache.Load(ds, items, 8, 1, _dir["cache"]).Pixels;
        Assert.Equal(Expected(ds, items[4], 8, 1), Image(replaced, 4));
    }

    [Fact]
    public void Should_LeaveNoFileBehind_When_ASetGoesToAnAnonymousMappedFile()
    {
        // given a set larger than the in-memory limit and no cache folder
        var (ds, items) = Memory(7);
        var tempBefore = Directory.GetFiles(Path.GetTempPath(), "clinforge-pixels-*").Length;

        // when loaded
        var (pixels, _) = ImageCache.Load(ds, items, 8, 3, cacheFolder: null, maxInMemoryBytes: 100);
        using var store = pixels;

        // then it is mapped from a file already unlinked, and its images are right
        Assert.True(store.IsMapped);
        Assert.False(File.Exists(store.FilePath));
        Assert.Equal(tempBefore, Directory.GetFiles(Path.GetTempPath(), "clinforge-pixels-*").Length);
        for (var i = 0; i < items.Count; i++) Assert.Equal(Expected(ds, items[i], 8, 3), Image(store, i));
    }

    [Fact]
    public void Should_GatherImagesInTheAskedOrder_When_IndicesRepeatAndJump()
    {
        var (ds, items) = Memory(6);
        using var store = ImageCache.Load(ds, items, 4, 1, _dir["cache"]).Pixels;
        var batch = new byte[4 * store.BytesPerImage];
        store.Gather([5, 0, 5, 2], batch);
        Assert.Equal(Image(store, 5), batch.AsSpan(0, 16).ToArray());
        Assert.Equal(Image(store, 0), batch.AsSpan(16, 16).ToArray());
        Assert.Equal(Image(store, 5), batch.AsSpan(32, 16).ToArray());
        Assert.Equal(Image(store, 2), batch.AsSpan(48, 16).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Read(6, new byte[16]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_ThrowClinforgeExceptionAndLeaveNoCache_When_FileIsBrokenAtLoad(bool cached)
    {
        // given a folder dataset whose file breaks after opening
        for (var i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"d/{(i < 2 ? "a" : "b")}/{i}.png"]);
        var ds = DatasetReader.Open(_dir["d"]);
        File.WriteAllBytes(_dir["d/b/3.png"], [1, 2, 3]);

        // when loaded
        var e = Assert.Throws<ClinforgeException>(() => ImageCache.Load(ds, ds.Items, 4, 1, cached ? _dir["cache"] : null));

        // then the error is the decoder's, naming the file (not a wrapped AggregateException),
        // and no cache file, complete-looking or temporary, is left
        Assert.Contains(_dir["d/b/3.png"], e.Message);
        if (cached) Assert.Empty(Directory.Exists(_dir["cache"]) ? Directory.GetFiles(_dir["cache"]) : []);
    }

    [Fact]
    public void Should_RoundToNearestByteAndClamp_When_Quantising()
    {
        var bytes = new byte[6];
        PixelStore.Quantise([0f, 1f, 0.5f / 255f - 1e-4f, 0.5f / 255f + 1e-4f, -0.2f, 1.3f], bytes);
        Assert.Equal(new byte[] { 0, 255, 0, 1, 0, 255 }, bytes);
    }
}
