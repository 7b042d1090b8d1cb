using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// The one look at the sealed test split: the initial (trial 0) and final (best) models are scored
/// on the same test images; each metric gets a stratified 95% bootstrap CI and final − initial a
/// paired bootstrap test on the same resamples (Efron and Tibshirani 1993). Thresholds come from
/// validation, never from test.
/// </summary>
public static class FinalEvaluator
{
    /// <summary>Bootstrap resamples (the issue asks for ≥ 2000).</summary>
    public const int Resamples = 2000;

    /// <summary>
    /// Runs the evaluation and writes final/evaluation.json and final/test_predictions.csv. The look is a
    /// transaction: it is journaled, the models' test predictions are saved, and only the saved
    /// predictions are used. With <paramref name="interrupted"/> (a look journaled without
    /// evaluation.json) the same look is finished, from the saved predictions when they are complete,
    /// else by scoring again (nothing had been written or shown); it stays one look.
    /// </summary>
    public static FinalEvaluation Evaluate(RunPaths run, Journal journal, IModelScorer scorer, TaskSpec spec, DataCard card, int seed, bool interrupted)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(scorer);
        var best = TestLook.BestOf(run, journal);

        var purpose = $"final evaluation of trial 0 (initial) and trial {best.Number} (final)";
        var test = interrupted ? SplitStore.ContinueTest(run, journal) : SplitStore.OpenTest(run, journal, purpose, allowRepeat: false);
        var lookedAt = interrupted ? journal.Events("test_look")[^1].Time : DateTimeOffset.UtcNow;
        var ids = test.Select(i => i.Id).ToArray();
        var labels = test.Select(i => i.Label).ToArray();
        // The negotiated operating point (final/trade_off.json) when the stated floors conflicted.
        var objective = TradeOffs.ObjectiveFor(run, spec);
        int positive = spec.ReportedClassIndex(card.Classes);

        var initialPath = run.InitialTestPredictions;
        bool saved = interrupted && Saved(run.TestPredictions, ids) && (best.Number == 0 || Saved(initialPath, ids));
        if (interrupted)
            journal.Event("test_look_resumed", $"the test look journaled at {lookedAt:u} was interrupted before its results were written; it is finished now " +
                (saved ? "from the predictions it had saved" : "by scoring again (no prediction had been saved, nothing had been shown)") + "; it is still one look");
        if (!saved)
        {
            var scoredInitial = scorer.Predict(run.Trial(0), test);
            var scoredFinal = best.Number == 0 ? scoredInitial : scorer.Predict(run.Trial(best.Number), test);
            // The initial model's file first: the final one, written last, is what marks the predictions complete.
            if (best.Number != 0) PredictionTable.Write(initialPath, ids, labels, scoredInitial, card.Classes);
            PredictionTable.Write(run.TestPredictions, ids, labels, scoredFinal, card.Classes);
        }
        // Saved first, then used: the numbers come from the files, so an interrupted look gives the same ones.
        var finalProbs = PredictionTable.Read(run.TestPredictions).Probabilities.ToArray();
        var initialProbs = best.Number == 0 ? finalProbs : PredictionTable.Read(initialPath).Probabilities.ToArray();

        var initial = Score(run, 0, "initial", objective, labels, initialProbs, positive, card, seed);
        var final = Score(run, best.Number, "final", objective, labels, finalProbs, positive, card, seed);
        var comparisons = new List<PairedComparison>();
        foreach (var name in final.Metrics.Keys)
        {
            var stat = MetricFunction(name, labels, positive, card.Classes.Count);
            var a = stat(initialProbs, initial.Threshold);
            var b = stat(finalProbs, final.Threshold);
            var r = Bootstrap.PairedTest(labels.Length, idx => a(idx), idx => b(idx), Resamples, seed, labels);
            comparisons.Add(new PairedComparison(name, r.Difference, r.DifferenceInterval.Lower, r.DifferenceInterval.Upper, r.PValue, "paired stratified bootstrap"));
        }

        var evaluation = new FinalEvaluation
        {
            LookedAt = lookedAt,
            TestCases = labels.Length,
            TestCounts = card.Classes.Select((c, i) => (c, labels.Count(l => l == i))).ToDictionary(x => x.c, x => x.Item2),
            ObjectiveName = objective.Describe(),
            PositiveClass = positive >= 0 ? card.Classes[positive] : "",
            Initial = initial,
            Final = final,
            Comparisons = comparisons,
            BootstrapResamples = Resamples,
            BootstrapSeed = seed,
            TestLooks = journal.TestLookCount,
        };
        Json.Write(run.Evaluation, evaluation);
        journal.Event("evaluation", $"test evaluation written: initial trial 0, final trial {best.Number}");
        return evaluation;
    }

    /// <summary>Whether a saved prediction file holds exactly these test images, in order.</summary>
    private static bool Saved(string path, string[] ids)
    {
        if (!File.Exists(path)) return false;
        try { return PredictionTable.Read(path).Ids.SequenceEqual(ids, StringComparer.Ordinal); }
        catch (ClinforgeException) { return false; }
    }

    private static ModelTestResult Score(RunPaths run, int trial, string label, Objective objective, int[] labels, double[][] probs, int positive, DataCard card, int seed)
    {
        double threshold = double.NaN; string rule = "argmax";
        Dictionary<string, Estimate>? expected = null;
        if (card.Classes.Count == 2)
        {
            // The operating threshold is chosen on this trial's validation predictions (out-of-fold ones
            // under cross-validation): Youden, or the clinician's operating point, a stated sensitivity
            // floor with a margin for new patients; it is applied unchanged to test.
            var val = PredictionTable.Read(run.Trial(trial).ValPredictions);
            var valScores = val.Probabilities.Select(p => p[positive]).ToArray();
            var valBinary = val.Labels.Select(l => l == positive ? 1 : 0).ToArray();
            var chosen = ObjectiveEvaluator.ChooseThresholdForNewPatients(objective, valBinary, valScores);
            threshold = chosen.Threshold; rule = chosen.Rule;
            expected = Expected(valBinary, valScores, threshold);
        }
        return new ModelTestResult(trial, label, threshold, rule, MetricsWithIntervals(labels, probs, positive, card.Classes.Count, threshold, seed), expected);
    }

    /// <summary>Sensitivity and specificity at <paramref name="threshold"/> on the predictions it was chosen on, with 95% Wilson intervals.</summary>
    public static Dictionary<string, Estimate>? Expected(int[] binaryLabels, double[] scores, double threshold)
    {
        if (double.IsNaN(threshold) || binaryLabels.Distinct().Count() < 2) return null;
        var c = BinaryMetrics.ConfusionAt(binaryLabels, scores, threshold);
        Estimate Rate(int k, int n)
        {
            var (lo, hi) = Wilson.Interval(k, n);
            return new Estimate((double)k / n, lo, hi);
        }
        return new Dictionary<string, Estimate>(StringComparer.Ordinal)
        {
            ["sensitivity"] = Rate(c.Tp, c.Tp + c.Fn),
            ["specificity"] = Rate(c.Tn, c.Tn + c.Fp),
        };
    }

    /// <summary>
    /// Every reported metric at <paramref name="threshold"/> with a 95% stratified percentile
    /// bootstrap interval (<see cref="Resamples"/> resamples, seeded): the test look's numbers, and
    /// those of an external evaluation of a package.
    /// </summary>
    public static IReadOnlyDictionary<string, Estimate> MetricsWithIntervals(int[] labels, double[][] probs, int positive, int classes, double threshold, int seed)
    {
        var metrics = new Dictionary<string, Estimate>();
        foreach (var name in MetricNames(classes, positive))
        {
            var f = MetricFunction(name, labels, positive, classes)(probs, threshold);
            var ci = Bootstrap.Percentile(labels.Length, idx => f(idx), Resamples, seed, labels);
            metrics[name] = new Estimate(f(Enumerable.Range(0, labels.Length).ToArray()), ci.Lower, ci.Upper);
        }
        return metrics;
    }

    /// <summary>Metrics reported for a task with <paramref name="classes"/> classes.</summary>
    public static IReadOnlyList<string> MetricNames(int classes, int positive) => classes == 2
        ? ["auc", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1", "balanced_accuracy", "accuracy_at_0.5"]
        : positive >= 0
            ? ["macro_auc", "accuracy", "balanced_accuracy", "macro_f1", "priority_auc", "priority_sensitivity", "priority_specificity"]
            : ["macro_auc", "accuracy", "balanced_accuracy", "macro_f1"];

    /// <summary>A metric as a function of resampled indices, for bootstrap.</summary>
    private static Func<double[][], double, Func<int[], double>> MetricFunction(string name, int[] labels, int positive, int classes) =>
        (probs, threshold) => idx =>
        {
            var y = idx.Select(i => labels[i]).ToArray();
            var p = idx.Select(i => probs[i]).ToArray();
            if (classes == 2)
            {
                var yb = y.Select(l => l == positive ? 1 : 0).ToArray();
                var s = p.Select(r => r[positive]).ToArray();
                if (name == "auc") return BinaryMetrics.Auc(yb, s);
                var c = BinaryMetrics.ConfusionAt(yb, s, name == "accuracy_at_0.5" ? 0.5 : threshold);
                return name switch
                {
                    "accuracy" or "accuracy_at_0.5" => c.Accuracy,
                    "sensitivity" => c.Sensitivity,
                    "specificity" => c.Specificity,
                    "ppv" => c.Ppv,
                    "npv" => c.Npv,
                    "f1" => c.F1,
                    "balanced_accuracy" => c.BalancedAccuracy,
                    _ => throw new InvalidOperationException(name),
                };
            }
            return name switch
            {
                "macro_auc" => MulticlassMetrics.MacroAuc(y, p),
                "accuracy" => MulticlassMetrics.Accuracy(y, p),
                "balanced_accuracy" => MulticlassMetrics.BalancedAccuracy(y, p),
                "macro_f1" => MulticlassMetrics.MacroF1(y, p),
                "priority_auc" => BinaryMetrics.Auc(y.Select(l => l == positive ? 1 : 0).ToArray(), p.Select(r => r[positive]).ToArray()),
                "priority_sensitivity" => MulticlassMetrics.OneVsRest(y, p, positive).Sensitivity,
                "priority_specificity" => MulticlassMetrics.OneVsRest(y, p, positive).Specificity,
                _ => throw new InvalidOperationException(name),
            };
        };

}
