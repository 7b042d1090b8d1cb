using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;

namespace Clinforge.Tests;

/// <summary>Shortcut-aware classification through the product path: `clinforge develop` with a request naming a confounder.</summary>
public sealed class ShortcutWorkflowTests
{
    private const string Request = "Tell melanoma from nevus; don't rely on rulers";

    /// <summary>Tiny lesion images in a CSV whose ruler column mostly marks melanomas; <paramref name="cell"/> may blank or spoil cells.</summary>
    internal static string RulerCsv(TempDir tmp, Func<int, string, string>? cell = null)
    {
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 80, seed: 5, positiveShare: 0.5, size: 16);
        var files = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var csv = tmp.Combine("data", "labels.csv");
        File.WriteAllLines(csv, new[] { "image,diagnosis,ruler" }.Concat(files.Select((f, i) =>
        {
            var label = Path.GetFileName(Path.GetDirectoryName(f))!;
            bool ruler = label.StartsWith("melanoma", StringComparison.Ordinal) ? i % 10 < 7 : i % 10 == 0;
            var value = ruler ? "yes" : "no";
            return $"{Path.GetRelativePath(data, f)},{label},{(cell is null ? value : cell(i, value))}";
        })));
        return csv;
    }

    private static (int Code, string Stdout, string Stderr) Develop(string csv, string run, int rounds) =>
        Repo.RunCli(TimeSpan.FromMinutes(3), "develop", "--request", Request, "--data", csv, "--run", run,
            "--rounds", rounds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--trial-minutes", "0.1", "--non-interactive");

    [Fact]
    public void Should_RunDebiasTrialsInChildProcessesUnderTheShortcutRule_When_TheDataRecordTheNamedConfounder()
    {
        // Given a CSV with a ruler column for every image
        using var tmp = new TempDir();
        var csv = RulerCsv(tmp);
        var run = tmp.Combine("run");

        // When develop runs two refinement rounds
        var (code, _, stderr) = Develop(csv, run, rounds: 2);

        // Then the labels went to the run folder, the debias trial ran as a trial process and is journaled with its source,
        Assert.True(code == 0, stderr);
        var paths = new RunPaths(run);
        Assert.True(File.Exists(paths.ConfounderLabels));
        Assert.Contains("rulers alone predict the label", string.Join(" ", Json.Read<DataCard>(paths.DataCard).Notes));
        using (var journal = new Journal(paths.Journal))
        {
            var trials = journal.Trials();
            Assert.Equal(3, trials.Count);
            Assert.Equal("group_balanced_sampling", trials[1].Move);
            Assert.Equal("adversarial_confounder_head", trials[2].Move);
            Assert.Contains("Sagawa", trials[1].Source);
            Assert.Contains(journal.Events("acceptance"), e => e.Message.StartsWith("shortcut:", StringComparison.Ordinal));
        }
        Assert.Contains("debiasing: group-balanced sampling", File.ReadAllText(paths.Trial(1).Log));
        var metrics = Json.Read<TrialMetrics>(paths.Trial(1).Metrics);
        Assert.NotNull(metrics.Confounder);
        Assert.NotNull(Json.Read<TrialMetrics>(paths.Trial(0).Metrics).Confounder);

        // and final/confound.json carries the baseline (trial 0) and the shortcut summary, shown in both reports
        var confound = Json.Read<ConfoundReport>(paths.Confound);
        Assert.NotNull(confound.Shortcut);
        Assert.Equal(0, confound.Shortcut!.Models[0].Trial);
        Assert.Equal("baseline", confound.Shortcut.Models[0].Model);
        Assert.False(string.IsNullOrWhiteSpace(confound.Shortcut.Verdict));
        Assert.Contains("id=\"shortcut\"", File.ReadAllText(Path.Combine(run, "report", "report.html")));
        Assert.Contains("Debiasing: not relying on rulers", File.ReadAllText(Path.Combine(run, "report", "report.md")));

        // and explain answers from the journal with the rule that decided, and resume continues the finished run without a new look
        var (explainCode, answer, explainErr) = Repo.RunCli(TimeSpan.FromMinutes(1), "explain", run, "why did you add the adversarial head?");
        Assert.True(explainCode == 0, explainErr);
        Assert.Contains("gradient reversal", answer);
        Assert.True(answer.Contains("acceptance rule decided (shortcut:", StringComparison.Ordinal), answer);
        var (resumeCode, _, resumeErr) = Repo.RunCli(TimeSpan.FromMinutes(1), "resume", run);
        Assert.True(resumeCode == 0, resumeErr);
        Assert.Contains("id=\"shortcut\"", File.ReadAllText(Path.Combine(run, "report", "report.html")));
    }

    [Fact]
    public void Should_RerunTheInterruptedDebiasTrialWithTheSameConfounderLabels_When_KilledMidTrialAndResumed()
    {
        // Given a debiasing run with half the ruler column blank (so an auxiliary classifier labels the rest),
        // killed with SIGKILL while trial 1 (group-balanced sampling) is training
        using var tmp = new TempDir();
        var csv = RulerCsv(tmp, (i, v) => i % 2 == 0 ? "" : v);
        var paths = new RunPaths(tmp.Combine("run"));
        Repo.KillCliAfter(paths.Trial(1).Log, TimeSpan.FromSeconds(1.5), "develop", "--request", Request, "--data", csv, "--run", paths.Root,
            "--rounds", "2", "--trial-minutes", "0.15", "--non-interactive", "--threads", "1");
        var labelsBefore = File.ReadAllText(paths.ConfounderLabels);
        var auxiliaryBefore = File.ReadAllText(paths.ConfounderAuxiliary);
        using (var journal = new Journal(paths.Journal)) Assert.Equal([0], journal.Trials().Select(t => t.Number));
        Assert.False(File.Exists(paths.Trial(1).Metrics));

        // When the run is resumed
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "resume", paths.Root);

        // Then the confounder labels and the auxiliary classifier are reused as they were (not retrained), the
        // interrupted debias trial ran again under the shortcut rule, and the test split was looked at once
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal(labelsBefore, File.ReadAllText(paths.ConfounderLabels));
        Assert.Equal(auxiliaryBefore, File.ReadAllText(paths.ConfounderAuxiliary));
        using var after = new Journal(paths.Journal);
        var trials = after.Trials();
        Assert.Equal([0, 1, 2], trials.Select(t => t.Number));
        Assert.Equal("group_balanced_sampling", trials[1].Move);
        Assert.Contains("debiasing: group-balanced sampling", File.ReadAllText(paths.Trial(1).Log));
        Assert.NotNull(Json.Read<TrialMetrics>(paths.Trial(1).Metrics).Confounder);
        // one shortcut-rule decision per trial: none for the killed attempt, one for its rerun
        Assert.Equal([0, 1, 2], after.Events("acceptance").Where(e => e.Message.StartsWith("shortcut:", StringComparison.Ordinal)).Select(e => e.Trial ?? -1));
        Assert.Equal(1, after.TestLookCount);
        Assert.NotNull(Json.Read<ConfoundReport>(paths.Confound).Shortcut);
    }

    [Fact]
    public void Should_LabelTheRestWithAnAuxiliaryClassifier_When_OnlyASubsetIsAnnotated()
    {
        // Given a ruler column filled for two thirds of the images only
        using var tmp = new TempDir();
        var csv = RulerCsv(tmp, (i, v) => i % 3 == 0 ? "" : v);
        var run = tmp.Combine("run");

        // When develop runs the baseline only
        var (code, _, stderr) = Develop(csv, run, rounds: 0);

        // Then an auxiliary classifier was trained in the run folder, its metrics recorded, and its predictions fill the labels
        Assert.True(code == 0, stderr);
        var paths = new RunPaths(run);
        Assert.True(File.Exists(paths.ConfounderAuxiliary));
        var labels = ConfounderLabels.Read(paths.ConfounderLabels);
        Assert.Contains(labels.Values, l => l.Source == "auxiliary");
        Assert.Contains(labels.Values, l => l.Source == "metadata");
        var confound = Json.Read<ConfoundReport>(paths.Confound);
        Assert.NotNull(confound.Shortcut?.Auxiliary);
        Assert.Contains("shortcut-auxiliary", File.ReadAllText(Path.Combine(run, "report", "report.html")));
        // and at the test look the same classifier labelled the unannotated test images, so the confound
        // analysis covers the whole test split, not only its annotated part
        var testLabels = ConfounderLabels.Read(Path.Combine(paths.ConfounderDir, "test_labels.csv"));
        var testIds = Json.Read<Splits>(paths.Splits).Test.Select(i => i.Id).ToList();
        Assert.Equal(testIds.Order(StringComparer.Ordinal), testLabels.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(testLabels.Values, l => l.Source == "auxiliary");
        Assert.Equal(testIds.Count, confound.Models[0].Analysis.Cells.Sum(c => c.Count));
    }

    [Fact]
    public void Should_FailNamingTheFileAndColumn_When_TheConfounderColumnHasInvalidValues()
    {
        // Given a ruler column with an unreadable value
        using var tmp = new TempDir();
        var csv = RulerCsv(tmp, (i, v) => i == 3 ? "maybe" : v);
        var run = tmp.Combine("run");

        // When develop starts
        var (code, _, stderr) = Develop(csv, run, rounds: 0);

        // Then it stops with a message naming the file and the column, and no run is prepared
        Assert.NotEqual(0, code);
        Assert.Contains("labels.csv", stderr);
        Assert.Contains("'ruler'", stderr);
        Assert.Contains("maybe", stderr);
        Assert.False(File.Exists(new RunPaths(run).TaskSpec));
    }

    [Fact]
    public void Should_KeepALessDependentTrial_When_TheShortcutContractDecides()
    {
        // Given a best trial (AUC 0.90, partial r 0.40) and a candidate (AUC 0.885, partial r 0.20)
        var objective = Objective.From(DevelopmentTests.Spec());
        TrialMetrics M(double auc, double r) => new()
        {
            Status = TrialStatus.Succeeded,
            Best = new ValidationMetrics(auc, "auc", auc, double.NaN, double.NaN, double.NaN, double.NaN, 0.5),
            Confounder = new ConfounderDependence("rulers", r, 0.5, 4, 40),
        };
        var best = M(0.90, 0.40);
        var candidate = M(0.885, 0.20);

        // When the default contract and the shortcut contract decide
        var plain = new ObjectiveAcceptance(objective).Decide(candidate, best, 0.90);
        var shortcut = new ShortcutAcceptanceRule(objective, new ShortcutPolicy()).Decide(candidate, best, 0.90);

        // Then only the shortcut rule keeps it, and says which rule did
        Assert.False(plain.Accepted);
        Assert.True(shortcut.Accepted);
        Assert.Equal("shortcut:less_dependent_within_allowed_cost", shortcut.Rule);
        // and without a measured dependence the shortcut contract falls back to the objective and says so
        var fallback = new ShortcutAcceptanceRule(objective, new ShortcutPolicy()).Decide(candidate with { Confounder = null }, best, 0.90);
        Assert.False(fallback.Accepted);
        Assert.Equal("shortcut:objective_fallback", fallback.Rule);
    }

    [Fact]
    public void Should_MakeTheKeptTrialTheBest_When_TheShortcutRuleKeptItWithALowerObjective()
    {
        // Given trial 0 (objective 0.90) and trial 1 kept by the shortcut rule at 0.885 (less reliance on the confounder)
        var t0 = new TrialRecord(0, "initial", "", "", null, TrialStatus.Succeeded, 0.90, true, null, null, DateTimeOffset.UtcNow.AddSeconds(-10));
        var t1 = new TrialRecord(1, "group_balanced_sampling", "", "", null, TrialStatus.Succeeded, 0.885, true, 0.90, null, DateTimeOffset.UtcNow);
        // When the best trial is chosen
        var best = TrialRecord.Best([t0, t1]);
        // Then it is the kept trial, not the one with the higher objective
        Assert.Equal(1, best!.Number);
    }
}
