namespace Clinforge.Data.Tests;

public sealed class GroupedDatasetTests
{
    private static Dataset ThreeClasses()
    {
        var items = Enumerable.Range(0, 6).Select(i => new DataItem($"img{i}", i % 3)).ToList();
        var images = items.Select(i => new RawImage(2, 2, 1, [(byte)i.Label, 0, 0, 0])).ToList();
        return Dataset.InMemory("memory://derm", ["atypical_nevus", "common_nevus", "melanoma"], items, images);
    }

    [Fact]
    public void Should_RelabelItemsIntoTheMergedClasses_When_Grouped()
    {
        // Given three classes and a grouping of the two nevus classes
        var ds = ThreeClasses();
        // When grouped
        var g = ds.Grouped(new Dictionary<string, IReadOnlyList<string>> { ["nevus"] = ["atypical_nevus", "common_nevus"], ["melanoma"] = ["melanoma"] });
        // Then two classes; both nevus kinds carry label 0, melanoma label 1; ids and pixels unchanged
        Assert.Equal(["nevus", "melanoma"], g.Classes);
        Assert.Equal([0, 0, 1, 0, 0, 1], g.Items.Select(i => i.Label));
        Assert.Equal(ds.Items.Select(i => i.Id), g.Items.Select(i => i.Id));
        Assert.Equal(2, g.Load(g.Items[2]).Pixels[0]);
        Assert.Contains(g.Notes, n => n.Contains("nevus = atypical_nevus + common_nevus", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_NameTheClass_When_TheGroupingDoesNotFitTheData()
    {
        var ds = ThreeClasses();
        // a class that does not exist
        var e1 = Assert.Throws<ClinforgeException>(() => ds.Grouped(new Dictionary<string, IReadOnlyList<string>> { ["nevus"] = ["nevi"], ["melanoma"] = ["melanoma", "atypical_nevus", "common_nevus"] }));
        Assert.Contains("'nevi'", e1.Message);
        // a class left out
        var e2 = Assert.Throws<ClinforgeException>(() => ds.Grouped(new Dictionary<string, IReadOnlyList<string>> { ["nevus"] = ["atypical_nevus", "common_nevus"] }));
        Assert.Contains("leaves out 'melanoma'", e2.Message);
        // a class in two groups
        var e3 = Assert.Throws<ClinforgeException>(() => ds.Grouped(new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["melanoma", "common_nevus"], ["b"] = ["common_nevus", "atypical_nevus"] }));
        Assert.Contains("two groups", e3.Message);
    }
}
