using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>Hooks the loop calls, for progress display (named, like nanoGPT's loop: no hidden callbacks).</summary>
public interface IMonitor
{
    void RoundStarted(int round, int rounds, Proposal proposal);
    void TrialProgress(int round, TrialProgressReport report);
    void TrialFinished(int round, TrialRecord record, double? best);
    void Stopped(string reason);
}

/// <summary>A monitor that shows nothing.</summary>
public sealed class SilentMonitor : IMonitor
{
    public void RoundStarted(int round, int rounds, Proposal proposal) { }
    public void TrialProgress(int round, TrialProgressReport report) { }
    public void TrialFinished(int round, TrialRecord record, double? best) { }
    public void Stopped(string reason) { }
}

/// <summary>
/// When the loop stops: after <see cref="Rounds"/> refinement rounds; when the total budget would be
/// exceeded by another trial; or on a plateau, when the last <see cref="PlateauPatience"/> rounds all
/// failed to improve the objective (early stopping applied to the search, as in Hyperband-style
/// schedulers that stop spending where the curve has flattened).
/// </summary>
public sealed record StopPolicy(int Rounds, TimeSpan? TotalBudget = null, int PlateauPatience = 0)
{
    /// <summary>Why to stop now, or null to go on.</summary>
    public string? Reason(IReadOnlyList<TrialRecord> finished, TimeSpan elapsed, TimeSpan trialBudget)
    {
        int rounds = finished.Count - 1; // trial 0 is not a refinement round
        if (rounds >= Rounds) return $"all {Rounds} refinement rounds are done";
        if (TotalBudget is { } total && finished.Count > 0 && elapsed + trialBudget > total)
            return $"another trial of {trialBudget.TotalMinutes:0.#} min would exceed the total budget of {total.TotalMinutes:0.#} min ({elapsed.TotalMinutes:0.#} min used)";
        if (PlateauPatience > 0 && rounds >= PlateauPatience && finished.TakeLast(PlateauPatience).All(t => !t.Accepted))
            return $"plateau: the last {PlateauPatience} rounds did not improve the objective, so further rounds are unlikely to pay";
        return null;
    }
}

/// <summary>
/// Algorithm 1 of Zhao et al. 2026: propose a change to the best recipe, run it under a budget,
/// record it, keep it only if the clinician's objective improved on validation. Trial 0 is the
/// initializer's recipe. All state lives in the run folder and the journal, so a second call
/// continues where a previous one stopped (an interrupted trial is run again).
/// </summary>
public sealed class DeveloperLoop(RunPaths run, Journal journal, IProposer proposer, ITrialRunner runner, IMonitor monitor)
{
    /// <summary>Runs until <paramref name="rounds"/> refinement rounds (after trial 0) are recorded or the proposer has nothing left.</summary>
    public void Run(TaskSpec spec, DataCard card, Recipe initial, int rounds, TimeSpan budget, CancellationToken cancel) =>
        Run(spec, card, initial, new StopPolicy(rounds), budget, cancel);

    /// <summary>Runs until the stop policy says stop (its reason is journaled) or the proposer has nothing left.</summary>
    public void Run(TaskSpec spec, DataCard card, Recipe initial, StopPolicy stop, TimeSpan budget, CancellationToken cancel)
    {
        var objective = Objective.From(spec);
        var started = DateTime.UtcNow;
        while (!cancel.IsCancellationRequested)
        {
            var history = LoadHistory();
            int number = history.Count;
            if (stop.Reason(history.Select(h => h.Record).ToList(), DateTime.UtcNow - started, budget) is { } reason)
            {
                journal.Event("stop", reason);
                monitor.Stopped(reason);
                break;
            }
            var best = history.Where(h => h.Record.Accepted).LastOrDefault();
            Proposal? proposal = number == 0
                ? new Proposal("initial", "recipe v0 from the initializer", "The starting pipeline planned from the task spec and data card.", null, initial)
                : proposer.Propose(new DevelopmentState(spec, card, history, best.Recipe ?? initial, best.Metrics));
            if (proposal is null)
            {
                journal.Event("stop", $"the playbook has no further move after {number - 1} rounds");
                break;
            }
            var paths = run.Trial(number);
            Directory.CreateDirectory(paths.Root);
            Json.Write(paths.Recipe, proposal.Recipe);
            Json.Write(Path.Combine(paths.Root, "proposal.json"), proposal with { Recipe = null! });
            journal.Event("proposal", $"{proposal.Move}: {proposal.Change}. {proposal.Reason}", number);
            monitor.RoundStarted(number, stop.Rounds, proposal);

            var metrics = runner.Run(run, number, budget, r => monitor.TrialProgress(number, r), cancel);
            if (cancel.IsCancellationRequested && metrics.Status != TrialStatus.Succeeded) break; // re-run on resume
            double? bestBefore = best.Record?.Objective;
            double? value = metrics.Best?.Objective;
            bool accepted = metrics.Status == TrialStatus.Succeeded && value is { } v && objective.Better(v, bestBefore);
            var record = new TrialRecord(number, proposal.Move, proposal.Change, proposal.Reason, proposal.Source,
                metrics.Status, value, accepted, bestBefore, metrics.Diagnosis ?? metrics.Error, DateTimeOffset.UtcNow);
            journal.AppendTrial(record);
            monitor.TrialFinished(number, record, accepted ? value : bestBefore);
        }
    }

    /// <summary>Finished trials with their recipes and metrics, from the journal and trial folders.</summary>
    public IReadOnlyList<(TrialRecord Record, Recipe Recipe, TrialMetrics? Metrics)> LoadHistory() =>
        journal.Trials().Select(t =>
        {
            var p = run.Trial(t.Number);
            var metrics = File.Exists(p.Metrics) ? Json.Read<TrialMetrics>(p.Metrics) : null;
            return (t, Json.Read<Recipe>(p.Recipe), metrics);
        }).ToList();

    /// <summary>The accepted trial with the best objective (the last accepted one, by construction).</summary>
    public static TrialRecord? BestTrial(Journal journal) => journal.Trials().Where(t => t.Accepted).LastOrDefault();
}
