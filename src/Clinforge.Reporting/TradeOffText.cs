using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// The words both report formats use for a trade-off decision: its title and the situation that
/// needed it (the recorded question; decisions written before questions were recorded were all
/// conflicting floors, and are described as such).
/// </summary>
public static class TradeOffText
{
    /// <summary>Short title: which kind of trade-off it was.</summary>
    public static string Title(TradeOffDecision d) => IsMarginCost(d)
        ? "the margin for new patients costs most of the specificity"
        : "the stated floors could not all be met";

    /// <summary>One or two sentences: on which trial's validation predictions, and what could not be had at once.</summary>
    public static string Situation(TradeOffDecision d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.Question is { } q) return $"On validation, the best model (trial {d.Trial}): {q}";
        var floors = string.Join(" and ", d.Requirements.Select(r => $"{r.Metric} ≥ {r.Minimum.ToString("0.00", CultureInfo.InvariantCulture)}"));
        return $"On validation, the best model (trial {d.Trial}) reaches no threshold with {floors}.";
    }

    private static bool IsMarginCost(TradeOffDecision d) => d.Options.Any(o => o.Key == TradeOffKeys.PromiseFloor);
}
