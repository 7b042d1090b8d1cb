using Clinforge.Core;

namespace Clinforge.Development;

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
