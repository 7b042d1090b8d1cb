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

    /// <summary>How many trials in a row must fail the same machine-level way before the loop stops.</summary>
    public const int MachineFaultRun = 3;

    /// <summary>
    /// Why to stop because the machine, not the recipe, is failing: the last <see cref="MachineFaultRun"/>
    /// trials, with different recipes, all failed the same way that no recipe change cures (a NaN loss
    /// from the first epoch, a native crash). Null to go on.
    /// </summary>
    public static string? MachineFault(IReadOnlyList<TrialMetrics?> finished)
    {
        if (finished.Count < MachineFaultRun) return null;
        var last = finished.TakeLast(MachineFaultRun).ToList();
        if (last.Any(m => m is null || m.Status != TrialStatus.Failed || !TrialFailure.PointsAtMachine(m.FailureKind))) return null;
        if (last.Select(m => m!.FailureKind).Distinct().Count() != 1) return null;
        string what = last[0]!.FailureKind == TrialFailure.NanAtStart ? "a NaN/inf loss from the first epoch" : "a native crash";
        return $"a problem of this machine, not of the recipe: the last {MachineFaultRun} trials, each with a different recipe, all failed with {what} " +
               $"({last[^1]!.Diagnosis ?? last[^1]!.Error}); stopping instead of spending the budget on more recipes";
    }
}

/// <summary>How the loop ended: its stop policy or the proposer ended it, or the clinician paused it (resumable), or it was cancelled.</summary>
public enum LoopEnd { Finished, Paused, Cancelled }

/// <summary>
/// Algorithm 1 of Zhao et al. 2026: propose a change to the best recipe, run it under a budget,
/// record it, keep it only if the clinician's objective improved on validation. Trial 0 is the
/// initializer's recipe. With <c>parallel</c> &gt; 1 a round proposes that many different changes to
/// the same best recipe and runs them at once; each is judged against the best at the moment it
/// finishes. All state lives in the run folder and the journal, so a second call continues where a
/// previous one stopped: a trial folder without a journal row (interrupted) is run again with its
/// recorded recipe.
/// </summary>
public sealed class DeveloperLoop(RunPaths run, Journal journal, IProposer proposer, IExecutor runner, IMonitor monitor, int parallel = 1, IAcceptance? acceptance = null)
{
    private readonly Lock _gate = new();

    /// <summary>Runs until <paramref name="rounds"/> refinement rounds (after trial 0) are recorded or the proposer has nothing left.</summary>
    public LoopEnd Run(TaskSpec spec, DataCard card, Recipe initial, int rounds, TimeSpan budget, CancellationToken cancel) =>
        Run(spec, card, initial, new StopPolicy(rounds), budget, cancel);

    /// <summary>
    /// Runs until the stop policy says stop (its reason is journaled), the proposer has nothing left,
    /// or a pause was requested (<see cref="RunPaths.PauseRequest"/>, checked between rounds so that
    /// the round in progress finishes and is kept).
    /// </summary>
    public LoopEnd Run(TaskSpec spec, DataCard card, Recipe initial, StopPolicy stop, TimeSpan budget, CancellationToken cancel)
    {
        var objective = Objective.From(spec);
        var started = DateTime.UtcNow;
        // Once the test split has been opened, development is over: a trial trained after the look could be chosen by it.
        if (journal.TestLookCount > 0)
        {
            monitor.Stopped("the test split has already been opened for this run, so no further trial is trained");
            return LoopEnd.Finished;
        }
        while (!cancel.IsCancellationRequested)
        {
            var history = LoadHistory();
            var batch = Interrupted(history);
            if (batch.Count == 0)
            {
                if (PauseRequested(history.Count)) return LoopEnd.Paused;
                if ((stop.Reason(history.Select(h => h.Record).ToList(), DateTime.UtcNow - started, budget)
                     ?? StopPolicy.MachineFault(history.Select(h => h.Metrics).ToList())) is { } reason)
                {
                    journal.Event("stop", reason);
                    monitor.Stopped(reason);
                    return LoopEnd.Finished;
                }
                batch = Propose(spec, card, initial, history, stop);
                if (batch.Count == 0)
                {
                    journal.Event("stop", $"the playbook has no further move after {history.Count - 1} rounds");
                    monitor.Stopped("the playbook has no further move");
                    return LoopEnd.Finished;
                }
            }
            Parallel.ForEach(batch, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel) }, item =>
            {
                var (number, proposal) = item;
                monitor.RoundStarted(number, stop.Rounds, proposal);
                var metrics = runner.Run(run, number, budget, r => monitor.TrialProgress(number, r), cancel, Math.Min(batch.Count, Math.Max(1, parallel)));
                if (cancel.IsCancellationRequested && metrics.Status != TrialStatus.Succeeded) return; // re-run on resume
                lock (_gate) Decide(objective, number, proposal, metrics);
            });
        }
        return LoopEnd.Cancelled;
    }

    /// <summary>The clinician's pause (a file in the run folder, so any process can ask): journaled, then the loop returns.</summary>
    private bool PauseRequested(int finished)
    {
        if (!File.Exists(run.PauseRequest)) return false;
        journal.Event("pause", $"paused at the clinician's request after {finished} finished trial(s); nothing is lost, and 'clinforge resume' continues from here");
        monitor.Stopped("paused at your request");
        return true;
    }

    /// <summary>The acceptance contract against the best recorded at this moment (default: accept if better); the decision is journaled with the trial.</summary>
    private void Decide(Objective objective, int number, Proposal proposal, TrialMetrics metrics)
    {
        var bestRecord = BestTrial(journal);
        double? bestBefore = bestRecord?.Objective;
        double? value = metrics.Best?.Objective;
        var bestMetrics = bestRecord is null || !File.Exists(run.Trial(bestRecord.Number).Metrics) ? null : Json.Read<TrialMetrics>(run.Trial(bestRecord.Number).Metrics);
        var decision = (acceptance ?? new ObjectiveAcceptance(objective)).Decide(number, bestRecord?.Number, metrics, bestMetrics, bestBefore);
        bool accepted = decision.Accepted;
        if (acceptance is not null) journal.Event("acceptance", $"{decision.Rule}: {decision.Reason}", number, Json.Serialize(decision));
        var record = new TrialRecord(number, proposal.Move, proposal.Change, proposal.Reason, proposal.Source,
            metrics.Status, value, accepted, bestBefore, metrics.Diagnosis ?? metrics.Error, DateTimeOffset.UtcNow);
        journal.AppendTrial(record);
        monitor.TrialFinished(number, record, accepted ? value : bestBefore);
    }

    /// <summary>The next trials: the initial recipe alone, or up to <c>parallel</c> different proposals from the current best.</summary>
    private List<(int Number, Proposal Proposal)> Propose(TaskSpec spec, DataCard card, Recipe initial,
        IReadOnlyList<(TrialRecord Record, Recipe Recipe, TrialMetrics? Metrics)> history, StopPolicy stop)
    {
        var batch = new List<(int, Proposal)>();
        int next = history.Count == 0 ? 0 : history.Max(h => h.Record.Number) + 1;
        if (next == 0)
        {
            // A recipe given with --recipe says so instead of crediting the initializer.
            string from = initial.Origins.GetValueOrDefault("recipe") is { } given ? $"recipe v0 {given}" : "recipe v0 from the initializer";
            batch.Add((0, Write(0, new Proposal("initial",
                initial.FineTune is { } ft ? $"{from}: starts from pretrained {initial.Model.Name} ({ft.Strategy.Replace('_', ' ')}, {initial.Input.Size} px)" : from,
                initial.Origins.ContainsKey("recipe") ? "The starting pipeline a person gave instead of the initializer's plan."
                    : initial.FineTune is null ? "The starting pipeline planned from the task spec and data card."
                    : $"The starting pipeline planned from the task spec and data card: {initial.Origins.GetValueOrDefault("model", "pretrained weights")}.", null, initial))));
            return batch;
        }
        var bestRecord = BestTrial(journal);
        var best = history.FirstOrDefault(h => h.Record.Number == bestRecord?.Number);
        int room = Math.Min(Math.Max(1, parallel), stop.Rounds - (history.Count - 1));
        var pending = new List<Proposal>();
        // Teacher–student rounds of the best trial (detection only): the evidence for iterating once more.
        var roundsFile = bestRecord is null ? null : Path.Combine(run.Trial(bestRecord.Number).Root, PseudoLabelRound.File);
        var pseudoRounds = roundsFile is not null && File.Exists(roundsFile) ? Json.Read<List<PseudoLabelRound>>(roundsFile) : null;
        for (int i = 0; i < room; i++)
        {
            var proposal = proposer.Propose(new DevelopmentState(spec, card, history, best.Recipe ?? initial, best.Metrics) { Pending = pending, BestPseudoLabelRounds = pseudoRounds });
            if (proposal is null) break;
            pending.Add(proposal);
            batch.Add((next + i, Write(next + i, proposal)));
        }
        return batch;
    }

    private Proposal Write(int number, Proposal proposal)
    {
        var paths = run.Trial(number);
        Directory.CreateDirectory(paths.Root);
        Json.Write(paths.Recipe, proposal.Recipe);
        Json.Write(paths.Proposal, proposal with { Recipe = null! });
        journal.Event("proposal", $"{proposal.Move}: {proposal.Change}. {proposal.Reason}", number);
        return proposal;
    }

    /// <summary>Trial folders with a recipe but no journal row: started, never finished (killed). They run again as they were.</summary>
    private List<(int Number, Proposal Proposal)> Interrupted(IReadOnlyList<(TrialRecord Record, Recipe Recipe, TrialMetrics? Metrics)> history)
    {
        if (!Directory.Exists(run.TrialsDir)) return [];
        var recorded = history.Select(h => h.Record.Number).ToHashSet();
        var list = new List<(int, Proposal)>();
        foreach (var dir in Directory.GetDirectories(run.TrialsDir).Order(StringComparer.Ordinal))
        {
            if (!int.TryParse(Path.GetFileName(dir), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || recorded.Contains(n)) continue;
            var paths = run.Trial(n);
            var proposalFile = paths.Proposal;
            if (!File.Exists(paths.Recipe) || !File.Exists(proposalFile)) continue;
            var proposal = Json.Read<Proposal>(proposalFile) with { Recipe = Json.Read<Recipe>(paths.Recipe) };
            journal.Event("rerun", $"trial {n} was interrupted before it finished; running it again with its recorded recipe", n);
            list.Add((n, proposal));
        }
        return list;
    }

    /// <summary>Finished trials with their recipes and metrics, from the journal and trial folders.</summary>
    public IReadOnlyList<(TrialRecord Record, Recipe Recipe, TrialMetrics? Metrics)> LoadHistory() =>
        journal.Trials().Select(t =>
        {
            var p = run.Trial(t.Number);
            var metrics = File.Exists(p.Metrics) ? Json.Read<TrialMetrics>(p.Metrics) : null;
            return (t, Json.Read<Recipe>(p.Recipe), metrics);
        }).ToList();

    /// <summary>The accepted trial with the best objective (with parallel trials, not necessarily the highest number).</summary>
    public static TrialRecord? BestTrial(Journal journal) => TrialRecord.Best(journal.Trials());
}
