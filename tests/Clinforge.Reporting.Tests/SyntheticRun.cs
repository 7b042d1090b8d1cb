using Clinforge.Core;

namespace Clinforge.Reporting.Tests;

/// <summary>
/// A small run folder written by hand: 10 test cases with known probabilities, an evaluation.json and
/// three journal trials, so every number the report shows can be checked by hand.
/// </summary>
internal sealed class SyntheticRun : IDisposable
{
    public RunPaths Run { get; }
    public IReadOnlyList<TrialRecord> Trials { get; }
    public IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> Looks { get; }
    public static readonly DateTimeOffset LookTime = new(2026, 11, 26, 19, 50, 25, TimeSpan.Zero);

    // labels 1 = lesion; threshold 0.5 gives TP 4 (0.9,0.8,0.7,0.6), FN 1 (0.3), FP 1 (0.55), TN 4.
    public static readonly int[] Labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    public static readonly double[] Final = [0.9, 0.8, 0.7, 0.6, 0.3, 0.55, 0.4, 0.2, 0.1, 0.05];
    public static readonly double[] Initial = [0.6, 0.7, 0.4, 0.45, 0.2, 0.65, 0.5, 0.3, 0.35, 0.1];

    public SyntheticRun(bool evaluated = true)
    {
        Run = new RunPaths(Directory.CreateTempSubdirectory("clinforge-report-").FullName);
        File.WriteAllText(Run.Request, "Find melanoma versus benign nevus; missing a melanoma is worse.");
        var classes = new[] { "benign", "melanoma" };
        Json.Write(Run.TaskSpec, new TaskSpec
        {
            Request = "Find melanoma versus benign nevus; missing a melanoma is worse.",
            Classes = classes,
            PositiveClass = "melanoma",
            ErrorPreference = ErrorPreference.Sensitivity,
            PrimaryMetric = "auc",
            Provenance = new Dictionary<string, string> { ["positive_class"] = "Find melanoma", ["error_preference"] = "missing a melanoma is worse" },
            Restatement = "I understood: a model that finds melanoma among benign nevi.",
        });
        Json.Write(Run.DataCard, new DataCard
        {
            Format = "folder",
            Source = "/data/skin",
            Classes = classes,
            TotalItems = 50,
            Counts = new Dictionary<string, IReadOnlyDictionary<string, int>>
            {
                ["train"] = new Dictionary<string, int> { ["benign"] = 16, ["melanoma"] = 14 },
                ["val"] = new Dictionary<string, int> { ["benign"] = 5, ["melanoma"] = 5 },
                ["test"] = new Dictionary<string, int> { ["benign"] = 5, ["melanoma"] = 5 },
            },
            ImageSizes = new SizeSummary(28, 28, 28, 28, 28, 28),
            Channels = 3,
            SplitMethod = "stratified_grouped",
            SplitSeed = 17,
        });
        var t0 = LookTime.AddMinutes(-30);
        Trials =
        [
            new TrialRecord(0, "init", "recipe v0 from the initializer", "The starting pipeline.", null, TrialStatus.Succeeded, 0.8125, true, null, null, t0),
            new TrialRecord(1, "loss", "loss cross-entropy → focal", "Hard examples dominate.", "Lin et al. 2017", TrialStatus.Succeeded, 0.7750, false, 0.8125, null, t0.AddMinutes(5)),
            new TrialRecord(2, "width", "width 16 → 32", "Underfitting.", "Zagoruyko & Komodakis 2016", TrialStatus.Succeeded, 0.8750, true, 0.8125, null, t0.AddMinutes(10)),
        ];
        Looks = evaluated ? [(LookTime, "test_look", "first look at the sealed test split: final evaluation of trial 0 (initial) and trial 2 (final)")] : [];
        if (!evaluated) return;
        var ids = Enumerable.Range(0, 10).Select(i => $"test/{i}").ToArray();
        PredictionTable.Write(Run.TestPredictions, ids, Labels, Final.Select(p => new[] { 1 - p, p }).ToArray(), classes);
        PredictionTable.Write(Run.InitialTestPredictions, ids, Labels, Initial.Select(p => new[] { 1 - p, p }).ToArray(), classes);
        Json.Write(Run.Evaluation, new FinalEvaluation
        {
            LookedAt = LookTime,
            TestCases = 10,
            TestCounts = new Dictionary<string, int> { ["benign"] = 5, ["melanoma"] = 5 },
            ObjectiveName = "auc",
            PositiveClass = "melanoma",
            Initial = new ModelTestResult(0, "initial", 0.45, "Youden's J", new Dictionary<string, Estimate> { ["auc"] = new(0.72, 0.41, 0.98), ["sensitivity"] = new(0.6, 0.2, 1.0) }),
            Final = new ModelTestResult(2, "final", 0.5, "Youden's J", new Dictionary<string, Estimate> { ["auc"] = new(0.96, 0.85, 1.0), ["sensitivity"] = new(0.8, 0.4, 1.0) }),
            Comparisons = [new PairedComparison("auc", 0.24, 0.02, 0.51, 0.031, "DeLong"), new PairedComparison("sensitivity", 0.2, -0.2, 0.6, 0.42, "paired stratified bootstrap")],
            BootstrapResamples = 2000,
            BootstrapSeed = 17,
        });
    }

    public void Dispose() => Directory.Delete(Run.Root, recursive: true);
}
