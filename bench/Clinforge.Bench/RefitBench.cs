using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;

namespace Clinforge.Bench;

/// <summary>
/// The final model of a cross-validated run, two ways, on the same sealed test split: the average of
/// the fold models (what a run packages) against one model refit on the whole development pool with the
/// final recipe, for as many epochs as the fold models trained on average. Both use the threshold the run
/// chose on the pooled out-of-fold predictions, so the comparison asks which model that threshold (and the
/// expected sensitivity stated with it) transfers to. Reads the folders left by <c>bench -- small-data</c>
/// (or any finished run with <c>--protocol folds</c>), trains the refit in the bench process, and prints
/// test AUC with a paired bootstrap difference, sensitivity and specificity at the run's threshold,
/// and training time, per run and on average. It also prints what the ensemble gives on test at the
/// threshold that meets the floor at its point estimate on the out-of-fold predictions (the
/// <c>point_estimate</c> option of the margin trade-off), next to the margin threshold the run used.
/// </summary>
/// <remarks>
/// The refit never sees the test images; scoring every model on test is a bench-only check, as in
/// <see cref="SmallDataBench"/>. Refitting on all the data is the textbook finish of cross-validation
/// (Hastie, Tibshirani and Friedman 2009, §7.10); averaging the fold models is the alternative that keeps
/// the out-of-fold threshold tied to the models it was measured on.
/// </remarks>
internal static class RefitBench
{
    private const int Resamples = 2000;

    private sealed record Row(string Run, Estimate EnsembleAuc, Estimate RefitAuc, Bootstrap.PairedTestResult Difference,
        double EnsembleSensitivity, double RefitSensitivity, double EnsembleSpecificity, double RefitSpecificity, double FoldSeconds, double RefitSeconds, int Epochs,
        double PointSensitivity, double PointSpecificity, double Floor);

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var prefix = Program.Option(args, "--runs") ?? Path.Combine(Path.GetTempPath(), "clinforge-small-");
        var folders = Directory.GetDirectories(Path.GetDirectoryName(prefix)!, Path.GetFileName(prefix) + "*")
            .Where(d => File.Exists(new RunPaths(d).Evaluation) && Json.Read<DataCard>(new RunPaths(d).DataCard).Protocol is { UsesFolds: true })
            .Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0)
        {
            Console.Error.WriteLine($"no finished cross-validated runs under {prefix}*: run 'bench -- small-data' first, or name a folder prefix with --runs");
            return 2;
        }
        NativeRuntime.Initialize(Environment.ProcessorCount, 1);
        var rows = new List<Row>();
        foreach (var folder in folders)
        {
            var row = Measure(new RunPaths(folder));
            rows.Add(row);
            Console.WriteLine(Format(row));
        }
        Console.WriteLine($"\n== refit vs fold-model ensemble, {rows.Count} cross-validated runs; threshold from the pooled out-of-fold predictions; 95% bootstrap CIs ({Resamples} resamples)");
        Console.WriteLine($"  {"run",-52} {"ensemble AUC",-22} {"refit AUC",-22} {"refit − ensemble [95% CI]",-28} {"sens ens/refit",-14} {"spec ens/refit",-14} {"train s folds/refit",-20} {"epochs",-6} sens/spec at the point-estimate threshold (ensemble)");
        rows.ForEach(r => Console.WriteLine(Format(r)));
        int refitBetter = rows.Count(r => r.Difference.DifferenceInterval.Lower > 0);
        int ensembleBetter = rows.Count(r => r.Difference.DifferenceInterval.Upper < 0);
        Console.WriteLine(string.Create(inv,
            $"  mean test AUC: ensemble {rows.Average(r => r.EnsembleAuc.Value):F3}, refit {rows.Average(r => r.RefitAuc.Value):F3} (ratio refit/ensemble {rows.Average(r => r.RefitAuc.Value) / rows.Average(r => r.EnsembleAuc.Value):F3}); " +
            $"refit better beyond noise in {refitBetter} of {rows.Count}, ensemble better beyond noise in {ensembleBetter} of {rows.Count}"));
        Console.WriteLine(string.Create(inv,
            $"  at the out-of-fold threshold: mean sensitivity ensemble {rows.Average(r => r.EnsembleSensitivity):F3} vs refit {rows.Average(r => r.RefitSensitivity):F3}, " +
            $"specificity {rows.Average(r => r.EnsembleSpecificity):F3} vs {rows.Average(r => r.RefitSpecificity):F3}; " +
            $"refit training time / fold training time {rows.Sum(r => r.RefitSeconds) / rows.Sum(r => r.FoldSeconds):F2}"));
        Console.WriteLine(string.Create(inv,
            $"  ensemble at the point-estimate threshold instead: mean test sensitivity {rows.Average(r => r.PointSensitivity):F3}, specificity {rows.Average(r => r.PointSpecificity):F3}; " +
            $"floor met on test in {rows.Count(r => r.PointSensitivity >= r.Floor)} of {rows.Count} (margin threshold: {rows.Count(r => r.EnsembleSensitivity >= r.Floor)} of {rows.Count})"));
        return 0;
    }

    private static string Format(Row r)
    {
        var inv = CultureInfo.InvariantCulture;
        string Fmt(Estimate x) => string.Create(inv, $"{x.Value:F3} [{x.Lower:F3}, {x.Upper:F3}]");
        var d = r.Difference;
        return string.Create(inv, $"  {Path.GetFileName(r.Run),-52} {Fmt(r.EnsembleAuc),-22} {Fmt(r.RefitAuc),-22} {$"{d.Difference:+0.000;-0.000} [{d.DifferenceInterval.Lower:+0.000;-0.000}, {d.DifferenceInterval.Upper:+0.000;-0.000}]",-28} " +
            $"{$"{r.EnsembleSensitivity:F2}/{r.RefitSensitivity:F2}",-14} {$"{r.EnsembleSpecificity:F2}/{r.RefitSpecificity:F2}",-14} {$"{r.FoldSeconds:F0}/{r.RefitSeconds:F0}",-20} {r.Epochs,-6} {r.PointSensitivity:F2}/{r.PointSpecificity:F2}");
    }

    private static Row Measure(RunPaths run)
    {
        var evaluation = Json.Read<FinalEvaluation>(run.Evaluation);
        var card = Json.Read<DataCard>(run.DataCard);
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        int positive = spec.ReportedClassIndex(card.Classes);
        var trial = run.Trial(evaluation.Final.Trial);
        var recipe = Json.Read<Recipe>(trial.Recipe);
        var ensemblePre = Json.Read<Preprocessing>(Path.Combine(trial.Root, "preprocessing.json"));
        var folds = Enumerable.Range(0, ensemblePre.FoldModels)
            .Select(k => Json.Read<TrialMetrics>(trial.Fold(k).Metrics)).ToList();
        int epochs = Math.Max(1, (int)Math.Round(folds.Average(f => f.Epochs)));

        var ds = DatasetReader.Open(card.Source);
        var pool = ds.Items.Where(i => ds.OfficialSplit![i.Id] != SplitNames.Test).ToList();
        var test = ds.Items.Where(i => ds.OfficialSplit![i.Id] == SplitNames.Test).ToList();
        var objective = TradeOffs.ObjectiveFor(run, spec);

        // The refit: the final recipe on every development image, as many epochs as a fold model had, its last epoch kept.
        var refitPaths = new TrialPaths(Path.Combine(run.Root, "bench_refit"));
        Directory.CreateDirectory(refitPaths.Root);
        var refitRecipe = recipe with { MaxEpochs = epochs, Search = null };
        Json.Write(refitPaths.Recipe, refitRecipe);
        var poolSet = ImageSets.Load(ds, pool, refitRecipe.Input);
        using (var pixels = poolSet.Pixels)
        {
            var trainer = new Trainer(_ => { }) { KeepLastEpoch = true, Preprocessing = ensemblePre with { FoldModels = 1 } };
            var (outcome, _) = TrialPlans.Train(trainer, refitRecipe, poolSet, poolSet, card.Classes,
                (labels, probs) => ObjectiveEvaluator.Evaluate(objective, labels, probs, positive), DateTime.UtcNow.AddMinutes(30), refitPaths, null, _ => { });
            if (outcome.Metrics.Status != TrialStatus.Succeeded) throw new InvalidOperationException($"{run.Root}: the refit failed: {outcome.Metrics.Error}");
            Json.Write(refitPaths.Metrics, outcome.Metrics);
            var scorer = new TorchModelScorer(ds);
            var y = test.Select(i => i.Label).ToArray();
            var ensemble = scorer.Predict(trial, test);
            var refit = scorer.Predict(refitPaths, test);
            double threshold = evaluation.Final.Threshold;
            var yb = y.Select(l => l == positive ? 1 : 0).ToArray();
            Func<int[], double> Auc(double[][] p) => idx => BinaryMetrics.Auc(idx.Select(i => yb[i]).ToArray(), idx.Select(i => p[i][positive]).ToArray());
            Estimate Est(double[][] p)
            {
                var f = Auc(p);
                var ci = Bootstrap.Percentile(y.Length, idx => f(idx), Resamples, 1, yb);
                return new Estimate(f(Enumerable.Range(0, y.Length).ToArray()), ci.Lower, ci.Upper);
            }
            var diff = Bootstrap.PairedTest(y.Length, Auc(ensemble), Auc(refit), Resamples, 1, yb);
            var atE = BinaryMetrics.ConfusionAt(yb, ensemble.Select(p => p[positive]).ToArray(), threshold);
            var atR = BinaryMetrics.ConfusionAt(yb, refit.Select(p => p[positive]).ToArray(), threshold);
            // The alternative a clinician can choose when the margin is costly: the floor met at the point estimate out of fold.
            var oof = PredictionTable.Read(trial.ValPredictions);
            var pointObjective = objective.OperatingPoint is { Constraint: "sensitivity" } op ? objective with { OperatingPoint = op with { PointEstimate = true } } : objective;
            double pointThreshold = ObjectiveEvaluator.ChooseThresholdForNewPatients(pointObjective,
                oof.Labels.Select(l => l == positive ? 1 : 0).ToArray(), oof.Probabilities.Select(p => p[positive]).ToArray()).Threshold;
            var atP = BinaryMetrics.ConfusionAt(yb, ensemble.Select(p => p[positive]).ToArray(), pointThreshold);
            return new Row(run.Root, Est(ensemble), Est(refit), diff, atE.Sensitivity, atR.Sensitivity, atE.Specificity, atR.Specificity,
                folds.Sum(f => f.TrainSeconds), outcome.Metrics.TrainSeconds, epochs, atP.Sensitivity, atP.Specificity,
                objective.OperatingPoint is { Constraint: "sensitivity" } floor ? floor.ConstraintValue : double.NaN);
        }
    }
}
