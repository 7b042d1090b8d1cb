using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class SubgroupAnalysisTests
{
    [Fact]
    public void Should_BandAgesAndKeepCategories_When_ReadingMetadataColumns()
    {
        // Ages become clinical bands, missing cells a group of their own
        var (ages, how) = SubgroupAnalysis.Groups("age_years", ["12", "25", "45", "", "79.5", "80"]);
        Assert.Equal(["0–17", "18–39", "40–59", "missing", "60–79", "≥80"], ages!);
        Assert.Equal("age bands (years)", how);
        // a categorical column keeps its values
        Assert.Equal(["F", "M", "F"], SubgroupAnalysis.Groups("sex", ["F", "M", "F"]).Groups!);
        // identifiers (too many values) and constants are not groupings
        Assert.Null(SubgroupAnalysis.Groups("scan_id", Enumerable.Range(0, 40).Select(i => $"S{i}").ToList()).Groups);
        Assert.Null(SubgroupAnalysis.Groups("site", ["A", "A", "A"]).Groups);
    }

    [Fact]
    public void Should_ReportPerGroupMetricsWithIntervals_When_TheModelDiffersBetweenGroups()
    {
        // Given 40 test cases: the model separates perfectly in women and not at all in men
        var ids = Enumerable.Range(0, 40).Select(i => $"img{i}").ToArray();
        var labels = ids.Select((_, i) => i % 2).ToArray(); // class 1 is the positive class
        var probs = ids.Select((_, i) => i < 20
            ? (i % 2 == 1 ? new[] { 0.1, 0.9 } : new[] { 0.9, 0.1 })   // women: right with margin
            : (i / 2 % 2 == 0 ? new[] { 0.4, 0.6 } : new[] { 0.6, 0.4 }))   // men: scores unrelated to the label
            .ToArray();
        var test = new PredictionTable(ids, labels, probs);
        var metadata = ids.Select((id, i) => (id, (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["sex"] = i < 20 ? "F" : "M" }))
            .ToDictionary(x => x.id, x => x.Item2);

        // When analysed at threshold 0.5
        var tables = SubgroupAnalysis.Compute(test, metadata, positive: 1, threshold: 0.5, seed: 3);

        // Then one table for sex: women AUC 1 with sensitivity and specificity 1; men AUC 0.5 with an interval around it
        var t = Assert.Single(tables);
        Assert.Equal("sex", t.Column);
        var f = t.Rows.Single(r => r.Group == "F");
        var m = t.Rows.Single(r => r.Group == "M");
        Assert.Equal((20, 10), (f.Count, f.Positives));
        Assert.Equal(1.0, f.Auc.Value, 9);
        Assert.Equal((1.0, 1.0), (f.Sensitivity.Value, f.Specificity.Value));
        Assert.Equal(0.5, m.Auc.Value, 9);
        Assert.True(m.Auc.Lower < 0.5 && m.Auc.Upper > 0.5, $"{m.Auc}");
        Assert.Equal((0.5, 0.5), (m.Sensitivity.Value, m.Specificity.Value));
        // and nothing is computed for a multi-class table
        Assert.Empty(SubgroupAnalysis.Compute(new PredictionTable(ids, labels, probs.Select(p => new[] { p[0], p[1], 0.0 }).ToArray()), metadata, 1, 0.5, 3));
    }
}

public sealed class SubgroupEndToEndTests
{
    [Fact]
    public void Should_WriteSubgroupTablesAndShowThem_When_TheCsvHasAMetadataColumn()
    {
        // Given lesion images listed in a CSV with a sex and an age column
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 80, seed: 4, positiveShare: 0.5, size: 16);
        var files = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var csv = tmp.Combine("data", "labels.csv");
        File.WriteAllLines(csv, new[] { "image,diagnosis,sex,age" }.Concat(files.Select((f, i) =>
            $"{Path.GetRelativePath(data, f)},{Path.GetFileName(Path.GetDirectoryName(f))},{(i % 2 == 0 ? "F" : "M")},{30 + i % 50}")));

        // When a short run develops on the CSV
        var run = tmp.Combine("run");
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "develop", "--request", "Tell melanoma from nevus", "--data", csv,
            "--run", run, "--rounds", "0", "--trial-minutes", "0.15", "--non-interactive");

        // Then final/subgroups.json holds a table for sex (F, M) and one for age bands, and both reports show them
        Assert.True(code == 0, stderr);
        var tables = Json.Read<List<SubgroupTable>>(new RunPaths(run).Subgroups);
        Assert.Equal(["F", "M"], tables.Single(t => t.Column == "sex").Rows.Select(r => r.Group));
        Assert.Equal("age bands (years)", tables.Single(t => t.Column == "age").Grouping);
        Assert.Equal(Json.Read<Splits>(new RunPaths(run).Splits).Test.Count, tables[0].Rows.Sum(r => r.Count));
        Assert.Contains("id=\"subgroups\"", File.ReadAllText(Path.Combine(run, "report", "report.html")));
        Assert.Contains("## Subgroups (test split, final model)", File.ReadAllText(Path.Combine(run, "report", "report.md")));
    }
}
