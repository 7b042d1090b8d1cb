using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>The classification trial body: trains on the development split (or folds), scored on validation by the clinician's objective.</summary>
internal static class ClassificationTrial
{
    /// <summary>Runs one trial or one fold of it; 0 when it succeeded, 4 when it failed.</summary>
    public static int Run(TrialRequest r)
    {
        var (run, number, spec, card, threads) = (r.Run, r.Number, r.Spec, r.Card, r.Threads);
        var dev = SplitStore.LoadDevelopment(run);
        var objective = Objective.From(spec);
        int positive = spec.ReportedClassIndex(card.Classes);
        ValidationScorer scorer = (labels, probs) => ObjectiveEvaluator.Evaluate(objective, labels, probs, positive);
        if (r.Fold is { } f)
        {
            if (card.Protocol is not { UsesFolds: true } || dev.Folds is null) throw new ClinforgeException($"--fold {f}: {run.Root} does not develop on folds.");
            return TrialWorker.RunFold(run, number, f, dev.Train, dev.Val, dev.Folds, scorer, r.Until ?? r.Deadline, threads, line => Console.WriteLine(line));
        }
        int cores = threads > 0 ? threads : Environment.ProcessorCount;
        // Default: side by side only where each fold keeps at least two threads. On 2 cores, two 1-thread
        // folds were no faster than folds in turn (bench -- fold-workers, docs/benchmarks.md).
        var foldLauncher = new FoldProcesses(run, number, r.FoldWorkers > 0 ? r.FoldWorkers : Math.Max(1, cores / 2));
        var metrics = TrialWorker.Run(run, number, dev.Train, dev.Val, scorer,
            r.Deadline, threads, line => Console.WriteLine(line), card.Protocol is { UsesFolds: true } ? dev.Folds : null, foldLauncher, r.PreparationAllowance);
        // The trial's reliance on the named confounder, kept in its metrics for the acceptance rule.
        if (metrics.Status == TrialStatus.Succeeded && ShortcutDependence.Measure(run, number, spec, card) is { } dependence)
        {
            metrics = metrics with { Confounder = dependence };
            Json.Write(run.Trial(number).Metrics, metrics);
        }
        return metrics.Status == TrialStatus.Succeeded ? 0 : 4;
    }
}
