using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Reporting;

/// <summary>
/// The detection kind's report: the test tables (initial vs final with CIs, the image-level reading,
/// per class), report.md, report.html and the model card, from the run folder and its trials.
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
    public static string Write(RunPaths run, IReadOnlyList<TrialRecord> trials, TaskSpec spec, DataCard card, DetectionEvaluation e)
    {
        Directory.CreateDirectory(run.ReportDir);
        var det = card.Detection!;
        var sb = new StringBuilder();
        sb.AppendLine($"# {spec.Classes[0]} detection — run report").AppendLine();
        sb.AppendLine($"Request: \"{spec.Request}\"").AppendLine();
        sb.AppendLine($"Understood as: {spec.Restatement}").AppendLine();
        foreach (var q in spec.Questions) sb.AppendLine($"- Open question ({q.Field}): {q.Question} Default used: {q.Default}.");
        sb.AppendLine().AppendLine("## Data").AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{card.TotalItems} images; {det.PositivesWithBoxes} positives with {det.Boxes} boxes, {det.PositivesImageLevelOnly} positives known only at image level ({det.BoxedShare:0%} of positives boxed: supervision {det.Supervision}), {det.Negatives} negatives. Label format {det.LabelFormat}; source classes: {string.Join(", ", det.SourceClasses)}."));
        foreach (var n in card.Notes) sb.AppendLine($"- {n}");
        sb.AppendLine().AppendLine("## Trials (validation)").AppendLine();
        sb.AppendLine("| trial | move | change | objective | kept |").AppendLine("|---|---|---|---|---|");
        foreach (var t in trials)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {t.Number} | {t.Move} | {t.Change} | {t.Objective:0.0000} | {(t.Accepted ? "yes" : "no")} |"));
        sb.AppendLine().AppendLine("## Test (looked at once)").AppendLine().AppendLine("```");
        foreach (var l in Table(e)) sb.AppendLine(l);
        sb.AppendLine("```").AppendLine();
        sb.AppendLine("Images whose positives are known only at image level cannot be scored for boxes and are left out of the box metrics; the image-level reading counts every test image.");
        var path = run.ReportMarkdown;
        AtomicFile.WriteAllText(path, sb.ToString());
        WriteModelCard(run, trials, spec, card, e);
        return WriteHtml(run, trials, spec, card, e);
    }

    /// <summary>report/model_card.md for a detection run (also copied into the package).</summary>
    private static string WriteModelCard(RunPaths run, IReadOnlyList<TrialRecord> trials, TaskSpec spec, DataCard card, DetectionEvaluation e)
    {
        var trial = run.Trial(e.Final.Trial);
        var rounds = Path.Combine(trial.Root, PseudoLabelRound.File);
        var metrics = File.Exists(trial.Metrics) ? Json.Read<TrialMetrics>(trial.Metrics) : null;
        return DetectionModelCard.Write(run.ModelCard, new DetectionModelCard.Input(spec, card, e, trials,
            Json.Read<Recipe>(trial.Recipe), File.Exists(rounds) ? Json.Read<List<PseudoLabelRound>>(rounds) : null, metrics?.TrainSeconds / 60, metrics?.Initialization));
    }

    /// <summary>
    /// report/report.html for a detection run: the same content as report.md as one self-contained page
    /// (what the web app shows and `report --pdf` prints): request, understanding, data and supervision,
    /// every trial, and the one test look with CIs.
    /// </summary>
    private static string WriteHtml(RunPaths run, IReadOnlyList<TrialRecord> trials, TaskSpec spec, DataCard card, DetectionEvaluation e)
    {
        static string H(string? s) => System.Net.WebUtility.HtmlEncode(s ?? "");
        var inv = CultureInfo.InvariantCulture;
        var det = card.Detection!;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Clinforge detection report</title><style>")
          .Append("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}")
          .Append("table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}")
          .Append(".note{color:#555;font-size:.92em}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem}</style></head><body>");
        sb.Append($"<h1>{H(spec.Classes[0])} detection — run report</h1><h2 id=\"request\">The request</h2><blockquote>{H(spec.Request)}</blockquote>");
        sb.Append($"<h2 id=\"spec\">What the system understood</h2><p>{H(spec.Restatement)}</p>");
        if (spec.Questions.Count > 0) sb.Append("<ul>" + string.Concat(spec.Questions.Select(q => $"<li>{H(q.Question)} — default used: <b>{H(q.Default)}</b></li>")) + "</ul>");
        sb.Append("<h2 id=\"data\">The data</h2>");
        sb.Append(string.Create(inv, $"<p>{card.TotalItems} images; {det.PositivesWithBoxes} positives with {det.Boxes} boxes, {det.PositivesImageLevelOnly} positives known only at image level ({det.BoxedShare:0%} of positives boxed: supervision <b>{H(det.Supervision)}</b>), {det.Negatives} negatives. Label format {H(det.LabelFormat)}; source classes: {H(string.Join(", ", det.SourceClasses))}.</p>"));
        if (card.Notes.Count > 0) sb.Append("<ul>" + string.Concat(card.Notes.Select(n => $"<li>{H(n)}</li>")) + "</ul>");
        sb.Append($"<h2 id=\"rounds\">Development rounds (validation split only)</h2><p>Objective on validation: <b>{H(spec.PrimaryMetric)}</b>. A change is kept only if it improves the best trial so far.</p>");
        sb.Append("<table><tr><th>#</th><th>change</th><th>why</th><th>source</th><th>validation objective</th><th>decision</th></tr>");
        foreach (var t in trials)
            sb.Append($"<tr><td class=\"n\">{t.Number}</td><td>{H(t.Change)}</td><td>{H(t.Reason)}</td><td>{H(t.Source ?? "—")}</td><td class=\"n\">{(t.Objective is { } o ? o.ToString("0.0000", inv) : H(t.Status + ": " + t.Diagnosis))}</td><td>{(t.Accepted ? "kept" : t.Status == TrialStatus.Succeeded ? "discarded" : "failed")}</td></tr>");
        sb.Append("</table>");
        var names = new[] { "map50", "map50_95", "recall", "precision", "f1", "f2" };
        sb.Append($"<h2 id=\"test\">Test results (the sealed split, looked at once: {e.LookedAt.ToString("yyyy-MM-dd HH:mm", inv)}Z)</h2>");
        sb.Append($"<p>{e.TestImages} test images ({e.TestPositives} with {e.TestBoxes} boxes); 95% bootstrap intervals over images ({e.BootstrapResamples} resamples). Recall, precision, F1 and F2 at IoU 0.5, at the score threshold chosen on validation.</p>");
        sb.Append("<table id=\"test-table\"><tr><th>model</th><th>threshold</th>" + string.Concat(names.Select(n => $"<th>{n}</th>")) + "</tr>");
        foreach (var r in new[] { e.Initial, e.Final })
            sb.Append($"<tr><td>{H(r.Label)} (trial {r.Trial})</td><td class=\"n\">{r.Threshold.ToString("0.000", inv)}</td>" + string.Concat(names.Select(n => $"<td class=\"n\">{Fmt(r.Metrics[n])}</td>")) + "</tr>");
        sb.Append("</table>");
        if (e.Initial.ImageLevel is { } il)
        {
            sb.Append(string.Create(inv, $"<h3>Image level: is there a {H(spec.Classes[0])} in the image?</h3><p>All {il.Positives + il.Negatives} test images ({il.Positives} positive{(e.TestImageLevelOnly > 0 ? $", {e.TestImageLevelOnly} of them known only at image level" : "")}, {il.Negatives} negative). An image's score is its highest box score; it is flagged when at least one mark reaches the threshold above. AUC with its DeLong interval; sensitivity and specificity with bootstrap intervals.</p>"));
            sb.Append("<table id=\"image-table\"><tr><th>model</th><th>AUC</th><th>sensitivity</th><th>specificity</th><th>flagged positives</th><th>flagged negatives</th></tr>");
            foreach (var r in new[] { e.Initial, e.Final })
                if (r.ImageLevel is { } x)
                    sb.Append(string.Create(inv, $"<tr><td>{H(r.Label)} (trial {r.Trial})</td><td class=\"n\">{Fmt(x.Auc)}</td><td class=\"n\">{Fmt(x.Sensitivity)}</td><td class=\"n\">{Fmt(x.Specificity)}</td><td class=\"n\">{x.TruePositives} of {x.Positives}</td><td class=\"n\">{x.FalsePositives} of {x.Negatives}</td></tr>"));
            sb.Append("</table>");
            if (e.ImageLevelChange is { } c)
                sb.Append(string.Create(inv, $"<p>AUC final − initial {c.AucDifference:+0.000;−0.000;0.000} (DeLong paired p = {c.PValue:0.000}).</p>"));
        }
        if (e.Final.PerClass.Count > 0)
        {
            sb.Append($"<h3>Per class (final model, trial {e.Final.Trial})</h3><p>Each class's AP and its recall, precision and F1 at IoU 0.5 at its threshold (chosen on validation per class; a class with fewer than {DetectionMetrics.MinBoxesForClassThreshold} validation boxes keeps the pooled one); a box counts only when its class is right. mAP above is the mean over classes with test boxes; n/a: no test box of that class.</p>");
            sb.Append("<table id=\"class-table\"><tr><th>class</th><th>test boxes</th><th>threshold</th>" + string.Concat(ClassMetricNames.Select(n => $"<th>{n}</th>")) + "</tr>");
            for (int k = 0; k < e.Final.PerClass.Count; k++)
            {
                var c = e.Final.PerClass[k];
                sb.Append($"<tr><td>{H(c.Class)}</td><td class=\"n\">{c.Boxes}</td><td class=\"n\">{e.Final.Operating.For(k).ToString("0.000", inv)}</td>" + string.Concat(ClassMetricNames.Select(n => $"<td class=\"n\">{Fmt(c.Metrics[n])}</td>")) + "</tr>");
            }
            sb.Append("</table>");
        }
        sb.Append("<p class=\"note\">Images whose positives are known only at image level cannot be scored for boxes and are left out of the box metrics; the image-level reading counts every test image.</p>");
        sb.Append("<h2 id=\"limitations\">Limitations</h2><ul><li>The validation objective of the final model is the best of several trials and therefore optimistic; the test results are the unbiased estimate.</li><li>Results hold for data like these; a different site, scanner or population needs its own validation before clinical use.</li></ul>");
        sb.Append("</body></html>");
        var path = run.ReportHtml;
        AtomicFile.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>"score threshold 0.300", or with per-class thresholds "score thresholds elbow 0.310, wrist 0.280".</summary>
    public static string ThresholdText(DetectionOperatingPoint operating, Func<int, string> className) =>
        operating.ClassThresholds.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"score threshold {operating.Threshold:0.000}")
            : "score thresholds " + string.Join(", ", operating.ClassThresholds.Select((t, k) => string.Create(CultureInfo.InvariantCulture, $"{className(k)} {t:0.000}")));
}
