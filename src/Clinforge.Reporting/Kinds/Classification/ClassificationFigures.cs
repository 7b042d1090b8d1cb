using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Reporting;

/// <summary>
/// The classification report's figures and their tables: validation trajectory, ROC and
/// precision–recall curves with the operating point, confusion matrix, calibration and example test
/// images. Test figures are drawn only from final/test_predictions*.csv, i.e. only after the one look.
/// </summary>
public static class ClassificationFigures
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string FinalColor = "#1f77b4", InitialColor = "#ff7f0e", GreyColor = "#999";

    /// <summary>Every succeeded trial as a point (kept filled, discarded hollow) and the best-so-far step line; null with no succeeded trial.</summary>
    public static Figure? Trajectory(IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var done = trials.Where(t => t.Status == TrialStatus.Succeeded && t.Objective is { } o && double.IsFinite(o)).OrderBy(t => t.Number).ToList();
        if (done.Count == 0) return null;
        var best = new List<(double, double)>();
        double running = double.NegativeInfinity;
        foreach (var t in done)
        {
            if (t.Accepted && t.Objective!.Value > running) running = t.Objective.Value;
            if (double.IsFinite(running)) best.Add((t.Number, running));
        }
        double lo = done.Min(t => t.Objective!.Value), hi = done.Max(t => t.Objective!.Value);
        double pad = Math.Max((hi - lo) * 0.15, 0.005);
        double below = Math.Max((hi - lo) * 0.6, 0.02); // room for the legend under the points
        int maxN = Math.Max(1, done.Max(t => t.Number));
        var plot = new SvgPlot("Validation objective per trial", "trial", "validation objective", -0.5, maxN + 0.5, lo - below, hi + pad)
            .Line(best, FinalColor, "best so far", step: true)
            .Points(done.Where(t => t.Accepted).Select(t => ((double)t.Number, t.Objective!.Value, (string?)$"trial {t.Number}: {t.Change} (kept)")), FinalColor, label: "kept")
            .Points(done.Where(t => !t.Accepted).Select(t => ((double)t.Number, t.Objective!.Value, (string?)$"trial {t.Number}: {t.Change} (discarded)")), GreyColor, label: "discarded", hollow: true);
        return new Figure("fig-trajectory", plot.Render(xTicks: Math.Min(maxN + 1, 10), integerX: true, legendBottom: true),
            "Validation objective of every trial, kept and discarded, with the best so far", "420px");
    }

    /// <summary>The test panels: curves, confusion matrix, calibration and examples.</summary>
    public static IEnumerable<ReportBlock> Test(ReportInput r, FinalEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(e);
        if (r.TestPredictions is not { } fin)
        {
            yield return new Paragraph("final/test_predictions.csv is missing, so the test figures cannot be drawn.", Tone.Note);
            yield break;
        }
        int positive = -1;
        for (int i = 0; i < r.Card.Classes.Count; i++) if (r.Card.Classes[i] == e.PositiveClass) positive = i;
        if (positive < 0 || r.Card.Classes.Count < 2) yield return new Paragraph("No positive class, so ROC, precision–recall and calibration figures are not drawn.", Tone.Note);
        var ini = e.Initial.Trial == e.Final.Trial ? null : r.InitialTestPredictions;
        if (positive >= 0) yield return Curves(fin, ini, positive, e);
        yield return ConfusionMatrix(r.Card.Classes, fin, positive, e.Final.Threshold);
        if (positive >= 0) yield return CalibrationPanel(fin, positive, e.PositiveClass);
        if (Examples(r) is { } examples) yield return examples;
    }

    private static Panel Curves(PredictionTable fin, PredictionTable? ini, int positive, FinalEvaluation e)
    {
        var (labels, scores) = Binary(fin, positive);
        var rocPlot = new SvgPlot("ROC curve", "1 − specificity", "sensitivity", 0, 1, 0, 1)
            .Line([(0, 0), (1, 1)], GreyColor, dashed: true)
            .Line(BinaryMetrics.RocCurve(labels, scores).Select(p => (p.Fpr, p.Tpr)), FinalColor, $"final (AUC {BinaryMetrics.Auc(labels, scores).ToString("0.000", Inv)})");
        double prevalence = labels.Average();
        var prPlot = new SvgPlot("Precision–recall curve", "recall (sensitivity)", "precision (PPV)", 0, 1, 0, 1)
            .Line([(0, prevalence), (1, prevalence)], GreyColor, dashed: true)
            .Line(PrecisionRecall.Curve(labels, scores).Select(p => (p.Recall, p.Precision)), FinalColor, $"final (AP {PrecisionRecall.AveragePrecision(labels, scores).ToString("0.000", Inv)})");
        if (ini is not null)
        {
            var (il, isc) = Binary(ini, positive);
            rocPlot.Line(BinaryMetrics.RocCurve(il, isc).Select(p => (p.Fpr, p.Tpr)), InitialColor, $"initial (AUC {BinaryMetrics.Auc(il, isc).ToString("0.000", Inv)})", dashed: true);
            prPlot.Line(PrecisionRecall.Curve(il, isc).Select(p => (p.Recall, p.Precision)), InitialColor, $"initial (AP {PrecisionRecall.AveragePrecision(il, isc).ToString("0.000", Inv)})", dashed: true);
        }
        if (!double.IsNaN(e.Final.Threshold))
        {
            var c = BinaryMetrics.ConfusionAt(labels, scores, e.Final.Threshold);
            string tip = $"operating point: threshold {e.Final.Threshold.ToString("0.000", Inv)}, sensitivity {c.Sensitivity.ToString("0.000", Inv)}, specificity {c.Specificity.ToString("0.000", Inv)}, PPV {c.Ppv.ToString("0.000", Inv)}";
            rocPlot.Points([(1 - c.Specificity, c.Sensitivity, tip)], "#d62728", 6, "operating point");
            if (c.Tp + c.Fp > 0) prPlot.Points([(c.Sensitivity, c.Ppv, tip)], "#d62728", 6, "operating point");
        }
        return new Panel(null, "ROC and precision–recall curves (test split)",
        [
            new SideBySide(
            [
                new Figure("fig-roc", rocPlot.Render(legendBottom: true), $"ROC curve of the final model{(ini is null ? "" : " and the initial one")} on the test split, with the operating point"),
                new Figure("fig-pr", prPlot.Render(legendBottom: true), "Precision–recall curve on the test split"),
            ]),
        ], HeadingId: "curves");
    }

    private static Panel ConfusionMatrix(IReadOnlyList<string> classes, PredictionTable t, int positive, double threshold)
    {
        int k = classes.Count;
        bool binaryRule = k == 2 && positive >= 0 && !double.IsNaN(threshold);
        var m = new int[k, k];
        for (int i = 0; i < t.Labels.Length; i++)
        {
            int pred;
            if (binaryRule) pred = t.Probabilities[i][positive] >= threshold ? positive : 1 - positive;
            else { pred = 0; for (int j = 1; j < k; j++) if (t.Probabilities[i][j] > t.Probabilities[i][pred]) pred = j; }
            m[t.Labels[i], pred]++;
        }
        var rows = new List<IReadOnlyList<Cell>>();
        for (int a = 0; a < k; a++)
        {
            int row = 0; for (int b = 0; b < k; b++) row += m[a, b];
            var cells = new List<Cell> { new(classes[a], RowHeader: true) };
            for (int b = 0; b < k; b++)
            {
                double share = row == 0 ? 0 : (double)m[a, b] / row;
                string bg = a == b ? $"rgba(31,119,180,{(0.1 + 0.6 * share).ToString("0.00", Inv)})" : $"rgba(214,39,40,{(0.1 + 0.6 * share).ToString("0.00", Inv)})";
                cells.Add(new Cell($"{m[a, b]} ({share.ToString("0.0%", Inv)})", Numeric: true, Background: bg));
            }
            cells.Add(Cell.Number(row.ToString(Inv)));
            rows.Add(cells);
        }
        return new Panel(null, $"Confusion matrix (test split, final model, {(binaryRule ? $"threshold {threshold.ToString("0.000", Inv)}" : "most probable class")})",
            [new Table(["true \\ predicted", .. classes, "total"], rows, "confusion-table")], HeadingId: "confusion");
    }

    private static Panel CalibrationPanel(PredictionTable t, int positive, string positiveName)
    {
        var (labels, scores) = Binary(t, positive);
        var bins = Calibration.ReliabilityBins(labels, scores);
        double ece = Calibration.ExpectedCalibrationError(labels, scores), brier = Calibration.Brier(labels, scores);
        var used = bins.Where(b => b.Count > 0).ToList();
        var plot = new SvgPlot($"Calibration ({positiveName}): ECE {ece.ToString("0.000", Inv)}, Brier {brier.ToString("0.000", Inv)}", "predicted probability", "observed fraction positive", 0, 1, 0, 1)
            .Line([(0, 0), (1, 1)], GreyColor, "perfect calibration", dashed: true)
            .Line(used.Select(b => (b.MeanScore, b.FractionPositive)), FinalColor, "final model")
            .Points(used.Select(b => (b.MeanScore, b.FractionPositive, (string?)$"{b.Lower.ToString("0.0", Inv)}–{b.Upper.ToString("0.0", Inv)}: {b.Count} images, mean p {b.MeanScore.ToString("0.000", Inv)}, observed {b.FractionPositive.ToString("0.000", Inv)}")), FinalColor);
        return new Panel(null, "Calibration (test split, final model)",
        [
            new SideBySide(
            [
                new Figure("fig-calibration", plot.Render(legendLeft: true), $"Reliability diagram for {positiveName}: observed fraction positive against mean predicted probability per bin"),
                new Table(["bin", "images", "mean predicted", "observed"], used.Select(b => (IReadOnlyList<Cell>)
                [
                    $"{b.Lower.ToString("0.0", Inv)}–{b.Upper.ToString("0.0", Inv)}", Cell.Number(b.Count.ToString(Inv)),
                    Cell.Number(b.MeanScore.ToString("0.000", Inv)), Cell.Number(b.FractionPositive.ToString("0.000", Inv)),
                ]).ToList()),
            ]),
            new Paragraph($"Expected calibration error (10 equal-width bins): {ece.ToString("0.000", Inv)}; Brier score: {brier.ToString("0.000", Inv)} (lower is better for both)."),
        ], HeadingId: "calibration");
    }

    /// <summary>The saved example test images and their Grad-CAM maps; null when none were saved.</summary>
    private static Panel? Examples(ReportInput r)
    {
        if (r.Examples is not { Count: > 0 } examples) return null;
        string note = "For each outcome, the cases the model was most sure about: its most confident correct calls and its most confident mistakes.";
        if (examples.Any(x => x.Saliency is not null))
            note += " Beside each image, the region the model saw (the centre square) with a Grad-CAM heat map (Selvaraju et al. 2017): yellow and red mark where the evidence for the positive class lies. Each map is scaled to its own maximum, so even a confident negative shows a hottest spot; read the colour together with p. It shows where the model looks, not whether that is clinically right, and it is coarse (the resolution of the model's last feature map).";
        var blocks = new List<ReportBlock> { new Paragraph(note, Tone.Note) };
        foreach (var group in examples.GroupBy(x => x.Kind))
        {
            var items = new List<GalleryItem>();
            foreach (var x in group)
            {
                var path = Path.Combine(r.Run.ExamplesDir, x.File);
                if (!File.Exists(path)) continue;
                var cam = x.Saliency is null ? null : Path.Combine(r.Run.ExamplesDir, x.Saliency);
                bool withCam = cam is not null && File.Exists(cam);
                var images = new List<EmbeddedImage> { new(path, $"{x.Kind}: {x.Id}", 128, Pixelated: true) };
                if (withCam) images.Add(new EmbeddedImage(cam!, $"Grad-CAM: {x.Id}", 128, "gradcam"));
                items.Add(new GalleryItem(images, $"{x.Label}; p = {x.Probability.ToString("0.000", Inv)}", x.Id, withCam ? 272 : 140));
            }
            blocks.Add(new Panel(null, group.Key, [new Gallery(items)], Level: 4));
        }
        return new Panel(null, "Example test images (final model, at the operating point)", blocks, KeepTogether: false, HeadingId: "examples");
    }

    /// <summary>Binary labels and the positive class's scores.</summary>
    internal static (int[] Labels, double[] Scores) Binary(PredictionTable t, int positive) =>
        (t.Labels.Select(l => l == positive ? 1 : 0).ToArray(), t.Probabilities.Select(p => p[positive]).ToArray());
}
