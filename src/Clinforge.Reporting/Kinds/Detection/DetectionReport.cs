using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Reporting;

/// <summary>
/// The detection kind's report: the test tables (initial vs final with CIs, the image-level reading,
/// per class), example test images with the final model's marks (drawn at the test look), report.md,
/// report.html and the model card, from the run folder and its trials.
/// </summary>
public static class DetectionReport
{
    /// <summary>The test table: initial vs final, each metric with its 95% CI.</summary>
    public static IReadOnlyList<string> Table(DetectionEvaluation e)
    {
        var names = new[] { "map50", "map50_95", "recall", "precision", "f1", "f2" };
        var lines = new List<string>
        {
            $"test: {e.TestImages} images ({e.TestPositives} with {e.TestBoxes} boxes); 95% bootstrap CI over images, {e.BootstrapResamples} resamples; recall/precision/F1 at IoU 0.5 at the validation-chosen score threshold",
            $"  {"model",-26} {"threshold",-10} " + string.Join(" ", names.Select(n => $"{n,-22}")),
        };
        foreach (var r in new[] { e.Initial, e.Final })
            lines.Add($"  {r.Label + " (trial " + r.Trial + ")",-26} {r.Threshold.ToString("0.000", CultureInfo.InvariantCulture),-10} " + string.Join(" ", names.Select(n => $"{Fmt(r.Metrics[n]),-22}")));
        lines.AddRange(ImageLevelTable(e));
        lines.AddRange(ClassTable(e.Final));
        return lines;
    }

    /// <summary>
    /// The image-level reading of both models ("is there a finding in this image?": the highest box score;
    /// flagged = at least one mark at the threshold) on every test image; empty for evaluations written
    /// before it existed.
    /// </summary>
    public static IReadOnlyList<string> ImageLevelTable(DetectionEvaluation e)
    {
        if (e.Initial.ImageLevel is not { } first) return [];
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(inv, $"image level (is there a finding in the image?): all {first.Positives + first.Negatives} test images ({first.Positives} positive{(e.TestImageLevelOnly > 0 ? $", {e.TestImageLevelOnly} of them known only at image level" : "")}, {first.Negatives} negative); score = highest box score; flagged = at least one mark at the threshold; AUC with DeLong CI"),
            $"  {"model",-26} {"AUC",-22} {"sensitivity",-22} {"specificity",-22} flagged",
        };
        foreach (var r in new[] { e.Initial, e.Final })
            if (r.ImageLevel is { } x)
                lines.Add(string.Create(inv, $"  {r.Label + " (trial " + r.Trial + ")",-26} {Fmt(x.Auc),-22} {Fmt(x.Sensitivity),-22} {Fmt(x.Specificity),-22} {x.TruePositives}/{x.Positives} positives, {x.FalsePositives}/{x.Negatives} negatives"));
        if (e.ImageLevelChange is { } c)
            lines.Add(string.Create(inv, $"  AUC final − initial {c.AucDifference:+0.000;−0.000;0.000} (DeLong paired p = {c.PValue:0.000})"));
        return lines;
    }

    /// <summary>Metric names of the per-class table.</summary>
    public static readonly IReadOnlyList<string> ClassMetricNames = ["map50", "map50_95", "recall", "precision", "f1"];

    /// <summary>The final model's per-class table (AP is the class's own; empty for one class).</summary>
    public static IReadOnlyList<string> ClassTable(DetectionModelResult r)
    {
        if (r.PerClass.Count == 0) return [];
        var lines = new List<string>
        {
            $"per class, {r.Label} (trial {r.Trial}); mAP is the mean of the classes' AP over classes with test boxes; n/a: no test box of that class",
            $"  {"class",-26} {"boxes",-10} " + string.Join(" ", ClassMetricNames.Select(n => $"{n,-22}")),
        };
        foreach (var c in r.PerClass)
            lines.Add($"  {c.Class,-26} {c.Boxes,-10} " + string.Join(" ", ClassMetricNames.Select(n => $"{Fmt(c.Metrics[n]),-22}")));
        if (r.ClassThresholds.Count > 0)
            lines.Add("  at " + ThresholdText(r.Operating, k => k < r.PerClass.Count ? r.PerClass[k].Class : k.ToString(CultureInfo.InvariantCulture)) + $" (each chosen on validation; a class with fewer than {DetectionMetrics.MinBoxesForClassThreshold} validation boxes keeps the pooled {r.Threshold.ToString("0.000", CultureInfo.InvariantCulture)})");
        return lines;
    }

    private static string Fmt(Estimate x) => double.IsNaN(x.Value) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");

    /// <summary>
    /// Writes report/report.md, report/model_card.md and report/report.html of a detection run from its
    /// folder and trials; returns report.html.
    /// </summary>
    public static string Write(RunPaths run, IReadOnlyList<TrialRecord> trials, IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> looks,
        TaskSpec spec, DataCard card, DetectionEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(e);
        var trial = run.Trial(e.Final.Trial);
        var rounds = Path.Combine(trial.Root, PseudoLabelRound.File);
        var metrics = File.Exists(trial.Metrics) ? Json.Read<TrialMetrics>(trial.Metrics) : null;
        var modelCard = DetectionModelCard.Build(new DetectionModelCard.Input(spec, card, e, trials,
            Json.Read<Recipe>(trial.Recipe), File.Exists(rounds) ? Json.Read<List<PseudoLabelRound>>(rounds) : null, metrics?.TrainSeconds / 60, metrics?.Initialization));
        return ReportFiles.Write(run, Build(run, trials, looks, spec, card, e), modelCard);
    }

    /// <summary>
    /// The report as a document: request, understanding, data and supervision, every trial, and the one
    /// test look with CIs (box metrics, the image-level reading, per class), limitations and protocol.
    /// </summary>
    public static ReportDocument Build(RunPaths run, IReadOnlyList<TrialRecord> trials, IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> looks,
        TaskSpec spec, DataCard card, DetectionEvaluation e)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(e);
        var inv = CultureInfo.InvariantCulture;
        var det = card.Detection ?? throw new ArgumentException("not a detection data card", nameof(card));
        var data = new List<ReportBlock>
        {
            new Paragraph(ReportText.Of(string.Create(inv, $"{card.TotalItems} images; {det.PositivesWithBoxes} positives with {det.Boxes} boxes, {det.PositivesImageLevelOnly} positives known only at image level ({det.BoxedShare:0%} of positives boxed: supervision "),
                ReportText.Strong(det.Supervision), $"), {det.Negatives} negatives. Label format {det.LabelFormat}; source classes: {string.Join(", ", det.SourceClasses)}.")),
        };
        if (card.Notes.Count > 0) data.Add(BulletList.Of(card.Notes.Select(n => (ReportText)n)));

        var names = new[] { "map50", "map50_95", "recall", "precision", "f1", "f2" };
        var test = new List<ReportBlock>
        {
            new Paragraph($"{e.TestImages} test images ({e.TestPositives} with {e.TestBoxes} boxes); 95% bootstrap intervals over images ({e.BootstrapResamples} resamples). Recall, precision, F1 and F2 at IoU 0.5, at the score threshold chosen on validation."),
            new Table(["model", "threshold", .. names], new[] { e.Initial, e.Final }.Select(r => (IReadOnlyList<Cell>)
                [$"{r.Label} (trial {r.Trial})", Cell.Number(r.Threshold.ToString("0.000", inv)), .. names.Select(n => Cell.Number(Fmt(r.Metrics[n])))]).ToList(), "test-table"),
        };
        if (e.Initial.ImageLevel is { } il)
        {
            var image = new List<ReportBlock>
            {
                new Paragraph(string.Create(inv, $"Reading at image level (is there a finding in the image?): all {il.Positives + il.Negatives} test images ({il.Positives} positive{(e.TestImageLevelOnly > 0 ? $", {e.TestImageLevelOnly} of them known only at image level" : "")}, {il.Negatives} negative). An image's score is its highest box score; it is flagged when at least one mark reaches the threshold above. AUC with its DeLong interval; sensitivity and specificity with bootstrap intervals.")),
                new Table(["model", "AUC", "sensitivity", "specificity", "flagged positives", "flagged negatives"], new[] { e.Initial, e.Final }
                    .Where(r => r.ImageLevel is not null).Select(r => (IReadOnlyList<Cell>)
                    [
                        $"{r.Label} (trial {r.Trial})", Cell.Number(Fmt(r.ImageLevel!.Auc)), Cell.Number(Fmt(r.ImageLevel.Sensitivity)), Cell.Number(Fmt(r.ImageLevel.Specificity)),
                        Cell.Number($"{r.ImageLevel.TruePositives} of {r.ImageLevel.Positives}"), Cell.Number($"{r.ImageLevel.FalsePositives} of {r.ImageLevel.Negatives}"),
                    ]).ToList(), "image-table"),
            };
            if (e.ImageLevelChange is { } c)
                image.Add(new Paragraph(string.Create(inv, $"AUC final − initial {c.AucDifference:+0.000;−0.000;0.000} (DeLong paired p = {c.PValue:0.000}).")));
            test.Add(new Panel(null, $"Image level: is there a {spec.Classes[0]} in the image?", image));
        }
        if (e.Final.PerClass.Count > 0)
            test.Add(new Panel(null, $"Per class (final model, trial {e.Final.Trial})",
            [
                new Paragraph($"Each class's AP and its recall, precision and F1 at IoU 0.5 at its threshold (chosen on validation per class; a class with fewer than {DetectionMetrics.MinBoxesForClassThreshold} validation boxes keeps the pooled one); a box counts only when its class is right. mAP above is the mean over classes with test boxes; n/a: no test box of that class."),
                new Table(["class", "test boxes", "threshold", .. ClassMetricNames], e.Final.PerClass.Select((c, k) => (IReadOnlyList<Cell>)
                    [c.Class, Cell.Number(c.Boxes.ToString(inv)), Cell.Number(e.Final.Operating.For(k).ToString("0.000", inv)), .. ClassMetricNames.Select(n => Cell.Number(Fmt(c.Metrics[n])))]).ToList(), "class-table"),
            ]));
        if (e.Examples.Count > 0) test.Add(ExamplesPanel(run, spec, e));
        test.Add(new Paragraph("Images whose positives are known only at image level cannot be scored for boxes and are left out of the box metrics; the image-level reading counts every test image.", Tone.Note));

        var sections = new List<ReportSection>
        {
            ReportSections.Request(spec.Request),
            ReportSections.Understood(spec),
            new("data", "The data", data),
            ReportSections.Rounds(trials, [new Paragraph(ReportText.Of("Objective on validation: ", ReportText.Strong(spec.PrimaryMetric), ". A change is kept only if it improves the best trial so far."))], []),
            new("test", $"Test results (the sealed split, looked at once: {e.LookedAt.ToString("yyyy-MM-dd HH:mm", inv)}Z)", test),
            ReportSections.Limitations([]),
            ReportSections.Protocol(looks, RunReport.ConvolutionPaths(run, trials)),
        };
        return new ReportDocument($"{spec.Classes[0]} detection — run report", [ReportSections.RunFolder(run)], sections);
    }

    /// <summary>
    /// The example test images drawn at the look (report/examples), with the legend of their colours and
    /// a caption per image; an example whose file is gone is named, not shown, so the report still renders.
    /// </summary>
    private static Panel ExamplesPanel(RunPaths run, TaskSpec spec, DetectionEvaluation e)
    {
        var inv = CultureInfo.InvariantCulture;
        var operating = ThresholdText(e.Final.Operating, k => k < e.Classes.Count ? e.Classes[k] : (k + 1).ToString(inv));
        static string Marks(int n, string what) => $"{n} {what}{(n == 1 ? "" : "s")}";
        var shown = e.Examples.Where(x => File.Exists(Path.Combine(run.ReportDir, x.File))).ToList();
        var blocks = new List<ReportBlock>
        {
            new Paragraph($"The final model's boxes (trial {e.Final.Trial}) at its operating point ({operating}, chosen on validation), on test images shown in grey. " +
                "Colours: bluish green = true mark (a box matching a true finding at IoU ≥ 0.5, with its score), vermillion = missed finding (a true box no mark matched), " +
                "sky blue = false mark (a box matching no finding, with its score); Okabe–Ito colours, told apart with common colour-vision deficiencies."),
            new Paragraph($"Chosen at the one test look from the predictions the tables above count: the images with the highest-scoring true marks, the {spec.Classes[0]} images with the most missed boxes " +
                "(least suspicious first), and the images without a finding with the highest-scoring false marks; each image once.", Tone.Note),
            new Gallery(shown.Select(x => new GalleryItem([new EmbeddedImage(Path.Combine(run.ReportDir, x.File), $"{x.Kind} example: {x.Id}", 360)],
                ReportText.Of($"{x.Kind}: {Marks(x.TrueMarks, "true mark")}, {x.Missed} missed, {Marks(x.FalseMarks, "false mark")} — {Path.GetFileName(x.File)}"), x.Id, 380)).ToList()),
        };
        if (shown.Count < e.Examples.Count)
            blocks.Add(new Paragraph($"Missing from {run.ExamplesDir}: {string.Join(", ", e.Examples.Except(shown).Select(x => Path.GetFileName(x.File)))} (drawn at the test look; not drawn again, since that would read the test images a second time).", Tone.Warning));
        return new Panel("examples", "Example test images (final model)", blocks);
    }

    /// <summary>"score threshold 0.300", or with per-class thresholds "score thresholds elbow 0.310, wrist 0.280".</summary>
    public static string ThresholdText(DetectionOperatingPoint operating, Func<int, string> className) =>
        operating.ClassThresholds.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"score threshold {operating.Threshold:0.000}")
            : "score thresholds " + string.Join(", ", operating.ClassThresholds.Select((t, k) => string.Create(CultureInfo.InvariantCulture, $"{className(k)} {t:0.000}")));
}
