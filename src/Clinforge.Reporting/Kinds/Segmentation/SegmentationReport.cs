using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// The segmentation kind's report: the test tables (initial vs final, Dice, IoU, sensitivity,
/// precision and HD95 with CIs over images, the paired Dice change), example overlays of predicted and
/// true outlines and where they disagree, report.md, report.html and the model card.
/// </summary>
public static class SegmentationReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The test table as console lines: each model and label, each metric with its 95% CI.</summary>
    public static IReadOnlyList<string> Table(SegmentationEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var lines = new List<string>
        {
            string.Create(Inv, $"test: {e.TestImages} images{(e.RegionOfInterest ? ", inside each image's region of interest" : "")}; mean per image with 95% bootstrap CI over images ({e.BootstrapResamples} resamples); HD95 in pixels"),
            $"  {"model",-22} {"label",-14} {"dice",-22} {"iou",-22} {"sensitivity",-22} {"precision",-22} hd95",
        };
        foreach (var (name, r) in Models(e))
            foreach (var l in r.Labels)
                lines.Add($"  {name + " (trial " + r.Trial + ")",-22} {LabelName(e, l.Label),-14} {Fmt(l.Dice),-22} {Fmt(l.Iou),-22} {Fmt(l.Sensitivity),-22} {Fmt(l.Precision),-22} {(l.Hd95 is { } h ? Fmt(h) : "n/a")}");
        if (e.DiceChange is { } c)
            lines.Add(string.Create(Inv, $"  Dice final − initial {c.Difference:+0.000;−0.000;0.000} [{c.Lower:+0.000;−0.000;0.000}, {c.Upper:+0.000;−0.000;0.000}], paired bootstrap p = {ReportSections.P(c.PValue)}"));
        return lines;
    }

    /// <summary>Writes report/report.md, report/model_card.md and report/report.html of a segmentation run; returns report.html.</summary>
    public static string Write(RunPaths run, IReadOnlyList<TrialRecord> trials, IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> looks,
        TaskSpec spec, DataCard card, SegmentationEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(e);
        var trial = run.Trial(e.Final.Trial);
        var metrics = File.Exists(trial.Metrics) ? Json.Read<TrialMetrics>(trial.Metrics) : null;
        var modelCard = SegmentationModelCard.Build(new SegmentationModelCard.Input(spec, card, e, trials, Json.Read<Recipe>(trial.Recipe), metrics?.TrainSeconds / 60, metrics?.Initialization));
        return ReportFiles.Write(run, Build(run, trials, looks, spec, card, e), modelCard);
    }

    /// <summary>The report as a document: request, understanding, data, every trial, the one test look with CIs and example overlays, limitations and protocol.</summary>
    public static ReportDocument Build(RunPaths run, IReadOnlyList<TrialRecord> trials, IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> looks,
        TaskSpec spec, DataCard card, SegmentationEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(e);
        var seg = card.Segmentation ?? throw new ArgumentException("not a segmentation data card", nameof(card));
        var data = new List<ReportBlock>
        {
            new Paragraph(string.Create(Inv, $"{card.TotalItems} image/mask pairs ({seg.MaskKind} masks; {seg.Layout}){(seg.RegionOfInterest ? "; only pixels inside each image's region of interest count, in training and in every metric" : "")}.{(seg.Volumes > 0 ? $" The pairs are 2-D slices of {seg.Volumes} volume(s) with their label maps ({seg.Slicing})." : "")}")),
            new Table(["label", "mean coverage", "range", "typical width (px)", "images with it"], seg.Labels.Select((l, k) => (IReadOnlyList<Cell>)
                [k < e.Labels.Count ? $"{e.Labels[k]} (value {l.Value})" : l.Name, Cell.Number(l.MeanFraction.ToString("0.0%", Inv)), Cell.Number($"{l.MinFraction.ToString("0.0%", Inv)}–{l.MaxFraction.ToString("0.0%", Inv)}"),
                 Cell.Number(l.MeanWidth is { } w ? w.ToString("0.0", Inv) : "—"), Cell.Number($"{l.Images} of {seg.Pairs}")]).ToList()),
        };
        if (card.Notes.Count > 0) data.Add(BulletList.Of(card.Notes.Select(n => (ReportText)n)));

        string[] head = ["model", "label", "Dice", "IoU", "sensitivity", "precision", "HD95 (px)"];
        var test = new List<ReportBlock>
        {
            new Paragraph(string.Create(Inv, $"{e.TestImages} test images, scored at their own resolution{(e.RegionOfInterest ? " inside their region of interest" : "")}. Each number is the mean over images with its 95% bootstrap interval over images ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed}); HD95 is the 95th percentile of the distances between predicted and true boundaries, in pixels, averaged over the images where both are non-empty.")),
            new Table(head, Models(e).SelectMany(m => m.Result.Labels.Select(l => (IReadOnlyList<Cell>)
                [$"{m.Name} (trial {m.Result.Trial})", LabelName(e, l.Label), Cell.Number(ReportSections.Ci(l.Dice)), Cell.Number(ReportSections.Ci(l.Iou)), Cell.Number(ReportSections.Ci(l.Sensitivity)),
                 Cell.Number(ReportSections.Ci(l.Precision)), Cell.Number(l.Hd95 is { } h ? ReportSections.Ci(h) + (l.Hd95Images < l.Images ? $" ({l.Hd95Images} images)" : "") : "n/a")])).ToList(), "test-table"),
        };
        if (e.DiceChange is { } c)
            test.Add(new Paragraph(string.Create(Inv, $"Dice final − initial {c.Difference:+0.000;−0.000;0.000} [{c.Lower:+0.000;−0.000;0.000}, {c.Upper:+0.000;−0.000;0.000}] over the same {e.TestImages} test images (paired bootstrap, p = {ReportSections.P(c.PValue)}).")));
        else
            test.Add(new Paragraph("The final model is the initial one: no change tried during development beat it on validation beyond noise."));
        if (e.TestImages < 10)
            test.Add(new Paragraph(string.Create(Inv, $"Evidence is thin: {e.TestImages} test images. The intervals are wide and a difference of a few hundredths of Dice between models cannot be told from chance."), Tone.Note));
        if (e.Examples.Count > 0)
        {
            test.Add(new Panel("examples", "Example test images (final model)",
            [
                new Paragraph($"Pixels are tinted by agreement with the reference mask: bluish green = predicted and true, vermillion = missed (true, not predicted), sky blue = false (predicted, not true); Okabe–Ito colours, told apart with common colour-vision deficiencies{(e.RegionOfInterest ? "; outside the region of interest the image is dimmed" : "")}."),
                new Gallery(e.Examples.Select(x => new GalleryItem([new EmbeddedImage(Path.Combine(run.ReportDir, x.File), $"{x.Kind} example: {x.Id}", 360)],
                    ReportText.Of(string.Create(Inv, $"{x.Kind} Dice {x.Dice:0.000}")), x.Id, 380)).ToList()),
            ]));
        }

        var limits = new List<ReportText>
        {
            string.Create(Inv, $"Per-image scores of every test image are in final/test_scores.csv."),
        };
        if (seg.Pairs < 50) limits.Add(string.Create(Inv, $"Small data: {seg.Pairs} image/mask pairs in all; validation during development had few images, so only large gains could be told from noise."));
        var sections = new List<ReportSection>
        {
            ReportSections.Request(spec.Request),
            ReportSections.Understood(spec),
            new("data", "The data", data),
            ReportSections.Rounds(trials, [new Paragraph(ReportText.Of("Objective on validation: ", ReportText.Strong(spec.PrimaryMetric == SegmentationMetricNames.Sensitivity ? "F2 of the pixels (missed pixels weigh 4× false ones)" : "mean Dice per image"),
                ". A change is kept only if it improves the best trial so far in at least 80% of paired bootstrap resamples of the validation images."))], []),
            new("test", $"Test results (the sealed split, looked at once: {e.LookedAt.ToString("yyyy-MM-dd HH:mm", Inv)}Z)", test),
            ReportSections.Limitations(limits),
            ReportSections.Protocol(looks, RunReport.ConvolutionPaths(run, trials)),
        };
        return new ReportDocument($"{string.Join(", ", e.Labels)} segmentation — run report", [ReportSections.RunFolder(run)], sections);
    }

    private static IEnumerable<(string Name, SegmentationModelResult Result)> Models(SegmentationEvaluation e) =>
        e.Initial.Trial == e.Final.Trial ? [("final = initial", e.Final)] : [("initial", e.Initial), ("final", e.Final)];

    private static string LabelName(SegmentationEvaluation e, int label) => label >= 1 && label <= e.Labels.Count ? e.Labels[label - 1] : $"label {label}";

    private static string Fmt(Estimate x) => double.IsNaN(x.Value) ? "n/a" : string.Create(Inv, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");
}
