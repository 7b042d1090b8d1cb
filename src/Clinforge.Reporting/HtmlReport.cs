using System.Globalization;
using System.Net;
using System.Text;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Reporting;

/// <summary>
/// report/report.html: one self-contained file (inline CSS and SVG figures, nothing fetched) with the
/// same facts as report.md plus the figures: validation trajectory, ROC and precision–recall curves
/// with the operating point, confusion matrix and calibration. Test figures are drawn only from
/// final/test_predictions*.csv, i.e. only after the one look.
/// </summary>
public static class HtmlReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string FinalColor = "#1f77b4", InitialColor = "#ff7f0e", GreyColor = "#999";

    /// <summary>Writes the report and returns its path.</summary>
    public static string Write(ReportInput input)
    {
        var path = input.Run.ReportHtml;
        AtomicFile.WriteAllText(path, Render(input));
        return path;
    }

    /// <summary>The HTML document.</summary>
    public static string Render(ReportInput r)
    {
        var sb = new StringBuilder();
        void L(string s) => sb.Append(s).Append('\n');
        var spec = r.Spec;
        var card = r.Card;
        L("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Clinforge report</title><style>");
        L("body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222;line-height:1.4}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top;font-size:.92em}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}blockquote{border-left:4px solid #ccc;margin:0;padding:.3em 1em;background:#fafafa}.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.figs>*{flex:1 1 300px;max-width:420px}.keep{break-inside:avoid;page-break-inside:avoid}h2,h3{break-after:avoid}.note{color:#555;font-size:.9em}.kept{color:#080;font-weight:bold}.warn{color:#b00;font-weight:bold}h2{border-bottom:1px solid #ddd;page-break-after:avoid}figure{margin:0;page-break-inside:avoid}@media print{body{max-width:none}}");
        L("</style></head><body>");
        L("<h1>Clinforge report</h1>");
        L($"<p class=\"note\">Run folder: <code>{H(r.Run.Root)}</code></p>");

        L("<h2 id=\"request\">The request</h2>");
        L($"<blockquote>{H(r.Request.Trim()).Replace("\n", "<br>")}</blockquote>");

        L("<h2 id=\"spec\">What the system understood</h2>");
        L($"<p>{H(spec.Restatement)}</p>");
        L("<table><tr><th>field</th><th>value</th><th>from the words</th></tr>");
        void F(string field, string value) => L($"<tr><td>{field}</td><td>{H(value)}</td><td>{H(spec.Provenance.TryGetValue(field, out var p) ? p : "default")}</td></tr>");
        foreach (var (field, value) in RunReport.SpecFields(spec)) F(field, value);
        L("</table>");
        if (spec.Questions.Count > 0)
        {
            L("<p>Open questions (answered with the default shown):</p><ul>");
            foreach (var q in spec.Questions) L($"<li>{H(q.Question)} — default used: <b>{H(q.Default)}</b></li>");
            L("</ul>");
        }

        L("<h2 id=\"data\">The data</h2>");
        L($"<p>Source: <code>{H(card.Source)}</code> ({H(card.Format)}), {card.TotalItems} images, {card.Channels} channel(s), sizes {card.ImageSizes.MinWidth}–{card.ImageSizes.MaxWidth} × {card.ImageSizes.MinHeight}–{card.ImageSizes.MaxHeight} px (most often {card.ImageSizes.CommonWidth} × {card.ImageSizes.CommonHeight}). Splits: {H(card.SplitMethod.Replace('_', ' '))} (seed {card.SplitSeed}){(card.GroupColumn is null ? "" : $", grouped by <code>{H(card.GroupColumn)}</code>")}.</p>");
        L("<table><tr><th>split</th>" + string.Concat(card.Classes.Select(c => $"<th>{H(c)}</th>")) + "<th>total</th></tr>");
        foreach (var (split, counts) in card.Counts)
            L($"<tr><td>{H(split)}</td>" + string.Concat(card.Classes.Select(c => $"<td class=\"n\">{(counts.TryGetValue(c, out var n) ? n : 0)}</td>")) + $"<td class=\"n\">{counts.Values.Sum()}</td></tr>");
        L("</table>");
        L($"<p>Identical images across splits: {(card.CrossSplitDuplicates.Count == 0 ? "none found" : $"<span class=\"warn\">{card.CrossSplitDuplicates.Count} group(s) — possible leakage</span>")}. Unreadable files: {(card.Unreadable.Count == 0 ? "none" : H(string.Join(", ", card.Unreadable.Select(u => $"{u.Path} ({u.Reason})"))))}.</p>");
        if (card.Notes.Count > 0) L("<ul>" + string.Concat(card.Notes.Select(n => $"<li>{H(n)}</li>")) + "</ul>");

        L("<h2 id=\"rounds\">Development rounds (validation split only)</h2>");
        if (EvidenceText.Protocol(card) is { } protocol) L($"<p>{H(protocol)}</p>");
        L($"<p>Objective on validation: <b>{H(Objective.From(spec).Describe())}</b>. {H(EvidenceText.KeepRule(r))}</p>");
        if (EvidenceText.Saturation(r) is { } saturated) L($"<p class=\"warn\"><b>{H(saturated)}</b></p>");
        var trajectory = Trajectory(r.Trials);
        if (trajectory is not null) L($"<figure id=\"fig-trajectory\" class=\"keep\" style=\"max-width:420px\">{trajectory}</figure>");
        L("<table><tr><th>#</th><th>change</th><th>why</th><th>source</th><th>validation objective</th><th>decision</th></tr>");
        foreach (var t in r.Trials)
        {
            string result = t.Status == TrialStatus.Succeeded && t.Objective is { } o ? o.ToString("0.0000", Inv) : $"{t.Status.ToString().ToLowerInvariant()}: {t.Diagnosis}";
            string decision = t.Accepted ? "<span class=\"kept\">kept</span>" : t.Status == TrialStatus.Succeeded ? $"discarded (best was {t.BestBefore?.ToString("0.0000", Inv) ?? "—"})" : "failed";
            L($"<tr><td class=\"n\">{t.Number}</td><td>{H(t.Change)}</td><td>{H(t.Reason)}</td><td>{H(t.Source ?? "—")}</td><td class=\"n\">{H(result)}</td><td>{decision}</td></tr>");
        }
        L("</table>");
        if (EvidenceText.Decisions(r) is { Count: > 0 } decisions)
            L("<ul class=\"decisions\">" + string.Concat(decisions.Select(d => $"<li>{H(d)}</li>")) + "</ul>");

        if (r.TradeOff is { } to)
        {
            L($"<h2 id=\"trade-off\">Trade-off: {H(TradeOffText.Title(to))}</h2>");
            L($"<p>{H(TradeOffText.Situation(to))} The achievable operating points were:</p>");
            L("<table id=\"trade-off-table\"><tr><th>option</th><th>validation sensitivity</th><th>validation specificity</th><th>what it means</th></tr>");
            foreach (var o in to.Options)
                L($"<tr><td>{(o.Key == to.Chosen.Key ? $"<b>{H(o.Key)}</b> (chosen)" : H(o.Key))}</td><td class=\"n\">{o.Sensitivity.ToString("0.000", Inv)}</td><td class=\"n\">{o.Specificity.ToString("0.000", Inv)}</td><td>{H(o.Description)}</td></tr>");
            L("</table>");
            L($"<p>Decided by the {H(to.ChosenBy)} ({to.DecidedAt.ToString("yyyy-MM-dd HH:mm", Inv)}Z, before the test look): {H(to.Reason)}. Both models' test thresholds follow this rule on their own validation predictions.</p>");
        }
        L("<h2 id=\"test\">Test results</h2>");
        if (r.Evaluation is not { } e)
        {
            L("<p>The sealed test split has not been evaluated for this run yet: no test numbers exist.</p>");
        }
        else
        {
            L($"<p>The test split ({e.TestCases} images: {H(string.Join(", ", e.TestCounts.Select(kv => $"{kv.Key} {kv.Value}")))}) was sealed when the data were split and opened {(e.TestLooks == 1 ? "once" : $"{e.TestLooks} times")}, on {e.LookedAt.ToString("u", Inv)}, to score the initial model (trial {e.Initial.Trial}) and the final model (trial {e.Final.Trial}).</p>");
            if (!double.IsNaN(e.Final.Threshold))
                L($"<p>Decisions use thresholds chosen on validation ({H(e.Final.ThresholdRule)}): initial {e.Initial.Threshold.ToString("0.000", Inv)}, final {e.Final.Threshold.ToString("0.000", Inv)}; positive class: {H(e.PositiveClass)}. <code>accuracy_at_0.5</code> uses the fixed 0.5 threshold, as the MedMNIST benchmarks do.</p>");
            L($"<p>Intervals are 95% stratified percentile bootstrap CIs ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed}); differences are final − initial with a paired test on the same test cases.</p>");
            var methods = e.Comparisons.Select(c => c.Method).Distinct().ToList();
            bool methodColumn = methods.Count > 1;
            if (!methodColumn && methods.Count == 1) L($"<p>Test of the difference: {H(methods[0])}.</p>");
            L("<table id=\"test-table\"><tr><th>metric</th><th>initial</th><th>final</th><th>difference [95% CI]</th><th>p</th>" + (methodColumn ? "<th>method</th>" : "") + "</tr>");
            foreach (var (name, fin) in e.Final.Metrics)
            {
                var ini = e.Initial.Metrics.TryGetValue(name, out var x) ? Fmt(x) : "—";
                var c = e.Comparisons.FirstOrDefault(k => k.Metric == name);
                L($"<tr><td>{H(name)}</td><td class=\"n\">{ini}</td><td class=\"n\">{Fmt(fin)}</td><td class=\"n\">{(c is null ? "" : $"{c.Difference.ToString("+0.000;-0.000;0.000", Inv)} [{c.Lower.ToString("0.000", Inv)}, {c.Upper.ToString("0.000", Inv)}]")}</td><td class=\"n\">{(c is null ? "" : P(c.PValue))}</td>{(methodColumn ? $"<td>{H(c?.Method ?? "")}</td>" : "")}</tr>");
            }
            L("</table>");
            if (e.Initial.Trial == e.Final.Trial) L("<p>No refinement improved the validation objective, so the final model is the initial one.</p>");
            if (EvidenceText.Expected(e, card) is { } expected) L($"<p>{H(expected)}</p>");
            if (EvidenceText.ThinTest(e) is { } thin) L($"<p class=\"warn\"><b>{H(thin)}</b></p>");
            TestFigures(sb, r, e);
        }

        if (r.Confound is { } cf) ConfoundPanel(sb, cf);

        if (r.Subgroups is { Count: > 0 } subgroups)
        {
            L("<h2 id=\"subgroups\">Subgroups (test split, final model)</h2>");
            L("<p class=\"note\">Metrics within each group of a metadata column, at the operating threshold chosen on validation, with 95% stratified bootstrap intervals. Descriptive only: groups are small and many are compared, so look for large gaps with non-overlapping intervals, not for p-values.</p>");
            foreach (var t in subgroups)
            {
                L($"<section class=\"keep\"><h3>{H(t.Column)} <span class=\"note\">({H(t.Grouping)})</span></h3>");
                L("<table class=\"subgroup-table\"><tr><th>group</th><th>images</th><th>positives</th><th>AUC [95% CI]</th><th>sensitivity [95% CI]</th><th>specificity [95% CI]</th></tr>");
                foreach (var g in t.Rows)
                    L($"<tr><td>{H(g.Group)}</td><td class=\"n\">{g.Count}</td><td class=\"n\">{g.Positives}</td><td class=\"n\">{Fmt(g.Auc)}</td><td class=\"n\">{Fmt(g.Sensitivity)}</td><td class=\"n\">{Fmt(g.Specificity)}</td></tr>");
                L("</table></section>");
            }
        }

        L("<h2 id=\"limitations\">Limitations</h2><ul>");
        L("<li>The validation objective of the final model is the best of several trials and therefore optimistic; the test results are the unbiased estimate.</li>");
        L("<li>Each p-value tests one metric on its own; with several metrics compared, read them without a multiple-comparison correction as descriptive, and the clinician's objective as the primary comparison.</li>");
        L("<li>Results hold for data like these; a different site, scanner or population needs its own validation before clinical use.</li>");
        if (card.CrossSplitDuplicates.Count > 0) L($"<li>{card.CrossSplitDuplicates.Count} group(s) of identical images appear in more than one split; metrics may be optimistic.</li>");
        if (r.Evaluation is { } ev && ev.TestCounts.Values.Any(n => n < 50)) L("<li>At least one class has fewer than 50 test images; its intervals are wide.</li>");
        if (spec.Questions.Count > 0) L("<li>Some choices were defaults, not stated in the request (see the open questions above).</li>");
        L("</ul>");

        L("<h2 id=\"protocol\">Protocol</h2><ul>");
        L($"<li>The test split was sealed when the data were split and looked at {r.TestLooks.Count} time(s){(r.TestLooks.Count > 1 ? " — <span class=\"warn\">MORE THAN ONCE (explicitly allowed); the test results are optimistic</span>" : "")}.</li>");
        foreach (var look in r.TestLooks) L($"<li>{look.Time.ToString("u", Inv)}: {H(look.Message)}</li>");
        L("<li>Every decision during development used the validation split only; the table of rounds shows each trial whether kept or discarded.</li>");
        foreach (var c in r.Convolutions ?? []) L($"<li>Numerics, checked on the training machine before training: {H(c)}.</li>");
        L("</ul>");
        L("</body></html>");
        return sb.ToString();
    }

    /// <summary>Every succeeded trial as a point (kept filled, discarded hollow) and the best-so-far step line; null with no succeeded trial.</summary>
    private static string? Trajectory(IReadOnlyList<TrialRecord> trials)
    {
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
        return plot.Render(xTicks: Math.Min(maxN + 1, 10), integerX: true, legendBottom: true);
    }

    private static void TestFigures(StringBuilder sb, ReportInput r, FinalEvaluation e)
    {
        if (r.TestPredictions is not { } fin) { sb.Append("<p class=\"note\">final/test_predictions.csv is missing, so the test figures cannot be drawn.</p>\n"); return; }
        int positive = -1;
        for (int i = 0; i < r.Card.Classes.Count; i++) if (r.Card.Classes[i] == e.PositiveClass) positive = i;
        if (positive < 0 || r.Card.Classes.Count < 2) { sb.Append("<p class=\"note\">No positive class, so ROC, precision–recall and calibration figures are not drawn.</p>\n"); }
        var ini = e.Initial.Trial == e.Final.Trial ? null : r.InitialTestPredictions;
        if (positive >= 0)
        {
            sb.Append("<section class=\"keep\"><h3 id=\"curves\">ROC and precision–recall curves (test split)</h3>\n<div class=\"figs\">");
            var (labels, scores) = Binary(fin, positive);
            var roc = BinaryMetrics.RocCurve(labels, scores);
            var pr = PrecisionRecall.Curve(labels, scores);
            var rocPlot = new SvgPlot("ROC curve", "1 − specificity", "sensitivity", 0, 1, 0, 1)
                .Line([(0, 0), (1, 1)], GreyColor, dashed: true)
                .Line(roc.Select(p => (p.Fpr, p.Tpr)), FinalColor, $"final (AUC {BinaryMetrics.Auc(labels, scores).ToString("0.000", Inv)})");
            double prevalence = labels.Average();
            var prPlot = new SvgPlot("Precision–recall curve", "recall (sensitivity)", "precision (PPV)", 0, 1, 0, 1)
                .Line([(0, prevalence), (1, prevalence)], GreyColor, dashed: true)
                .Line(pr.Select(p => (p.Recall, p.Precision)), FinalColor, $"final (AP {PrecisionRecall.AveragePrecision(labels, scores).ToString("0.000", Inv)})");
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
            sb.Append($"<figure id=\"fig-roc\">{rocPlot.Render(legendBottom: true)}</figure><figure id=\"fig-pr\">{prPlot.Render(legendBottom: true)}</figure>");
            sb.Append("</div></section>\n");
        }
        ConfusionMatrix(sb, r.Card.Classes, fin, positive, e.Final.Threshold);
        if (positive >= 0) CalibrationFigure(sb, fin, positive, e.PositiveClass);
        ExampleImages(sb, r);
    }

    /// <summary>The saved example test images, embedded as data URIs so the file stays self-contained.</summary>
    private static void ExampleImages(StringBuilder sb, ReportInput r)
    {
        if (r.Examples is not { Count: > 0 } examples) return;
        sb.Append("<section><h3 id=\"examples\">Example test images (final model, at the operating point)</h3>\n");
        sb.Append("<p class=\"note\">For each outcome, the cases the model was most sure about: its most confident correct calls and its most confident mistakes.");
        if (examples.Any(x => x.Saliency is not null))
            sb.Append(" Beside each image, the region the model saw (the centre square) with a Grad-CAM heat map (Selvaraju et al. 2017): yellow and red mark where the evidence for the positive class lies. Each map is scaled to its own maximum, so even a confident negative shows a hottest spot; read the colour together with p. It shows where the model looks, not whether that is clinically right, and it is coarse (the resolution of the model's last feature map).");
        sb.Append("</p>\n");
        foreach (var group in examples.GroupBy(x => x.Kind))
        {
            sb.Append($"<div class=\"keep\"><h4>{H(group.Key)}</h4><div class=\"figs\" style=\"gap:.5em\">");
            foreach (var x in group)
            {
                var path = Path.Combine(r.Run.ExamplesDir, x.File);
                if (!File.Exists(path)) continue;
                var cam = x.Saliency is null ? null : Path.Combine(r.Run.ExamplesDir, x.Saliency);
                bool withCam = cam is not null && File.Exists(cam);
                sb.Append($"<figure style=\"flex:0 0 auto;max-width:{(withCam ? 272 : 140)}px\"><img alt=\"{H(x.Kind)}: {H(x.Id)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(path))}\" style=\"width:128px;image-rendering:pixelated\">");
                if (withCam)
                    sb.Append($" <img class=\"gradcam\" alt=\"Grad-CAM: {H(x.Id)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(cam!))}\" style=\"width:128px\">");
                sb.Append($"<figcaption class=\"note\">{H(x.Label)}; p = {x.Probability.ToString("0.000", Inv)}<br><code style=\"word-break:break-all;font-size:.8em\">{H(x.Id)}</code></figcaption></figure>");
            }
            sb.Append("</div></div>\n");
        }
        sb.Append("</section>\n");
    }

    /// <summary>The named confounder: the shortcut in the development data, then each model's reliance on it on the test split.</summary>
    private static void ConfoundPanel(StringBuilder sb, Clinforge.Evaluation.ConfoundReport c)
    {
        static string Pct(int a, int b) => b == 0 ? "—" : ((double)a / b).ToString("0%", Inv);
        static string Num(double v) => double.IsNaN(v) ? "—" : v.ToString("0.000", Inv);
        sb.Append($"<h2 id=\"confound\">Confounder: {H(c.Confounder)} (column <code>{H(c.Column)}</code>)</h2>\n");
        sb.Append("<p class=\"note\">You asked that the model not rely on this. First how strongly it goes with the label in the development data (a shortcut the model could learn), then, on the test split, whether each model's predictions lean on it: false alarms concentrated in negatives that carry it, and the correlation of the prediction with it after the label is regressed out of both (partial correlation; near 0 means no reliance beyond what the diagnosis explains).</p>\n");
        sb.Append("<table id=\"confound-counts\"><tr><th>split</th><th>positives with it</th><th>negatives with it</th></tr>");
        foreach (var k in c.Counts)
            sb.Append($"<tr><td>{H(k.Split)}</td><td class=\"n\">{k.PositivesWith}/{k.Positives} ({Pct(k.PositivesWith, k.Positives)})</td><td class=\"n\">{k.NegativesWith}/{k.Negatives} ({Pct(k.NegativesWith, k.Negatives)})</td></tr>");
        sb.Append($"</table><p>The confounder alone predicts the label with AUC {Num(c.ConfounderOnlyAuc)} [{Num(c.ConfounderOnlyAucLower)}, {Num(c.ConfounderOnlyAucUpper)}] on train + validation (0.5 = no shortcut).</p>\n");
        sb.Append("<table id=\"confound-models\"><tr><th>model (test split)</th><th>false positives carrying it</th><th>its share of negatives</th><th>raw correlation [95% CI]</th><th>partial correlation [95% CI]</th><th>mean p: neg. without / neg. with / pos. without / pos. with</th></tr>");
        foreach (var m in c.Models)
        {
            var a = m.Analysis;
            string Mean(int label, bool with) => Num(a.Cells.First(x => x.Label == label && x.Confounder == with).Mean);
            sb.Append($"<tr><td>{H(m.Model)} (trial {m.Trial})</td><td class=\"n\">{a.FalsePositivesWithConfounder}/{a.FalsePositives} ({(double.IsNaN(a.FalsePositiveShare) ? "—" : a.FalsePositiveShare.ToString("0%", Inv))})</td><td class=\"n\">{(double.IsNaN(a.NegativeShare) ? "—" : a.NegativeShare.ToString("0%", Inv))}</td>");
            sb.Append($"<td class=\"n\">{Num(a.RawCorrelation.Value)} [{Num(a.RawCorrelation.Lower)}, {Num(a.RawCorrelation.Upper)}]</td><td class=\"n\">{Num(a.PartialCorrelation.Value)} [{Num(a.PartialCorrelation.Lower)}, {Num(a.PartialCorrelation.Upper)}]</td>");
            sb.Append($"<td class=\"n\">{Mean(0, false)} / {Mean(0, true)} / {Mean(1, false)} / {Mean(1, true)}</td></tr>");
        }
        sb.Append("</table><p class=\"note\">False positives counted at each model's operating threshold chosen on validation. If the false-positive share clearly exceeds the share of negatives, the model raises alarms because of the confounder.</p>\n");
        if (c.Shortcut is { } s) ShortcutPanel(sb, c.Confounder, s);
    }

    /// <summary>The debiasing rounds' outcome: labelling, baseline vs refined with CIs, and the verdict.</summary>
    private static void ShortcutPanel(StringBuilder sb, string confounder, Clinforge.Evaluation.ShortcutSummary s)
    {
        static string Num(double v) => double.IsNaN(v) ? "—" : v.ToString("0.000", Inv);
        sb.Append($"<section id=\"shortcut\"><h3>Debiasing: not relying on {H(confounder)}</h3>\n");
        if (s.Injected is { } injected)
            sb.Append($"<p class=\"warn\"><strong>This confounder was injected on purpose</strong> (a test fixture, not real clinical data): {H(injected)}</p>\n");
        sb.Append($"<p>Confounder labels: {s.Annotated} development images from the metadata column{(s.Predicted > 0 ? $", {s.Predicted} predicted by an auxiliary classifier trained on them" : "")}. Changes were kept by the {H(s.AcceptanceRule)} rule.</p>\n");
        if (s.Auxiliary is { } a)
            sb.Append($"<p id=\"shortcut-auxiliary\">Auxiliary {H(confounder)} classifier ({a.TrainImages} annotated training images): validation AUC {Num(a.ValAuc)} [{Num(a.ValAucLower)}, {Num(a.ValAucUpper)}] on {a.ValImages} annotated images, sensitivity {Num(a.Sensitivity)}, specificity {Num(a.Specificity)} at 0.5.</p>\n");
        sb.Append("<table id=\"shortcut-models\"><tr><th>model</th><th>debiasing</th><th>test AUC [95% CI]</th><th>partial correlation, test [95% CI]</th><th>partial correlation, validation</th><th>false positives carrying it, test [95% CI]</th></tr>");
        foreach (var m in s.Models)
            sb.Append($"<tr><td>{H(m.Model)} (trial {m.Trial})</td><td>{H(m.Debias)}</td><td class=\"n\">{Num(m.TestAuc)} [{Num(m.TestAucLower)}, {Num(m.TestAucUpper)}]</td><td class=\"n\">{Num(m.PartialCorrelation)} [{Num(m.PartialLower)}, {Num(m.PartialUpper)}]</td><td class=\"n\">{(m.ValPartialCorrelation is { } v ? Num(v) : "—")}</td>"
                + $"<td class=\"n\">{Num(m.FalsePositiveShare)} [{Num(m.FalsePositiveShareLower)}, {Num(m.FalsePositiveShareUpper)}] of {m.FalsePositives} (negatives carrying it: {Num(m.NegativeShare)})</td></tr>");
        sb.Append("</table>");
        if (s.AucDifference is { } d)
            sb.Append($"<p id=\"shortcut-auc-difference\">Test AUC, refined − baseline (paired bootstrap): {d.Difference.ToString("+0.000;-0.000", Inv)} [{Num(d.Lower)}, {Num(d.Upper)}], p = {Num(d.PValue)}.</p>");
        sb.Append($"<p id=\"shortcut-verdict\"><strong>Verdict:</strong> {H(s.Verdict)}</p></section>\n");
    }

    private static void ConfusionMatrix(StringBuilder sb, IReadOnlyList<string> classes, PredictionTable t, int positive, double threshold)
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
        sb.Append($"<section class=\"keep\"><h3 id=\"confusion\">Confusion matrix (test split, final model, {(binaryRule ? $"threshold {threshold.ToString("0.000", Inv)}" : "most probable class")})</h3>\n");
        sb.Append("<table id=\"confusion-table\"><tr><th>true \\ predicted</th>" + string.Concat(classes.Select(c => $"<th>{H(c)}</th>")) + "<th>total</th></tr>");
        for (int a = 0; a < k; a++)
        {
            int row = 0; for (int b = 0; b < k; b++) row += m[a, b];
            sb.Append($"<tr><th>{H(classes[a])}</th>");
            for (int b = 0; b < k; b++)
            {
                double share = row == 0 ? 0 : (double)m[a, b] / row;
                string bg = a == b ? $"rgba(31,119,180,{(0.1 + 0.6 * share).ToString("0.00", Inv)})" : $"rgba(214,39,40,{(0.1 + 0.6 * share).ToString("0.00", Inv)})";
                sb.Append($"<td class=\"n\" style=\"background:{bg}\">{m[a, b]} ({share.ToString("0.0%", Inv)})</td>");
            }
            sb.Append($"<td class=\"n\">{row}</td></tr>");
        }
        sb.Append("</table></section>\n");
    }

    private static void CalibrationFigure(StringBuilder sb, PredictionTable t, int positive, string positiveName)
    {
        var (labels, scores) = Binary(t, positive);
        var bins = Calibration.ReliabilityBins(labels, scores);
        double ece = Calibration.ExpectedCalibrationError(labels, scores), brier = Calibration.Brier(labels, scores);
        var plot = new SvgPlot($"Calibration ({positiveName}): ECE {ece.ToString("0.000", Inv)}, Brier {brier.ToString("0.000", Inv)}", "predicted probability", "observed fraction positive", 0, 1, 0, 1)
            .Line([(0, 0), (1, 1)], GreyColor, "perfect calibration", dashed: true)
            .Line(bins.Where(b => b.Count > 0).Select(b => (b.MeanScore, b.FractionPositive)), FinalColor, "final model")
            .Points(bins.Where(b => b.Count > 0).Select(b => (b.MeanScore, b.FractionPositive, (string?)$"{b.Lower.ToString("0.0", Inv)}–{b.Upper.ToString("0.0", Inv)}: {b.Count} images, mean p {b.MeanScore.ToString("0.000", Inv)}, observed {b.FractionPositive.ToString("0.000", Inv)}")), FinalColor);
        sb.Append($"<section class=\"keep\"><h3 id=\"calibration\">Calibration (test split, final model)</h3>\n<div class=\"figs\"><figure id=\"fig-calibration\">{plot.Render(legendLeft: true)}</figure>");
        sb.Append("<table><tr><th>bin</th><th>images</th><th>mean predicted</th><th>observed</th></tr>");
        foreach (var b in bins.Where(b => b.Count > 0))
            sb.Append($"<tr><td>{b.Lower.ToString("0.0", Inv)}–{b.Upper.ToString("0.0", Inv)}</td><td class=\"n\">{b.Count}</td><td class=\"n\">{b.MeanScore.ToString("0.000", Inv)}</td><td class=\"n\">{b.FractionPositive.ToString("0.000", Inv)}</td></tr>");
        sb.Append($"</table></div>\n<p>Expected calibration error (10 equal-width bins): {ece.ToString("0.000", Inv)}; Brier score: {brier.ToString("0.000", Inv)} (lower is better for both).</p></section>\n");
    }

    internal static (int[] Labels, double[] Scores) Binary(PredictionTable t, int positive) =>
        (t.Labels.Select(l => l == positive ? 1 : 0).ToArray(), t.Probabilities.Select(p => p[positive]).ToArray());

    private static string H(string s) => WebUtility.HtmlEncode(s);
    private static string Fmt(Estimate x) => double.IsNaN(x.Value) ? "—" : $"{x.Value.ToString("0.000", Inv)} [{x.Lower.ToString("0.000", Inv)}, {x.Upper.ToString("0.000", Inv)}]";
    private static string P(double p) => double.IsNaN(p) ? "—" : p < 0.001 ? "&lt;0.001" : p.ToString("0.000", Inv);
}
