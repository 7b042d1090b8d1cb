using System.Globalization;
using Clinforge.Evaluation;

namespace Clinforge.Reporting;

/// <summary>
/// The named confounder's section: the shortcut in the development data, each model's reliance on it
/// on the test split, and the debiasing rounds' outcome with its verdict.
/// </summary>
public static class ConfoundPanels
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The section.</summary>
    public static ReportSection Section(ConfoundReport c)
    {
        ArgumentNullException.ThrowIfNull(c);
        static string Pct(int a, int b) => b == 0 ? "—" : ((double)a / b).ToString("0%", Inv);
        static string Num(double v) => ReportSections.Num(v);
        var blocks = new List<ReportBlock>
        {
            new Paragraph("You asked that the model not rely on this. First how strongly it goes with the label in the development data (a shortcut the model could learn), then, on the test split, whether each model's predictions lean on it: false alarms concentrated in negatives that carry it, and the correlation of the prediction with it after the label is regressed out of both (partial correlation; near 0 means no reliance beyond what the diagnosis explains).", Tone.Note),
            new Table(["split", "positives with it", "negatives with it"], c.Counts.Select(k => (IReadOnlyList<Cell>)
            [
                k.Split, Cell.Number($"{k.PositivesWith}/{k.Positives} ({Pct(k.PositivesWith, k.Positives)})"), Cell.Number($"{k.NegativesWith}/{k.Negatives} ({Pct(k.NegativesWith, k.Negatives)})"),
            ]).ToList(), "confound-counts"),
            new Paragraph($"The confounder alone predicts the label with AUC {Num(c.ConfounderOnlyAuc)} [{Num(c.ConfounderOnlyAucLower)}, {Num(c.ConfounderOnlyAucUpper)}] on train + validation (0.5 = no shortcut)."),
            new Table(["model (test split)", "false positives carrying it", "its share of negatives", "raw correlation [95% CI]", "partial correlation [95% CI]", "mean p: neg. without / neg. with / pos. without / pos. with"],
                c.Models.Select(m =>
                {
                    var a = m.Analysis;
                    string Mean(int label, bool with) => Num(a.Cells.First(x => x.Label == label && x.Confounder == with).Mean);
                    return (IReadOnlyList<Cell>)
                    [
                        $"{m.Model} (trial {m.Trial})",
                        Cell.Number($"{a.FalsePositivesWithConfounder}/{a.FalsePositives} ({(double.IsNaN(a.FalsePositiveShare) ? "—" : a.FalsePositiveShare.ToString("0%", Inv))})"),
                        Cell.Number(double.IsNaN(a.NegativeShare) ? "—" : a.NegativeShare.ToString("0%", Inv)),
                        Cell.Number($"{Num(a.RawCorrelation.Value)} [{Num(a.RawCorrelation.Lower)}, {Num(a.RawCorrelation.Upper)}]"),
                        Cell.Number($"{Num(a.PartialCorrelation.Value)} [{Num(a.PartialCorrelation.Lower)}, {Num(a.PartialCorrelation.Upper)}]"),
                        Cell.Number($"{Mean(0, false)} / {Mean(0, true)} / {Mean(1, false)} / {Mean(1, true)}"),
                    ];
                }).ToList(), "confound-models"),
            new Paragraph("False positives counted at each model's operating threshold chosen on validation. If the false-positive share clearly exceeds the share of negatives, the model raises alarms because of the confounder.", Tone.Note),
        };
        if (c.Shortcut is { } s) blocks.Add(Debiasing(c.Confounder, s));
        return new ReportSection("confound", ReportText.Of($"Confounder: {c.Confounder} (column ", ReportText.Code(c.Column), ")"), blocks);
    }

    /// <summary>The debiasing rounds' outcome: labelling, baseline vs refined with CIs, and the verdict.</summary>
    private static Panel Debiasing(string confounder, ShortcutSummary s)
    {
        static string Num(double v) => ReportSections.Num(v);
        var blocks = new List<ReportBlock>();
        if (s.Injected is { } injected)
            blocks.Add(new Paragraph(ReportText.Of(ReportText.Warning("This confounder was injected on purpose"), $" (a test fixture, not real clinical data): {injected}")));
        blocks.Add(new Paragraph($"Confounder labels: {s.Annotated} development images from the metadata column{(s.Predicted > 0 ? $", {s.Predicted} predicted by an auxiliary classifier trained on them" : "")}. Changes were kept by the {s.AcceptanceRule} rule."));
        if (s.Auxiliary is { } a)
            blocks.Add(new Paragraph($"Auxiliary {confounder} classifier ({a.TrainImages} annotated training images): validation AUC {Num(a.ValAuc)} [{Num(a.ValAucLower)}, {Num(a.ValAucUpper)}] on {a.ValImages} annotated images, sensitivity {Num(a.Sensitivity)}, specificity {Num(a.Specificity)} at 0.5.", Id: "shortcut-auxiliary"));
        blocks.Add(new Table(["model", "debiasing", "test AUC [95% CI]", "partial correlation, test [95% CI]", "partial correlation, validation", "false positives carrying it, test [95% CI]"],
            s.Models.Select(m => (IReadOnlyList<Cell>)
            [
                $"{m.Model} (trial {m.Trial})", m.Debias,
                Cell.Number($"{Num(m.TestAuc)} [{Num(m.TestAucLower)}, {Num(m.TestAucUpper)}]"),
                Cell.Number($"{Num(m.PartialCorrelation)} [{Num(m.PartialLower)}, {Num(m.PartialUpper)}]"),
                Cell.Number(m.ValPartialCorrelation is { } v ? Num(v) : "—"),
                Cell.Number($"{Num(m.FalsePositiveShare)} [{Num(m.FalsePositiveShareLower)}, {Num(m.FalsePositiveShareUpper)}] of {m.FalsePositives} (negatives carrying it: {Num(m.NegativeShare)})"),
            ]).ToList(), "shortcut-models"));
        if (s.AucDifference is { } d)
            blocks.Add(new Paragraph($"Test AUC, refined − baseline (paired bootstrap): {d.Difference.ToString("+0.000;-0.000", Inv)} [{Num(d.Lower)}, {Num(d.Upper)}], p = {Num(d.PValue)}.", Id: "shortcut-auc-difference"));
        blocks.Add(new Paragraph(ReportText.Of(ReportText.Strong("Verdict:"), " " + s.Verdict), Id: "shortcut-verdict"));
        return new Panel("shortcut", $"Debiasing: not relying on {confounder}", blocks, KeepTogether: false);
    }
}
