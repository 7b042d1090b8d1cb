using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>The verdict on one finished trial: kept or not, the rule that decided, and a plain reason (journaled).</summary>
public sealed record AcceptanceDecision(bool Accepted, string Rule, string Reason);

/// <summary>
/// When the developer loop keeps a trial. The loop stays one rule-agnostic step ("accept if the
/// contract says so"); the workflow picks the contract from the spec.
/// </summary>
public interface IAcceptance
{
    /// <summary>Decides on <paramref name="candidate"/> against the best kept trial so far (null before the first is kept).</summary>
    AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective);

    /// <summary>
    /// The same decision when the rule needs the trials' own files (their numbers in the run folder);
    /// the loop calls this one. By default it ignores the numbers.
    /// </summary>
    AcceptanceDecision Decide(int candidateNumber, int? bestNumber, TrialMetrics candidate, TrialMetrics? best, double? bestObjective) =>
        Decide(candidate, best, bestObjective);
}

/// <summary>The default: accept if the clinician's objective improved on validation (Algorithm 1 of Zhao et al. 2026).</summary>
public sealed class ObjectiveAcceptance(Objective objective) : IAcceptance
{
    /// <inheritdoc />
    public AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        bool ok = candidate.Status == TrialStatus.Succeeded && candidate.Best?.Objective is { } v && objective.Better(v, bestObjective);
        return new(ok, "objective", ok ? "the objective improved on validation" : "the objective did not improve on validation");
    }
}

/// <summary>
/// The shortcut rule (<see cref="ShortcutAcceptance"/>) for runs whose spec names a
/// confounder: the primary metric is the objective, the dependence is each trial's validation partial
/// correlation with the confounder (<see cref="TrialMetrics.Confounder"/>). A trial without a measured
/// dependence falls back to the objective rule, and the reason says so.
/// </summary>
public sealed class ShortcutAcceptanceRule(Objective objective, ShortcutPolicy policy) : IAcceptance
{
    /// <summary>The policy in force (reported).</summary>
    public ShortcutPolicy Policy => policy;

    /// <inheritdoc />
    public AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Status != TrialStatus.Succeeded || candidate.Best is null)
            return new(false, "shortcut:failed", "the trial did not finish");
        if (best?.Best is null) return new(true, "shortcut:first", "the first finished trial is the reference");
        if (candidate.Confounder is not { } c || best.Confounder is not { } b)
        {
            var d = new ObjectiveAcceptance(objective).Decide(candidate, best, bestObjective);
            return d with { Rule = "shortcut:objective_fallback", Reason = d.Reason + " (no confounder dependence was measured, so the objective rule decided)" };
        }
        var decision = ShortcutAcceptance.Decide(new ShortcutScore(best.Best.Objective, b.PartialCorrelation),
            new ShortcutScore(candidate.Best.Objective, c.PartialCorrelation), policy);
        return new(decision.Keep, "shortcut:" + decision.Rule, decision.Reason);
    }
}

/// <summary>The confounder dependence of a trial's validation predictions, from files in the run folder.</summary>
public static class ShortcutDependence
{
    /// <summary>
    /// Partial correlation of the positive probability with the confounder probability given the label,
    /// and the share of false positives at Youden's threshold that carry the confounder; null when the
    /// task is not binary or the labels do not cover both classes.
    /// </summary>
    public static ConfounderDependence? Measure(RunPaths run, int trial, TaskSpec spec, DataCard card)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        var paths = run.Trial(trial);
        if (spec.Confounders.Count == 0 || card.Classes.Count != 2 || !File.Exists(run.ConfounderLabels) || !File.Exists(paths.ValPredictions)) return null;
        int positive = spec.ReportedClassIndex(card.Classes);
        if (positive < 0) return null;
        var labels = ConfounderLabels.Read(run.ConfounderLabels);
        var table = PredictionTable.Read(paths.ValPredictions);
        var rows = Enumerable.Range(0, table.Ids.Count).Where(i => labels.ContainsKey(table.Ids[i])).ToArray();
        var y = rows.Select(i => table.Labels[i] == positive ? 1 : 0).ToArray();
        if (y.Distinct().Count() < 2) return null;
        var p = rows.Select(i => table.Probabilities[i][positive]).ToArray();
        var c = rows.Select(i => labels[table.Ids[i]].Probability).ToArray();
        double threshold = BinaryMetrics.YoudenThreshold(y, p);
        int fp = 0, fpWith = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] != 0 || p[i] < threshold) continue;
            fp++;
            if (c[i] >= 0.5) fpWith++;
        }
        return new ConfounderDependence(spec.Confounders[0].Name, Confound.PartialOnLabel(p, c, y), fp == 0 ? double.NaN : (double)fpWith / fp, fp, y.Length);
    }
}

/// <summary>Asks the first proposer, then the second when the first has nothing left (debiasing moves before the general playbook).</summary>
public sealed class ChainProposer(IProposer first, IProposer then) : IProposer
{
    /// <inheritdoc />
    public Proposal? Propose(DevelopmentState state) => first.Propose(state) ?? then.Propose(state);
}
