namespace Clinforge.Data.Tests;

public sealed class FolderReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_ReadClassPerSubfolder_When_FolderHasClassFolders()
    {
        // given b/ and a/ class folders in mixed formats, a nested folder, hidden files and a text file
        Fixtures.WriteRandom(_dir["data/b/1.png"]);
        Fixtures.WriteRandom(_dir["data/b/2.jpg"]);
        Fixtures.WriteRandom(_dir["data/b/nested/3.bmp"]);
        Fixtures.WriteRandom(_dir["data/a/1.tif"]);
        Fixtures.WriteRandom(_dir["data/a/2.gif"]);
        Fixtures.WriteRandom(_dir["data/a/.hidden.png"]);
        Fixtures.WriteRandom(_dir["data/a/.thumbs/4.png"]);
        Fixtures.WriteText(_dir["data/a/notes.txt"], "not an image");

        // when opened
        var ds = DatasetReader.Open(_dir["data"]);

        // then classes sort ordinally, ids are relative paths, hidden and non-image files are ignored
        Assert.Equal("folder", ds.Format);
        Assert.Equal(_dir["data"], ds.Source);
        Assert.Equal(new[] { "a", "b" }, ds.Classes);
        Assert.Equal(new[] { "a/1.tif", "a/2.gif", "b/1.png", "b/2.jpg", "b/nested/3.bmp" }, ds.Items.Select(i => i.Id));
        Assert.Equal(new[] { 0, 0, 1, 1, 1 }, ds.Items.Select(i => i.Label));
        Assert.Null(ds.OfficialSplit);
        Assert.Empty(ds.Unreadable);
        Assert.Equal(_dir["data/b/nested/3.bmp"], ds.FilePath(ds.Items[4]));
    }

    [Fact]
    public void Should_LoadGreyAndRgb_When_ClassesMixChannels()
    {
        // given a grey PNG in one class and an RGB JPEG in the other
        var grey = Fixtures.RandomImage(10, 8, 1, seed: 4);
        Fixtures.Write(_dir["d/xray/g.png"], grey);
        Fixtures.WriteRandom(_dir["d/photo/c.jpg"], 9, 9, 3);

        // when opened and loaded
        var ds = DatasetReader.Open(_dir["d"]);
        var byId = ds.Items.ToDictionary(i => i.Id);
        var g = ds.Load(byId["xray/g.png"]);
        var c = ds.Load(byId["photo/c.jpg"]);

        // then each keeps its channels, and the PNG its exact pixels
        Assert.Equal(1, g.Channels);
        Assert.Equal(grey.Pixels, g.Pixels);
        Assert.Equal(3, c.Channels);
    }

    [Fact]
    public void Should_SkipAndRecordUnreadable_When_SomeFilesAreCorrupt()
    {
        // given two good images per class, a text file named .jpg and a truncated PNG
        foreach (var cls in new[] { "a", "b" })
        {
            Fixtures.WriteRandom(_dir[$"d/{cls}/1.png"]);
            Fixtures.WriteRandom(_dir[$"d/{cls}/2.png"]);
        }
        Fixtures.WriteText(_dir["d/a/x.jpg"], "hello");
        var good = File.ReadAllBytes(Fixtures.WriteRandom(_dir["tmp.png"], 40, 40));
        File.WriteAllBytes(_dir["d/b/cut.png"], good[..100]);

        // when opened
        var ds = DatasetReader.Open(_dir["d"]);

        // then both bad files are listed with reasons and left out of the items
        Assert.Equal(4, ds.Items.Count);
        Assert.Equal(new[] { _dir["d/a/x.jpg"], _dir["d/b/cut.png"] }, ds.Unreadable.Select(u => u.Path));
        Assert.All(ds.Unreadable, u => Assert.False(string.IsNullOrWhiteSpace(u.Reason)));
        Assert.Contains(ds.Notes, n => n.Contains("2 of 6 image files could not be decoded"));
    }

    [Fact]
    public void Should_KeepOfficialSplit_When_FolderHasSplitFolders()
    {
        // given train/val/test folders (val spelled "valid"), each with class folders
        foreach (var split in new[] { "train", "valid", "test" })
        {
            foreach (var cls in new[] { "normal", "tumour" }) Fixtures.WriteRandom(_dir[$"d/{split}/{cls}/{split}-{cls}.png"]);
        }

        // when opened and split
        var ds = DatasetReader.Open(_dir["d"]);
        var splits = Splitter.Split(ds, seed: 1);

        // then the folders are the split, and the classes are shared
        Assert.Equal(new[] { "normal", "tumour" }, ds.Classes);
        Assert.NotNull(ds.OfficialSplit);
        Assert.Equal("val", ds.OfficialSplit!["valid/tumour/valid-tumour.png"]);
        Assert.Equal("official", splits.Method);
        Assert.Equal(new[] { "train/normal/train-normal.png", "train/tumour/train-tumour.png" }, splits.Train.Select(i => i.Id));
        Assert.Equal(2, splits.Val.Count);
        Assert.Equal(2, splits.Test.Count);
    }

    [Fact]
    public void Should_IgnoreLooseImagesWithNote_When_RootHoldsImagesBesideClassFolders()
    {
        // given class folders and a stray image at the top
        Fixtures.WriteRandom(_dir["d/a/1.png"]);
        Fixtures.WriteRandom(_dir["d/b/1.png"]);
        Fixtures.WriteRandom(_dir["d/stray.png"]);

        // when opened
        var ds = DatasetReader.Open(_dir["d"]);

        // then the stray image is not an item, and a note says so
        Assert.Equal(2, ds.Items.Count);
        Assert.Contains(ds.Notes, n => n.Contains("outside any class folder"));
    }

    [Fact]
    public void Should_LoadConcurrently_When_ManyThreadsAsk()
    {
        // given a small folder dataset
        for (var i = 0; i < 6; i++) Fixtures.WriteRandom(_dir[$"d/{(i % 2 == 0 ? "a" : "b")}/{i}.png"], 8, 8, 3);
        var ds = DatasetReader.Open(_dir["d"]);
        var expected = ds.Items.Select(i => ImageOps.PixelHash(ds.Load(i))).ToArray();

        // when loaded from many threads at once
        var hashes = new string[ds.Items.Count * 20];
        Parallel.For(0, hashes.Length, k => hashes[k] = ImageOps.PixelHash(ds.Load(ds.Items[k % ds.Items.Count])));

        // then every load gives the same pixels
        for (var k = 0; k < hashes.Length; k++) Assert.Equal(expected[k % ds.Items.Count], hashes[k]);
    }
}
