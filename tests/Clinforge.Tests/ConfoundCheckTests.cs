using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class ConfoundCheckTests
{
    [Fact]
    public void Should_FindTheColumnByTheConfoundersHeadNoun_When_NamesDiffer()
    {
        Assert.Equal("chest_drain", ConfoundCheck.ColumnFor("chest drains", ["sex", "chest_view", "chest_drain"]));
        Assert.Equal("Rulers", ConfoundCheck.ColumnFor("rulers", ["age", "Rulers"]));
        Assert.Null(ConfoundCheck.ColumnFor("chest drains", ["sex", "chest_view"]));
        Assert.Equal((1.0, 0.0, 0.3), (ConfoundCheck.Presence("yes")!.Value, ConfoundCheck.Presence("absent")!.Value, ConfoundCheck.Presence("0.3")!.Value));
        Assert.Null(ConfoundCheck.Presence("unknown"));
    }

    [Fact]
    public void Should_ShowTheShortcutAndTheModelsReliance_When_TheConfounderGoesWithTheLabel()
    {
        // Given development data where 8/10 positives and 1/10 negatives carry a drain, and a test split where a model's
        // false alarms all fall on drain-carrying negatives
        var spec = DevelopmentTests.Spec() with { Classes = ["no", "yes"], PositiveClass = "yes", Confounders = [new Confounder("chest drains", "unknown")] };
        var train = Enumerable.Range(0, 20).Select(i => new DataItem($"t{i}", i % 2)).ToList();
        var test = Enumerable.Range(0, 20).Select(i => new DataItem($"x{i}", i % 2)).ToList();
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        for (int i = 0; i < 20; i++)
        {
            bool pos = i % 2 == 1;
            metadata[$"t{i}"] = new Dictionary<string, string> { ["drain"] = pos ? (i < 16 ? "1" : "0") : (i == 0 ? "1" : "0") };
            metadata[$"x{i}"] = new Dictionary<string, string> { ["drain"] = i % 4 < 2 ? "1" : "0" }; // half of each class
        }
        var splits = new Splits(train, [], test, "stratified", 1);
        // the model: positives 0.6 (three of them 0.8); negatives with a drain 0.7 (a drain detector), without 0.1 —
        // so an operating threshold of 0.6 (as if chosen on validation) catches every positive and every drain-carrying negative
        var probs = test.Select((t, i) => t.Label == 1 ? (i % 8 == 1 ? new[] { 0.2, 0.8 } : new[] { 0.4, 0.6 })
            : metadata[t.Id]["drain"] == "1" ? new[] { 0.3, 0.7 } : new[] { 0.9, 0.1 }).ToArray();
        var table = new PredictionTable(test.Select(t => t.Id).ToArray(), test.Select(t => t.Label).ToArray(), probs);

        // When checked
        var r = ConfoundCheck.Run(spec, splits, metadata, positive: 1, table, 0, 0.6, table, 3, 0.6, seed: 1)!;

        // Then the column is found, the development cross-tab shows the shortcut, the confounder alone predicts the label
        Assert.Equal("drain", r.Column);
        var trainCounts = r.Counts.Single(c => c.Split == "train");
        Assert.Equal((8, 10, 1, 10), (trainCounts.PositivesWith, trainCounts.Positives, trainCounts.NegativesWith, trainCounts.Negatives));
        Assert.Equal(0.85, r.ConfounderOnlyAuc, 9); // (0.8·0.9 + ½(0.8·0.1 + 0.2·0.9)) = 0.72 + 0.13
        // and every false positive of the model carries the confounder, against half of all negatives
        var final = r.Models.Single(m => m.Model == "final");
        Assert.Equal(3, final.Trial);
        Assert.Equal(5, final.Analysis.FalsePositives);
        Assert.Equal(1.0, final.Analysis.FalsePositiveShare);
        Assert.Equal(0.6, final.Analysis.Threshold);
        Assert.Equal((1.0, 1.0), (final.Analysis.FalsePositiveShareLower, final.Analysis.FalsePositiveShareUpper)); // every resample's false alarms carry a drain
        Assert.Equal(0.5, final.Analysis.NegativeShare);
        Assert.True(final.Analysis.PartialCorrelation.Value > 0.5, $"{final.Analysis.PartialCorrelation}");
    }

    [Fact]
    public void Should_WriteTheConfoundPanel_When_DevelopingOnACsvWithTheNamedConfounder()
    {
        // Given lesion images in a CSV with a ruler column that mostly marks melanomas
        using var tmp = new TempDir();
        var csv = ShortcutWorkflowTests.RulerCsv(tmp);

        // When a short run develops with a request that names rulers
        var run = tmp.Combine("run");
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "develop", "--request", "Tell melanoma from nevus; don't rely on rulers", "--data", csv,
            "--run", run, "--rounds", "0", "--trial-minutes", "0.15", "--non-interactive");

        // Then final/confound.json names the column and analyses the models, and the report shows the panel
        Assert.True(code == 0, stderr);
        var report = Json.Read<Clinforge.Evaluation.ConfoundReport>(new RunPaths(run).Confound);
        Assert.Equal(("rulers", "ruler"), (report.Confounder, report.Column));
        Assert.True(report.ConfounderOnlyAuc > 0.7, $"{report.ConfounderOnlyAuc}");
        Assert.NotEmpty(report.Models);
        Assert.Contains("id=\"confound\"", File.ReadAllText(Path.Combine(run, "report", "report.html")));
    }
}
