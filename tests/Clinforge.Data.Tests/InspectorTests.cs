namespace Clinforge.Data.Tests;

public sealed class InspectorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_CountSizesAndChannels_When_Inspecting()
    {
        // given 30 RGB images of class "a" (20x30) and 8 grey of class "b" (40x40, one 50x20)
        for (var i = 0; i < 30; i++) Fixtures.WriteRandom(_dir[$"d/a/{i:D2}.png"], 20, 30, 3);
        for (var i = 0; i < 7; i++) Fixtures.WriteRandom(_dir[$"d/b/{i}.png"], 40, 40, 1);
        Fixtures.WriteRandom(_dir["d/b/wide.png"], 50, 20, 1);
        var ds = DatasetReader.Open(_dir["d"]);
        var splits = Splitter.Split(ds, 3);

        // when inspected
        var card = Inspector.Inspect(ds, splits, 3);

        // then counts add up per split and class, sizes span both, channels are RGB, notes flag the small class
        Assert.Equal(38, card.TotalItems);
        Assert.Equal(new[] { "train", "val", "test" }, card.Counts.Keys);
        Assert.Equal(30, card.Counts.Values.Sum(c => c["a"]));
        Assert.Equal(8, card.Counts.Values.Sum(c => c["b"]));
        Assert.Equal(splits.Train.Count, card.Counts["train"].Values.Sum());
        Assert.Equal(new SizeSummary(20, 50, 20, 40, 20, 30), card.ImageSizes);
        Assert.Equal(3, card.Channels);
        Assert.Equal("stratified_grouped", card.SplitMethod);
        Assert.Equal(3, card.SplitSeed);
        Assert.Equal("folder", card.Format);
        Assert.Empty(card.CrossSplitDuplicates);
        Assert.Contains(card.Notes, n => n == $"class b has only {card.Counts["train"]["b"]} training images.");
        Assert.Contains(card.Notes, n => n.StartsWith("image sizes vary", StringComparison.Ordinal));
        Assert.Contains(card.Notes, n => n.Contains("grey and the rest colour"));
    }

    [Fact]
    public void Should_ReportDuplicateAcrossSplits_When_SameImageIsPlantedTwice()
    {
        // given a dataset where b/copy.png is a byte-for-byte copy of a/0.png, plus a within-split copy
        for (var i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"d/a/{i}.png"], 8, 8, 3);
        for (var i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"d/b/{i}.png"], 8, 8, 3);
        File.Copy(_dir["d/a/0.png"], _dir["d/b/copy.png"]);
        File.Copy(_dir["d/a/1.png"], _dir["d/a/1-again.png"]);
        var ds = DatasetReader.Open(_dir["d"]);
        var byId = ds.Items.ToDictionary(i => i.Id);
        var train = new[] { "a/0.png", "a/1.png", "a/1-again.png", "a/2.png", "b/0.png", "b/1.png" }.Select(id => byId[id]).ToList();
        var splits = new Splits(train, [byId["a/3.png"], byId["b/2.png"]], [byId["b/3.png"], byId["b/copy.png"]], "stratified_grouped", 0);

        // when inspected
        var card = Inspector.Inspect(ds, splits, 0);

        // then the planted pair is one cross-split group naming both ids and splits; the other is a note only
        var dup = Assert.Single(card.CrossSplitDuplicates);
        Assert.Equal(new[] { "a/0.png", "b/copy.png" }, dup.ItemIds);
        Assert.Equal(new[] { "train", "test" }, dup.Splits);
        Assert.Equal(ImageOps.PixelHash(ds.Load(byId["a/0.png"])), dup.PixelHash);
        Assert.Contains(card.Notes, n => n.Contains("1 duplicate groups cross splits: leakage risk"));
        Assert.Contains(card.Notes, n => n.Contains("1 groups of identical images within one split"));
    }

    [Fact]
    public void Should_ListUnreadableAndUseOneChannel_When_GreyDatasetHasBadFile()
    {
        // given grey images and one unreadable file
        for (var i = 0; i < 3; i++)
        {
            Fixtures.WriteRandom(_dir[$"d/a/{i}.png"], 6, 6, 1);
            Fixtures.WriteRandom(_dir[$"d/b/{i}.png"], 6, 6, 1);
        }
        Fixtures.WriteText(_dir["d/b/bad.png"], "nope");
        var ds = DatasetReader.Open(_dir["d"]);

        // when inspected
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 1), 1);

        // then channels are 1 and the bad file is on the card
        Assert.Equal(1, card.Channels);
        var bad = Assert.Single(card.Unreadable);
        Assert.Equal(_dir["d/b/bad.png"], bad.Path);
        Assert.Equal(6, card.TotalItems);
    }

    [Fact]
    public void Should_ThrowNamingFile_When_ImageBreaksAfterOpening()
    {
        // given an opened dataset whose file is then overwritten with garbage
        for (var i = 0; i < 3; i++)
        {
            Fixtures.WriteRandom(_dir[$"d/a/{i}.png"]);
            Fixtures.WriteRandom(_dir[$"d/b/{i}.png"]);
        }
        var ds = DatasetReader.Open(_dir["d"]);
        File.WriteAllText(_dir["d/a/1.png"], "garbage");

        // when inspected
        var e = Assert.Throws<ClinforgeException>(() => Inspector.Inspect(ds, Splitter.Split(ds, 1), 1));

        // then the message names the file and what to do
        Assert.Contains(_dir["d/a/1.png"], e.Message);
        Assert.Contains("Remove or replace", e.Message);
    }

    [Fact]
    public void Should_RoundTripThroughJson_When_CardIsSaved()
    {
        // given a card from a small dataset
        for (var i = 0; i < 3; i++)
        {
            Fixtures.WriteRandom(_dir[$"d/a/{i}.png"]);
            Fixtures.WriteRandom(_dir[$"d/b/{i}.png"]);
        }
        var ds = DatasetReader.Open(_dir["d"]);
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 2), 2);

        // when written and read back with the house JSON convention
        Json.Write(_dir["datacard.json"], card);
        var back = Json.Read<DataCard>(_dir["datacard.json"]);

        // then the counts and notes survive
        Assert.Equal(card.Counts["val"]["a"], back.Counts["val"]["a"]);
        Assert.Equal(card.Notes, back.Notes);
        Assert.Contains("\"split_method\": \"stratified_grouped\"", File.ReadAllText(_dir["datacard.json"]));
    }
}
