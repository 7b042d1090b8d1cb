using Clinforge.Training;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;

namespace Clinforge.Tests;

/// <summary>The clinforge command as a user runs it: a real process, real data on disk, real trial child processes.</summary>
public sealed class CliTests
{
    [Fact]
    public void Should_LeaveACompleteReadableRunFolder_When_DevelopingOnSyntheticLesions()
    {
        // Given a generated lesion dataset
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 240, seed: 3, positiveShare: 0.35, size: 32);
        var runDir = tmp.Combine("run");

        // When the clinician's request is developed for one refinement round
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop",
            "--request", "Tell melanoma from nevus; please don't miss a melanoma.",
            "--data", data, "--rounds", "1", "--trial-minutes", "0.2", "--run", runDir, "--threads", "1");

        // Then it succeeds and the run folder of DESIGN.md is there
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var run = new RunPaths(runDir);
        foreach (var f in new[] { run.Request, run.TaskSpec, run.DataCard, run.Splits, run.Journal, run.Evaluation, run.TestPredictions, Path.Combine(run.ReportDir, "report.md") })
            Assert.True(File.Exists(f), f);
        foreach (var n in new[] { 0, 1 })
        {
            var t = run.Trial(n);
            foreach (var f in new[] { t.Recipe, t.Metrics, t.Log, t.Model, t.ValPredictions })
                Assert.True(File.Exists(f), f);
        }

        // The spec matched the request to the data's class names and the clinician's preference
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        Assert.Equal("melanoma_like", spec.PositiveClass);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);

        // The test split was opened exactly once, by the final evaluation, and the predictions cover exactly it
        using var journal = new Journal(run.Journal);
        Assert.Equal(1, journal.TestLookCount);
        var splits = Json.Read<Splits>(run.Splits);
        var predictions = PredictionTable.Read(run.TestPredictions);
        Assert.Equal(splits.Test.Select(i => i.Id).Order(), predictions.Ids.Order());
        Assert.DoesNotContain(PredictionTable.Read(run.Trial(0).ValPredictions).Ids, id => splits.Test.Any(t => t.Id == id));

        // Every test number has a CI around it, and the model learned something
        var evaluation = Json.Read<FinalEvaluation>(run.Evaluation);
        Assert.All(evaluation.Final.Metrics.Values, m => Assert.True(m.Lower <= m.Value + 1e-9 && m.Value <= m.Upper + 1e-9, $"{m}"));
        Assert.True(evaluation.Final.Metrics["auc"].Value > 0.6, $"test AUC {evaluation.Final.Metrics["auc"].Value}");
        Assert.Equal(FinalEvaluator.Resamples, evaluation.BootstrapResamples);

        // The report tells the story: request, understanding, rounds, test results with CIs, protocol
        var report = File.ReadAllText(Path.Combine(run.ReportDir, "report.md"));
        Assert.Contains("Tell melanoma from nevus", report);
        Assert.Contains("## Development rounds", report);
        Assert.Contains("recipe v0", report);
        Assert.Contains("95% stratified percentile bootstrap", report);
        Assert.Contains("looked at 1 time(s)", report);
        // and which convolution path trained the model, as the machine's self-check decided it
        Assert.Contains("Numerics, checked on the training machine before training: convolutions: " + ConvolutionCheck.Current.Name, report);

        // Example test images were saved during the one look and are embedded in the HTML report
        var examples = Json.Read<List<ExampleImage>>(Path.Combine(run.ExamplesDir, "examples.json"));
        Assert.NotEmpty(examples);
        Assert.All(examples, x => Assert.True(File.Exists(Path.Combine(run.ExamplesDir, x.File)), x.File));
        Assert.All(examples, x => Assert.Contains(x.Id, splits.Test.Select(t => t.Id)));
        var html = File.ReadAllText(Path.Combine(run.ReportDir, "report.html"));
        Assert.Contains("Example test images", html);
        Assert.Contains("data:image/png;base64,", html);
        // each with its Grad-CAM overlay, saved during the same look and embedded beside it
        Assert.All(examples, x => Assert.True(x.Saliency is not null && File.Exists(Path.Combine(run.ExamplesDir, x.Saliency)), x.Saliency));
        Assert.Equal(examples.Count, System.Text.RegularExpressions.Regex.Matches(html, "class=\"gradcam\"").Count);

        // And a second evaluation is refused by the journal when asked directly
        Assert.Throws<ClinforgeException>(() => SplitStore.OpenTest(run, journal, "peek", allowRepeat: false));
    }

    [Fact]
    public void Should_ExitNonZeroNamingThePath_When_TheDataFolderIsMissing()
    {
        // Given a path that does not exist / When developing / Then a clear error and no stack trace
        using var tmp = new TempDir();
        var missing = tmp.Combine("nope");
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "find pneumonia", "--data", missing, "--run", tmp.Combine("run"));
        Assert.NotEqual(0, code);
        Assert.Contains(missing, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(tmp.Combine("run")));
    }

    [Fact]
    public void Should_ExitNonZeroAndWriteNoSpec_When_TheRequestNamesAClassTheDataLacks()
    {
        // Given lesion data and a request about pneumothorax
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 30, seed: 1, positiveShare: 0.5, size: 16);
        // When developing
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "Detect pneumothorax on these images", "--data", data, "--run", tmp.Combine("run"));
        // Then it refuses, says which word and which classes exist, and leaves no spec that looks complete
        Assert.NotEqual(0, code);
        Assert.Contains("pneumothorax", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("melanoma_like", stderr);
        Assert.False(Directory.Exists(tmp.Combine("run")));
    }

    [Fact]
    public void Should_ExitNonZeroNamingTheFolder_When_TheDataFolderIsEmpty()
    {
        // Given an empty folder / When developing / Then a clear error naming it
        using var tmp = new TempDir();
        var empty = Directory.CreateDirectory(tmp.Combine("empty")).FullName;
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "find pneumonia", "--data", empty, "--run", tmp.Combine("run"));
        Assert.NotEqual(0, code);
        Assert.Contains(empty, stderr);
        Assert.False(Directory.Exists(tmp.Combine("run")));
    }

    [Fact]
    public void Should_ExitNonZeroNamingTheCsv_When_ItHasNoUsableLabelColumn()
    {
        // Given images and a CSV that lists them with nothing but free text per row
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 12, seed: 2, positiveShare: 0.5, size: 16);
        var files = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories);
        var csv = tmp.Combine("data", "labels.csv");
        File.WriteAllLines(csv, new[] { "image,comment" }
            .Concat(files.Select((f, i) => $"{Path.GetRelativePath(Path.GetDirectoryName(csv)!, f)},free text number {i} that is unique")));
        // When developing on the CSV
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "tell melanoma from nevus", "--data", csv, "--run", tmp.Combine("run"));
        // Then it refuses, naming the CSV
        Assert.NotEqual(0, code);
        Assert.Contains("labels.csv", stderr);
        Assert.Contains("label", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(tmp.Combine("run")));
    }

    [Fact]
    public void Should_RejectATypo_When_AnOptionIsUnknown()
    {
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "x", "--data", "y", "--rondus", "3");
        Assert.Equal(2, code);
        Assert.Contains("--rondus", stderr);
    }
}
