using System.Globalization;
using System.Text;
using Clinforge.Evaluation;

namespace Clinforge.Reporting;

/// <summary>One model's test-split results in the shortcut report (looked at once, at the end).</summary>
/// <param name="Name">baseline | refined.</param>
/// <param name="Recipe">What was trained (the debias knobs in words).</param>
/// <param name="TestAuc">Test AUC with a 95% stratified bootstrap CI.</param>
/// <param name="Analysis">The confound analysis on the test split (Clinforge.Evaluation.Confound).</param>
/// <param name="FalsePositiveShare">Share of false positives that carry the confounder, with a 95% CI.</param>
/// <param name="ValAuc">Validation AUC (confounded like training).</param>
/// <param name="ValPartial">Validation partial correlation of the prediction with the confounder probability.</param>
public sealed record ShortcutModelResult(string Name, string Recipe, Bootstrap.Interval TestAuc, ConfoundAnalysis Analysis,
    Bootstrap.Interval FalsePositiveShare, double ValAuc, double ValPartial);

/// <summary>One round of the shortcut-aware refinement: the change, why, its validation result and the decision.</summary>
public sealed record ShortcutRoundRow(int Round, string Move, string Change, string Reason, string? Source,
    double ValAuc, double ValPartial, bool Kept, string Rule, string Decision, bool TradeOff);

/// <summary>The auxiliary confounder classifier's own validation, or the metadata column it replaced.</summary>
/// <param name="Source">"metadata column NAME" or "auxiliary classifier".</param>
/// <param name="TrainAnnotated">Annotated training images it learned from.</param>
/// <param name="ValAnnotated">Annotated validation images it was scored on.</param>
/// <param name="ValAuc">AUC on the annotated validation images, 95% CI (null for a metadata column).</param>
/// <param name="ValSensitivity">Sensitivity at 0.5 on the annotated validation images.</param>
/// <param name="ValSpecificity">Specificity at 0.5 on the annotated validation images.</param>
/// <param name="TruthAuc">AUC against the injected truth on every test image (fixtures only; null on real data).</param>
public sealed record AuxiliaryClassifierResult(string Source, int TrainAnnotated, int ValAnnotated, Bootstrap.Interval? ValAuc,
    double ValSensitivity, double ValSpecificity, double? TruthAuc);

/// <summary>Whether the refined model met the shortcut issue's targets against the baseline.</summary>
public sealed record ShortcutTargets(double PartialReduction, bool PartialMet, double FalsePositiveShareRatio, bool FalsePositiveMet,
    Bootstrap.PairedTestResult AucDifference, bool AucMet)
{
    /// <summary>
    /// Partial correlation reduced by ≥ 40%, false-positive share in confounder-present negatives at
    /// least halved, test AUC not lower than the baseline's by more than 0.02 (point estimates).
    /// </summary>
    public static ShortcutTargets Evaluate(ShortcutModelResult baseline, ShortcutModelResult refined, Bootstrap.PairedTestResult aucDifference)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(refined);
        ArgumentNullException.ThrowIfNull(aucDifference);
        double b = baseline.Analysis.PartialCorrelation.Value, r = refined.Analysis.PartialCorrelation.Value;
        double reduction = b <= 0 ? double.NaN : (b - r) / b;
        double ratio = refined.Analysis.FalsePositiveShare / baseline.Analysis.FalsePositiveShare;
        return new ShortcutTargets(reduction, reduction >= 0.40, ratio, ratio <= 0.5, aucDifference, aucDifference.Difference >= -0.02);
    }
}

/// <summary>Everything the shortcut report shows.</summary>
public sealed record ShortcutResult(
    string Statement,
    string Request,
    string Confounder,
    AuxiliaryClassifierResult Confounders,
    ConfounderInspection Inspection,
    IReadOnlyList<ConfounderCrossTab> TruthCrossTabs,
    IReadOnlyList<ShortcutRoundRow> Rounds,
    ShortcutModelResult Baseline,
    ShortcutModelResult Refined,
    ShortcutTargets Targets,
    int Resamples,
    string Environment);

/// <summary>
/// The shortcut section of a report (Markdown): what was injected or named, the confounder labels and
/// the auxiliary classifier's own metrics, the label × confounder cross-tab and confounder-only AUC,
/// the rounds with their decisions (trade-offs flagged), and the confound analysis of the baseline and
/// the refined model on the test split with 95% CIs.
/// </summary>
public static class ShortcutReport
{
    /// <summary>The report as Markdown.</summary>
    public static string Markdown(ShortcutResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", inv);
        string Ci(Bootstrap.Interval i) => $"{F(i.Estimate)} [{F(i.Lower)}, {F(i.Upper)}]";
        string Cr(CorrelationEstimate c) => $"{F(c.Value)} [{F(c.Lower)}, {F(c.Upper)}]";

        L($"# Shortcut-aware classification: {r.Confounder}");
        L();
        if (!string.IsNullOrEmpty(r.Statement)) { L($"> **{r.Statement}**"); L(); }
        L($"Request: *{r.Request}*");
        L();
        L($"The request names a confounder the model must not rely on: **{r.Confounder}**. Changes were kept only if they improved validation AUC without more reliance on it, or reduced reliance at a cost within what the request allows; trade-offs followed the stated priority and are marked below.");
        L();
        L("## Confounder labels");
        var c = r.Confounders;
        L(c.ValAuc is null
            ? $"From the {c.Source}."
            : $"From an {c.Source} trained on the {c.TrainAnnotated} annotated training images and scored on the {c.ValAnnotated} annotated validation images: AUC {Ci(c.ValAuc)}, sensitivity {F(c.ValSensitivity)}, specificity {F(c.ValSpecificity)} at 0.5. It was then applied to every image to give a confounder probability.");
        if (c.TruthAuc is { } t) L($"Against the injected truth on every test image its AUC is {F(t)}.");
        L();
        L("## Inspection: how strong is the shortcut?");
        foreach (var x in r.Inspection.CrossTabs) L($"- {x.Describe(r.Confounder)} (confounder labels as used for training)");
        foreach (var x in r.TruthCrossTabs) L($"- {x.Describe(r.Confounder)} (injected truth)");
        L($"- The confounder alone predicts the label with AUC {Ci(r.Inspection.ConfounderOnlyAuc)} on train + val.");
        L();
        L("## Rounds");
        L("| round | change | val AUC | val partial r | decision | why |");
        L("|---|---|---|---|---|---|");
        foreach (var x in r.Rounds)
            L($"| {x.Round} | {x.Change}{(x.Source is null ? "" : $" ({x.Source})")} | {F(x.ValAuc)} | {F(x.ValPartial)} | {(x.Kept ? "kept" : "discarded")}{(x.TradeOff ? " (trade-off)" : "")} | {x.Decision} |");
        L();
        L($"## Confound analysis on the test split (looked at once; 95% bootstrap CIs, {r.Resamples} resamples)");
        L("In the test split the confounder is independent of the label, so a model that relies on it loses there.");
        L();
        L("| | baseline | refined |");
        L("|---|---|---|");
        L($"| recipe | {r.Baseline.Recipe} | {r.Refined.Recipe} |");
        L($"| test AUC | {Ci(r.Baseline.TestAuc)} | {Ci(r.Refined.TestAuc)} |");
        L($"| partial correlation (label regressed out) | {Cr(r.Baseline.Analysis.PartialCorrelation)} | {Cr(r.Refined.Analysis.PartialCorrelation)} |");
        L($"| raw correlation | {Cr(r.Baseline.Analysis.RawCorrelation)} | {Cr(r.Refined.Analysis.RawCorrelation)} |");
        L($"| FP share in {r.Confounder}-present negatives | {Ci(r.Baseline.FalsePositiveShare)} ({r.Baseline.Analysis.FalsePositivesWithConfounder}/{r.Baseline.Analysis.FalsePositives}) | {Ci(r.Refined.FalsePositiveShare)} ({r.Refined.Analysis.FalsePositivesWithConfounder}/{r.Refined.Analysis.FalsePositives}) |");
        L($"| that group's share of negatives | {F(r.Baseline.Analysis.NegativeShare)} | {F(r.Refined.Analysis.NegativeShare)} |");
        L($"| threshold (Youden on validation) | {F(r.Baseline.Analysis.Threshold)} | {F(r.Refined.Analysis.Threshold)} |");
        L();
        L("Predicted probability by label × confounder (mean; median [Q1, Q3]):");
        L();
        L("| label | confounder | n | baseline | refined |");
        L("|---|---|---|---|---|");
        foreach (var (b, f) in r.Baseline.Analysis.Cells.Zip(r.Refined.Analysis.Cells))
            L($"| {(b.Label == 1 ? "positive" : "negative")} | {(b.Confounder ? "present" : "absent")} | {b.Count} | {F(b.Mean)}; {F(b.Median)} [{F(b.Q1)}, {F(b.Q3)}] | {F(f.Mean)}; {F(f.Median)} [{F(f.Q1)}, {F(f.Q3)}] |");
        L();
        L("## Targets");
        var g = r.Targets;
        L($"- Partial correlation reduced by ≥ 40%: {(g.PartialMet ? "met" : "NOT met")} ({g.PartialReduction.ToString("0%", inv)} reduction).");
        L($"- False-positive share in {r.Confounder}-present negatives at least halved: {(g.FalsePositiveMet ? "met" : "NOT met")} (refined / baseline = {F(g.FalsePositiveShareRatio)}).");
        L($"- Test AUC not lower by more than 0.02: {(g.AucMet ? "met" : "NOT met")} (difference {F(g.AucDifference.Difference)} [{F(g.AucDifference.DifferenceInterval.Lower)}, {F(g.AucDifference.DifferenceInterval.Upper)}], paired bootstrap p = {F(g.AucDifference.PValue)}).");
        L();
        L("## Limitations");
        L("- The confounder probability comes from the auxiliary classifier; its errors blur both the training signal and the dependence measures.");
        L("- The validation split carries the same shortcut as training, so validation AUC rewards it; the last epoch is kept rather than the best validation epoch.");
        L("- Targets are judged on point estimates; the CIs above show how uncertain each is.");
        L();
        L($"Environment: {r.Environment}");
        return sb.ToString();
    }
}
