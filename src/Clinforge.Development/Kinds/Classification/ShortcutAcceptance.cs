using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>Which requirement wins when they conflict: not relying on the confounder, or the primary metric.</summary>
public enum ShortcutPriority
{
    /// <summary>Independence from the confounder first (the default when the clinician names a confounder).</summary>
    Independence,
    /// <summary>The primary metric first.</summary>
    Primary,
}

/// <summary>
/// What the request allows: the largest primary-metric loss accepted for less confounder dependence,
/// the hard limit a trade-off may never exceed, and the priority for non-interactive runs.
/// </summary>
public sealed record ShortcutPolicy(
    double MaxPrimaryLoss = 0.02,
    double HardPrimaryLoss = 0.05,
    ShortcutPriority Priority = ShortcutPriority.Independence,
    double MinImprovement = 0.002,
    double MinDependenceReduction = 0.02,
    double DependenceTolerance = 0.01)
{
    /// <summary>
    /// The policy a spec implies: a named confounder makes independence the priority, at the primary-metric
    /// loss the clinician allowed (the "confounder_max_loss" answer; unanswered, the default 0.02). An answer
    /// of 0 puts the primary metric first. The hard limit is never below the allowed loss.
    /// </summary>
    public static ShortcutPolicy From(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        double allowed = spec.ConfounderMaxLoss ?? TaskSpec.DefaultConfounderMaxLoss;
        var defaults = new ShortcutPolicy();
        return new ShortcutPolicy(MaxPrimaryLoss: allowed, HardPrimaryLoss: Math.Max(defaults.HardPrimaryLoss, allowed),
            Priority: spec.Confounders.Count > 0 && allowed > 0 ? ShortcutPriority.Independence : ShortcutPriority.Primary);
    }
}

/// <summary>A recipe's validation result: the primary metric and the confounder dependence (partial correlation of prediction with confounder probability, label regressed out).</summary>
public sealed record ShortcutScore(double Primary, double Dependence);

/// <summary>The verdict on one change, with the rule that decided it and a plain reason.</summary>
public sealed record ShortcutDecision(bool Keep, string Rule, string Reason, bool TradeOff);

/// <summary>
/// The acceptance rule of the shortcut issue: keep a change only if it improves the primary metric
/// while not increasing confounder dependence, or reduces dependence at a cost within what the spec
/// allows. When the two pull apart (a real trade-off) a non-interactive run follows the stated
/// priority, within a hard limit, and the decision says so (it goes in the journal and the report).
/// Dependence is compared as |partial correlation|.
/// </summary>
public static class ShortcutAcceptance
{
    /// <summary>Decides whether <paramref name="candidate"/> replaces <paramref name="best"/>.</summary>
    public static ShortcutDecision Decide(ShortcutScore best, ShortcutScore candidate, ShortcutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(best);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(policy);
        var inv = CultureInfo.InvariantCulture;
        double gain = candidate.Primary - best.Primary;
        double depBest = Math.Abs(best.Dependence), depNew = Math.Abs(candidate.Dependence);
        double depDrop = depBest - depNew;
        string numbers = string.Create(inv, $"primary {best.Primary:0.000} → {candidate.Primary:0.000} ({Math.Round(gain, 3):+0.000;-0.000;0.000}), |partial r| {depBest:0.000} → {depNew:0.000}");
        if (double.IsNaN(candidate.Primary) || double.IsNaN(candidate.Dependence))
            return new(false, "invalid", $"Discarded: the candidate's metrics are undefined ({numbers}).", false);

        bool primaryUp = gain >= policy.MinImprovement;
        bool depNotUp = depNew <= depBest + policy.DependenceTolerance;
        bool depDown = depDrop >= policy.MinDependenceReduction;
        bool costAllowed = -gain <= policy.MaxPrimaryLoss;
        if (primaryUp && depNotUp)
            return new(true, "better_primary_not_more_dependent", $"Kept: the primary metric improved without more reliance on the confounder ({numbers}).", false);
        if (depDown && costAllowed)
            return new(true, "less_dependent_within_allowed_cost", string.Create(inv, $"Kept: less reliance on the confounder at a primary-metric cost within the allowed {policy.MaxPrimaryLoss:0.000} ({numbers})."), false);

        // A real trade-off: one requirement improves only at the other's expense.
        if (primaryUp && !depNotUp)
        {
            bool keep = policy.Priority == ShortcutPriority.Primary;
            return new(keep, "tradeoff_priority_" + policy.Priority.ToString().ToLowerInvariant(),
                $"Trade-off: the primary metric improved but reliance on the confounder increased ({numbers}). Non-interactive run: the stated priority is {Describe(policy.Priority)}, so the change was {(keep ? "kept" : "discarded")}.", true);
        }
        if (depDown && !costAllowed)
        {
            bool withinHard = -gain <= policy.HardPrimaryLoss;
            bool keep = policy.Priority == ShortcutPriority.Independence && withinHard;
            return new(keep, "tradeoff_priority_" + policy.Priority.ToString().ToLowerInvariant(),
                string.Create(inv, $"Trade-off: reliance on the confounder fell but the primary metric dropped by more than the allowed {policy.MaxPrimaryLoss:0.000} ({numbers}). Non-interactive run: the stated priority is {Describe(policy.Priority)}{(policy.Priority == ShortcutPriority.Independence && !withinHard ? string.Create(inv, $", but the loss exceeds the hard limit of {policy.HardPrimaryLoss:0.000}") : "")}, so the change was {(keep ? "kept" : "discarded")}."), true);
        }
        return new(false, "no_gain", $"Discarded: neither a better primary metric without more reliance on the confounder, nor less reliance ({numbers}).", false);
    }

    private static string Describe(ShortcutPriority p) => p == ShortcutPriority.Independence ? "not relying on the confounder" : "the primary metric";
}
