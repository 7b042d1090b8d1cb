namespace Clinforge.Data.Tests;

public sealed class SplitterTests
{
    private static List<DataItem> Items(params int[] perClass)
    {
        var items = new List<DataItem>();
        for (var c = 0; c < perClass.Length; c++)
            for (var i = 0; i < perClass[c]; i++) items.Add(new DataItem($"c{c}/{i}", c));
        return items;
    }

    private static void AssertPartition(IReadOnlyList<DataItem> all, Splits s)
    {
        var ids = s.Train.Concat(s.Val).Concat(s.Test).Select(i => i.Id).ToList();
        Assert.Equal(all.Count, ids.Count);
        Assert.Equal(all.Select(i => i.Id).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_GiveSameSplit_When_SeedRepeats()
    {
        // given one dataset
        var items = Items(120, 40);
        var ds = Fixtures.MemoryDataset(items, 2);

        // when split twice with seed 7 and once with seed 8
        var a = Splitter.Split(ds, 7);
        var b = Splitter.Split(ds, 7);
        var c = Splitter.Split(ds, 8);

        // then the same seed gives the same ids, another seed other ids
        Assert.Equal(a.Test.Select(i => i.Id), b.Test.Select(i => i.Id));
        Assert.Equal(a.Val.Select(i => i.Id), b.Val.Select(i => i.Id));
        Assert.NotEqual(a.Test.Select(i => i.Id), c.Test.Select(i => i.Id));
        Assert.Equal("stratified_grouped", a.Method);
        Assert.Equal(7, a.Seed);
    }

    [Fact]
    public void Should_Stratify70_15_15_When_ItemsHaveNoGroups()
    {
        // given 600 / 300 / 100 items in three classes
        var items = Items(600, 300, 100);
        var ds = Fixtures.MemoryDataset(items, 3);

        // when split
        var s = Splitter.Split(ds, 3);

        // then every item is in exactly one split and each class is within one item of 70/15/15
        AssertPartition(items, s);
        var perClass = new[] { 600, 300, 100 };
        for (var c = 0; c < 3; c++)
        {
            Assert.InRange(s.Train.Count(i => i.Label == c), 0.70 * perClass[c] - 1, 0.70 * perClass[c] + 1);
            Assert.InRange(s.Val.Count(i => i.Label == c), 0.15 * perClass[c] - 1, 0.15 * perClass[c] + 1);
            Assert.InRange(s.Test.Count(i => i.Label == c), 0.15 * perClass[c] - 1, 0.15 * perClass[c] + 1);
        }
    }

    [Fact]
    public void Should_HonourOtherFractions_When_Asked()
    {
        // given 1000 items of two classes
        var ds = Fixtures.MemoryDataset(Items(500, 500), 2);

        // when split 60/20/20
        var s = Splitter.Split(ds, 1, train: 0.6, val: 0.2);

        // then the sizes follow
        Assert.Equal((600, 200, 200), (s.Train.Count, s.Val.Count, s.Test.Count));
    }

    [Fact]
    public void Should_KeepGroupsWhole_When_PatientsHaveSeveralImages()
    {
        // given 120 patients with 1 to 6 images each; a patient's images mostly share a label
        var rng = new Random(5);
        var items = new List<DataItem>();
        for (var p = 0; p < 120; p++)
        {
            var label = p % 4 == 0 ? 1 : 0;
            var n = 1 + rng.Next(6);
            for (var k = 0; k < n; k++) items.Add(new DataItem($"p{p}/{k}", k == 5 ? 1 - label : label, $"P{p}"));
        }
        var ds = Fixtures.MemoryDataset(items, 2, groupColumn: "patient_id");

        // when split
        var s = Splitter.Split(ds, 11);

        // then no patient straddles splits, and the sizes stay near 70/15/15
        AssertPartition(items, s);
        var splitOf = new Dictionary<string, HashSet<string>>();
        foreach (var (list, name) in new[] { (s.Train, "train"), (s.Val, "val"), (s.Test, "test") })
            foreach (var item in list)
            {
                if (!splitOf.TryGetValue(item.Group!, out var set)) splitOf[item.Group!] = set = [];
                set.Add(name);
            }
        Assert.All(splitOf.Values, set => Assert.Single(set));
        Assert.InRange(s.Train.Count / (double)items.Count, 0.65, 0.75);
        Assert.InRange(s.Val.Count / (double)items.Count, 0.11, 0.19);
        Assert.InRange(s.Test.Count / (double)items.Count, 0.11, 0.19);
        foreach (var split in new[] { s.Train, s.Val, s.Test }) Assert.Contains(split, i => i.Label == 1);
    }

    [Fact]
    public void Should_PutRareClassInEverySplit_When_ClassHasThreeItems()
    {
        // given 97 common items and 3 of a rare class
        var ds = Fixtures.MemoryDataset(Items(97, 3), 2);

        // when split with several seeds
        foreach (var seed in new[] { 0, 1, 2, 3, 4 })
        {
            var s = Splitter.Split(ds, seed);

            // then the rare class has one item in each split
            Assert.Single(s.Train, i => i.Label == 1);
            Assert.Single(s.Val, i => i.Label == 1);
            Assert.Single(s.Test, i => i.Label == 1);
        }
    }

    [Fact]
    public void Should_KeepOfficialSplit_When_SourceHasOne()
    {
        // given items with an official split
        var items = Items(6, 6);
        var official = items.ToDictionary(i => i.Id, i => int.Parse(i.Id.Split('/')[1]) switch { < 4 => "train", 4 => "val", _ => "test" });
        var ds = Fixtures.MemoryDataset(items, 2, official);

        // when split
        var s = Splitter.Split(ds, 99);

        // then the official assignment is kept as it is
        Assert.Equal("official", s.Method);
        Assert.All(s.Train, i => Assert.Equal("train", official[i.Id]));
        Assert.All(s.Val, i => Assert.Equal("val", official[i.Id]));
        Assert.All(s.Test, i => Assert.Equal("test", official[i.Id]));
        Assert.Equal((8, 2, 2), (s.Train.Count, s.Val.Count, s.Test.Count));
    }

    [Fact]
    public void Should_DrawValFromTrain_When_OfficialSplitHasNoVal()
    {
        // given an official split with train and test only
        var items = Items(50, 50);
        var official = items.ToDictionary(i => i.Id, i => int.Parse(i.Id.Split('/')[1]) < 40 ? "train" : "test");
        var ds = Fixtures.MemoryDataset(items, 2, official);

        // when split with val = 0.15
        var s = Splitter.Split(ds, 5);

        // then test is untouched and val comes out of train, stratified
        Assert.Equal(20, s.Test.Count);
        Assert.All(s.Test, i => Assert.Equal("test", official[i.Id]));
        Assert.All(s.Val, i => Assert.Equal("train", official[i.Id]));
        Assert.InRange(s.Val.Count, 12, 16);
        Assert.Equal(s.Val.Count(i => i.Label == 0), s.Val.Count(i => i.Label == 1));
        AssertPartition(items, s);
    }
}
