using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// The sentences both reports and the model card use to say how strong the evidence is: how changes
/// were judged (hold-out or folds, and why), the acceptance decisions beyond noise (and a saturated
/// objective), what validation led one to expect on new patients, and when the test split is too small
/// to support a claim. Plain text; each renderer escapes it for its format.
/// </summary>
public static class EvidenceText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A test sensitivity whose 95% CI is wider than ± this is too uncertain to support a claim.</summary>
    public const double ThinHalfWidth = 0.2;

    /// <summary>How development judged changes, and why; null for cards without a protocol.</summary>
    public static string? Protocol(DataCard card) =>
        card.Protocol is { } p ? $"Development protocol: {p.Reason}." + (p.FloorEvidence is { } f ? $" Before training: {f}." : "") : null;

    /// <summary>The sentence after the objective: what "kept" means in this run.</summary>
    public static string KeepRule(ReportInput r) =>
        r.Decisions is { Count: > 0 }
            ? "A change is kept only if it improves the objective of the best trial so far by the margin and beyond resampling noise (a paired bootstrap over the same images; the decisions below say by how much)."
            : "A change is kept only if it improves the objective of the best trial so far.";

    /// <summary>"Trial N: reason" for every journaled acceptance decision, in trial order.</summary>
    public static IReadOnlyList<string> Decisions(ReportInput r) =>
        (r.Decisions ?? new Dictionary<int, string>()).OrderBy(d => d.Key).Select(d => $"Trial {d.Key}: {d.Value}").ToList();

    /// <summary>A warning when the objective saturated during development (the loop then judged on a finer objective); else null.</summary>
    public static string? Saturation(ReportInput r) =>
        r.Decisions?.Values.Any(v => v.Contains("saturated:", StringComparison.Ordinal)) == true
            ? $"The objective saturated: the best trial reached {Objective.From(r.Spec).Describe()} = 1.000 on the images it was judged on, so later changes were compared on a finer objective (named in the decisions below). A perfect score on a few images is not a promise of perfection on new patients."
            : null;

    /// <summary>What validation led one to expect on new patients at the final threshold, beside what the test split showed; null without a binary threshold.</summary>
    public static string? Expected(FinalEvaluation e, DataCard card)
    {
        if (e.Final.Expected is not { } x || !x.TryGetValue("sensitivity", out var se) || !x.TryGetValue("specificity", out var sp)) return null;
        string source = card.Protocol is { UsesFolds: true } p
            ? $"the out-of-fold predictions of all development images ({p.Folds} folds; each image predicted by a model that never saw it)"
            : "the validation predictions";
        string test = e.Final.Metrics.TryGetValue("sensitivity", out var ts) && e.Final.Metrics.TryGetValue("specificity", out var tp)
            ? $" The test split then showed sensitivity {Ci(ts)} and specificity {Ci(tp)}."
            : "";
        return $"Expected on new patients at the final threshold, from {source}: sensitivity {Ci(se)}, specificity {Ci(sp)} (95% Wilson intervals).{test}";
    }

    /// <summary>A plain statement when the test split holds too few of the positive class for its sensitivity to support a claim; else null.</summary>
    public static string? ThinTest(FinalEvaluation e)
    {
        if (!e.Final.Metrics.TryGetValue("sensitivity", out var s) || double.IsNaN(s.Lower) || double.IsNaN(s.Upper)) return null;
        double half = (s.Upper - s.Lower) / 2;
        if (half <= ThinHalfWidth) return null;
        int n = e.TestCounts.TryGetValue(e.PositiveClass, out var c) ? c : 0;
        return string.Create(Inv,
            $"Thin evidence: the test split holds only {n} '{e.PositiveClass}' image(s), so its sensitivity is known only to about ±{half:0.00} (95% CI {s.Lower:0.000}–{s.Upper:0.000}). Read the test result as a first look, not a claim; before relying on the model, evaluate the package on an external labelled set (clinforge evaluate PACKAGE DATA).");
    }

    private static string Ci(Estimate x) => string.Create(Inv, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");
}
