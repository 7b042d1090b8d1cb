using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// The classification kind's report as a <see cref="ReportDocument"/>: request, understanding, data,
/// every round, the trade-off decided before the test look, the one test look with CIs and figures,
/// the named confounder and debiasing, subgroups, limitations and protocol. It states only what was
/// measured: no test numbers before the look, and the protocol as it happened.
/// </summary>
public static class ClassificationReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The document.</summary>
    public static ReportDocument Build(ReportInput r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sections = new List<ReportSection>
        {
            ReportSections.Request(r.Request),
            ReportSections.Understood(r.Spec),
            Data(r.Card),
            Rounds(r),
        };
        if (r.TradeOff is { } to) sections.Add(TradeOff(to));
        sections.Add(Test(r));
        if (r.Confound is { } cf) sections.Add(ConfoundPanels.Section(cf));
        if (r.Subgroups is { Count: > 0 } subgroups) sections.Add(Subgroups(subgroups));
        sections.Add(ReportSections.Limitations(Limitations(r)));
        sections.Add(ReportSections.Protocol(r.TestLooks, r.Convolutions));
        return new ReportDocument("Clinforge report", [ReportSections.RunFolder(r.Run)], sections);
    }

    private static ReportSection Data(DataCard card)
    {
        var blocks = new List<ReportBlock>
        {
            new Paragraph(ReportText.Of("Source: ", ReportText.Code(card.Source),
                $" ({card.Format}), {card.TotalItems} images, {card.Channels} channel(s), sizes {card.ImageSizes.MinWidth}–{card.ImageSizes.MaxWidth} × {card.ImageSizes.MinHeight}–{card.ImageSizes.MaxHeight} px (most often {card.ImageSizes.CommonWidth} × {card.ImageSizes.CommonHeight}). Splits: {card.SplitMethod.Replace('_', ' ')} (seed {card.SplitSeed})",
                card.GroupColumn is null ? "" : ", grouped by ", card.GroupColumn is null ? "" : ReportText.Code(card.GroupColumn), ".")),
            SplitTable(card),
            new Paragraph(ReportText.Of("Identical images across splits: ",
                card.CrossSplitDuplicates.Count == 0 ? "none found" : ReportText.Warning($"{card.CrossSplitDuplicates.Count} group(s) — possible leakage"),
                ". Unreadable files: ", card.Unreadable.Count == 0 ? "none" : string.Join(", ", card.Unreadable.Select(u => $"{u.Path} ({u.Reason})")), ".")),
        };
        if (card.Notes.Count > 0) blocks.Add(BulletList.Of(card.Notes.Select(n => (ReportText)n)));
        return new ReportSection("data", "The data", blocks);
    }

    /// <summary>Images per split and class.</summary>
    public static Table SplitTable(DataCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return new Table(["split", .. card.Classes, "total"],
            card.Counts.Select(kv => (IReadOnlyList<Cell>)[kv.Key, .. card.Classes.Select(c => Cell.Number((kv.Value.TryGetValue(c, out var n) ? n : 0).ToString(Inv))), Cell.Number(kv.Value.Values.Sum().ToString(Inv))]).ToList());
    }

    private static ReportSection Rounds(ReportInput r)
    {
        var before = new List<ReportBlock>();
        if (EvidenceText.Protocol(r.Card) is { } protocol) before.Add(new Paragraph(protocol));
        before.Add(new Paragraph(ReportText.Of("Objective on validation: ", ReportText.Strong(Objective.From(r.Spec).Describe()), ". " + EvidenceText.KeepRule(r))));
        if (EvidenceText.Saturation(r) is { } saturated) before.Add(new Paragraph(saturated, Tone.Warning));
        if (ClassificationFigures.Trajectory(r.Trials) is { } trajectory) before.Add(trajectory);
        var after = new List<ReportBlock>();
        if (EvidenceText.Decisions(r) is { Count: > 0 } decisions)
        {
            after.Add(new Paragraph("Decisions:"));
            after.Add(BulletList.Of(decisions.Select(d => (ReportText)d), cssClass: "decisions"));
        }
        return ReportSections.Rounds(r.Trials, before, after);
    }

    private static ReportSection TradeOff(TradeOffDecision to) => new("trade-off", $"Trade-off: {TradeOffText.Title(to)}",
    [
        new Paragraph($"{TradeOffText.Situation(to)} The achievable operating points were:"),
        new Table(["option", "validation sensitivity", "validation specificity", "what it means"],
            to.Options.Select(o => (IReadOnlyList<Cell>)
            [
                new Cell(o.Key == to.Chosen.Key ? ReportText.Of(ReportText.Strong(o.Key), " (chosen)") : o.Key),
                Cell.Number(o.Sensitivity.ToString("0.000", Inv)), Cell.Number(o.Specificity.ToString("0.000", Inv)), o.Description,
            ]).ToList(), "trade-off-table"),
        new Paragraph($"Decided by the {to.ChosenBy} ({to.DecidedAt.ToString("yyyy-MM-dd HH:mm", Inv)}Z, before the test look): {to.Reason}. Both models' test thresholds follow this rule on their own validation predictions."),
    ]);

    private static ReportSection Test(ReportInput r)
    {
        if (r.Evaluation is not { } e)
            return new ReportSection("test", "Test results", [new Paragraph("The sealed test split has not been evaluated for this run yet: no test numbers exist.")]);
        var blocks = new List<ReportBlock>
        {
            new Paragraph($"The test split ({e.TestCases} images: {string.Join(", ", e.TestCounts.Select(kv => $"{kv.Key} {kv.Value}"))}) was sealed when the data were split and opened {(e.TestLooks == 1 ? "once" : $"{e.TestLooks} times")}, on {e.LookedAt.ToString("u", Inv)}, to score the initial model (trial {e.Initial.Trial}) and the final model (trial {e.Final.Trial})."),
        };
        if (!double.IsNaN(e.Final.Threshold))
            blocks.Add(new Paragraph(ReportText.Of($"Decisions use thresholds chosen on validation ({e.Final.ThresholdRule}): initial {e.Initial.Threshold.ToString("0.000", Inv)}, final {e.Final.Threshold.ToString("0.000", Inv)}; positive class: {e.PositiveClass}. ",
                ReportText.Code("accuracy_at_0.5"), " uses the fixed 0.5 threshold, as the MedMNIST benchmarks do.")));
        blocks.Add(new Paragraph($"Intervals are 95% stratified percentile bootstrap CIs ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed}); differences are final − initial with a paired test on the same test cases."));
        var methods = e.Comparisons.Select(c => c.Method).Distinct().ToList();
        bool methodColumn = methods.Count > 1;
        if (methods.Count == 1) blocks.Add(new Paragraph($"Test of the difference: {methods[0]}."));
        var rows = e.Final.Metrics.Select(kv =>
        {
            var c = e.Comparisons.FirstOrDefault(k => k.Metric == kv.Key);
            var row = new List<Cell>
            {
                kv.Key,
                Cell.Number(e.Initial.Metrics.TryGetValue(kv.Key, out var ini) ? ReportSections.Ci(ini) : "—"),
                Cell.Number(ReportSections.Ci(kv.Value)),
                Cell.Number(c is null ? "" : $"{c.Difference.ToString("+0.000;-0.000;0.000", Inv)} [{c.Lower.ToString("0.000", Inv)}, {c.Upper.ToString("0.000", Inv)}]"),
                Cell.Number(c is null ? "" : ReportSections.P(c.PValue)),
            };
            if (methodColumn) row.Add(c?.Method ?? "");
            return (IReadOnlyList<Cell>)row;
        }).ToList();
        blocks.Add(new Table(["metric", "initial", "final", "difference [95% CI]", "p", .. methodColumn ? new[] { "method" } : []], rows, "test-table"));
        if (e.Initial.Trial == e.Final.Trial) blocks.Add(new Paragraph("No refinement improved the validation objective, so the final model is the initial one."));
        if (EvidenceText.Expected(e, r.Card) is { } expected) blocks.Add(new Paragraph(expected));
        if (EvidenceText.ThinTest(e) is { } thin) blocks.Add(new Paragraph(thin, Tone.Warning));
        blocks.AddRange(ClassificationFigures.Test(r, e));
        return new ReportSection("test", "Test results", blocks);
    }

    private static ReportSection Subgroups(IReadOnlyList<SubgroupTable> subgroups) => new("subgroups", "Subgroups (test split, final model)",
    [
        new Paragraph("Metrics within each group of a metadata column, at the operating threshold chosen on validation, with 95% stratified bootstrap intervals. Descriptive only: groups are small and many are compared, so look for large gaps with non-overlapping intervals, not for p-values.", Tone.Note),
        .. subgroups.Select(t => (ReportBlock)new Panel(null, ReportText.Of(t.Column, $" ({t.Grouping})"),
        [
            new Table(["group", "images", "positives", "AUC [95% CI]", "sensitivity [95% CI]", "specificity [95% CI]"],
                t.Rows.Select(g => (IReadOnlyList<Cell>)[g.Group, Cell.Number(g.Count.ToString(Inv)), Cell.Number(g.Positives.ToString(Inv)),
                    Cell.Number(ReportSections.Ci(g.Auc)), Cell.Number(ReportSections.Ci(g.Sensitivity)), Cell.Number(ReportSections.Ci(g.Specificity))]).ToList(),
                Class: "subgroup-table"),
        ])),
    ]);

    private static IEnumerable<ReportText> Limitations(ReportInput r)
    {
        yield return "Each p-value tests one metric on its own; with several metrics compared, read them without a multiple-comparison correction as descriptive, and the clinician's objective as the primary comparison.";
        if (r.Card.CrossSplitDuplicates.Count > 0) yield return $"{r.Card.CrossSplitDuplicates.Count} group(s) of identical images appear in more than one split; metrics may be optimistic.";
        if (r.Evaluation is { } ev && ev.TestCounts.Values.Any(n => n < 50)) yield return "At least one class has fewer than 50 test images; its intervals are wide.";
        if (r.Spec.Questions.Count > 0) yield return "Some choices were defaults, not stated in the request (see the open questions above).";
    }
}
