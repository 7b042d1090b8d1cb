using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// report/model_card.md for a detection run as a <see cref="ReportDocument"/>, in the shape of <see cref="ModelCard"/> after
/// Mitchell et al. 2019 ("Model Cards for Model Reporting"): intended use (marking suspicious regions
/// for a clinician's review, not diagnosis), data and supervision structure (boxed positives,
/// pseudo-labels and their teacher), the operating point and why, test metrics with CIs, known limits,
/// and how to run the package.
/// </summary>
public static class DetectionModelCard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>What the card is written from: everything lives in the run folder.</summary>
    /// <param name="Spec">The task spec (request, finding, error preference, class handling).</param>
    /// <param name="Card">The data card with its detection supervision summary.</param>
    /// <param name="Evaluation">The one test look.</param>
    /// <param name="Trials">Every trial of the run, for the final trial's change and the count.</param>
    /// <param name="FinalRecipe">The final trial's recipe (resolution, NMS, mixed supervision).</param>
    /// <param name="PseudoLabels">The final trial's teacher–student rounds, or null when it had none.</param>
    /// <param name="TrainMinutes">Wall-clock minutes of the final trial's training, when known.</param>
    /// <param name="Initialization">How the final trial's weights started (metrics.json), when known.</param>
    public sealed record Input(TaskSpec Spec, DataCard Card, DetectionEvaluation Evaluation, IReadOnlyList<TrialRecord> Trials, Recipe FinalRecipe,
        IReadOnlyList<PseudoLabelRound>? PseudoLabels, double? TrainMinutes, string? Initialization = null);

    /// <summary>The card.</summary>
    public static ReportDocument Build(Input input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (spec, card, e) = (input.Spec, input.Card, input.Evaluation);
        var det = card.Detection ?? throw new ArgumentException("not a detection data card", nameof(input));
        var recipe = input.FinalRecipe;
        var d = recipe.Detection ?? new DetectionRecipe();
        var finding = spec.Classes.Count > 0 ? spec.Classes[0] : "finding";
        var final = input.Trials.FirstOrDefault(t => t.Number == e.Final.Trial);
        bool recallFirst = spec.PrimaryMetric == DetectionMetricNames.F2 || spec.ErrorPreference == ErrorPreference.Sensitivity;
        var sections = new List<ReportSection>();

        sections.Add(new(null, "Model", [BulletList.Of(
        [
            ReportText.Of(ReportText.Code(recipe.Model.Name), string.Create(Inv, $" ({(recipe.Model.Name == "fcos_resnet18" ? $"FCOS-style anchor-free one-stage detector with a {recipe.Model.Width}-channel feature pyramid on the pretrained ResNet-18{(recipe.FineTune is { Strategy: "partial" } ft ? $", stem and stages 1–{ft.FrozenStages} frozen" : "")}" : $"FCOS-style anchor-free one-stage detector, width {recipe.Model.Width}, depth {recipe.Model.Depth}")}), trial {e.Final.Trial}{(final is null ? "" : $" ({final.Change})")}, chosen among {input.Trials.Count} trial(s) on the validation split by {spec.PrimaryMetric}.")),
            d.MultiClass
                ? string.Create(Inv, $"Input: grey image letterboxed to {recipe.Input.Size}×{recipe.Input.Size} px; output: boxes, each with a class and a score, for {d.Classes.Count} classes kept apart ({string.Join(", ", d.Classes)}); one focal-loss map per class, non-maximum suppression within each class.")
                : string.Create(Inv, $"Input: grey image letterboxed to {recipe.Input.Size}×{recipe.Input.Size} px; output: boxes with a score for one class, '{finding}'."),
        ])]));

        sections.Add(new(null, "Intended use",
        [
            new Paragraph($"Requested as: \"{spec.Request.Trim().Replace("\n", " ", StringComparison.Ordinal)}\""),
            new Paragraph(spec.Restatement),
            new Paragraph(ReportText.Of($"Marks regions suspicious for {finding} on images like those described below, ", ReportText.Strong("for a clinician's review"),
                ": the marks draw attention, they are not a diagnosis, and an image without marks is not cleared. Not for stand-alone use, nor on other populations, sites or devices without local validation (", ReportText.Code("clinforge evaluate"), ").")),
        ]));

        var supervision = new List<ReportBlock>
        {
            new Paragraph(ReportText.Of($"{card.TotalItems} images from ", ReportText.Code(card.Source), string.Create(Inv, $" (labels: {det.LabelFormat}); split {card.SplitMethod.Replace('_', ' ')} (seed {card.SplitSeed})."))),
            BulletList.Of([ReportText.Of(string.Create(Inv, $"{det.PositivesWithBoxes} positive images with {det.Boxes} boxes, {det.PositivesImageLevelOnly} positives known only at image level ({det.BoxedShare:0%} of positives boxed: supervision "), ReportText.Strong(det.Supervision), $"), {det.Negatives} negatives.")]),
        };
        if (det.PerSplit.Count > 0)
            supervision.Add(new Table(["split", "positives with boxes", "positives, image level only", "negatives"],
                det.PerSplit.Select(kv => (IReadOnlyList<Cell>)[kv.Key, Cell.Number(kv.Value.PositivesWithBoxes.ToString(Inv)), Cell.Number(kv.Value.PositivesImageLevelOnly.ToString(Inv)), Cell.Number(kv.Value.Negatives.ToString(Inv))]).ToList()));
        var more = new List<ReportText> { $"Source classes: {string.Join(", ", det.SourceClasses)}. {ClassSentence(spec, finding, d)}" };
        if (d.MixedSupervision != "teacher_student" || input.PseudoLabels is not { Count: > 0 })
            more.Add(det.PositivesImageLevelOnly > 0
                ? "Pseudo-labels: not used by the final model; positives without boxes did not train it."
                : "Pseudo-labels: not needed (every positive has boxes).");
        else
            more.AddRange(input.PseudoLabels.Select(r => (ReportText)(r.Used
                ? string.Create(Inv, $"Pseudo-labels, round {r.Round}: the teacher ({r.Reason}; best epoch {r.TeacherEpoch}, validation mAP@50 {r.TeacherValMap50:0.000}, objective {r.TeacherValObjective:0.000}) boxed {r.PseudoLabelled} of {r.ImageLevelPositives} image-level positives (score ≥ {d.PseudoThreshold:G2}, at most {d.PseudoMaxBoxes} boxes each){Student(r)}.")
                : string.Create(Inv, $"Pseudo-labels, round {r.Round}: none — {r.Reason} (guard against teaching noise); the student kept {(r.Round == 1 ? "the boxed images only" : "the previous round's labels")}."))));
        supervision.Add(BulletList.Of(more));
        sections.Add(new(null, "Data and supervision", supervision));

        var operating = new List<ReportText>
        {
            ReportText.Of("Score threshold ", ReportText.Strong(e.Final.Threshold.ToString("0.000", Inv)), $", chosen on the validation split to maximise {(recallFirst ? "F2 at IoU 0.5 (recall weighted 4× precision)" : "F1 at IoU 0.5")}; boxes scoring below it are not shown."),
        };
        if (recallFirst)
            operating.Add($"Why: the request puts missing a {finding} above a false mark (\"less likely to be missed\"), so the threshold favours recall; expect more false marks than a balanced threshold would give.");
        operating.Add(string.Create(Inv, $"Non-maximum suppression at IoU {d.NmsIou:0.00} (overlapping marks of one finding are merged; two findings closer than that overlap may show as one{(d.MultiClass ? "; within each class only, so one place may carry marks of two classes" : "")}), at most {d.MaxDetections} boxes per image."));
        if (d.MultiClass)
            operating.Add(e.Final.ClassThresholds.Count > 0
                ? string.Create(Inv, $"Each class has its own threshold, chosen on its validation boxes the same way: {string.Join(", ", e.Final.ClassThresholds.Select((t, k) => $"{(k < d.Classes.Count ? d.Classes[k] : k.ToString(Inv))} {t:0.000}"))}; a class with fewer than {Clinforge.Evaluation.DetectionMetrics.MinBoxesForClassThreshold} validation boxes keeps the pooled threshold above, since a threshold chosen on a handful of boxes is noise.")
                : "One score threshold for every class (chosen on the pooled validation boxes).");
        sections.Add(new(null, "Operating point", [BulletList.Of(operating)]));

        var metrics = new List<ReportBlock>
        {
            new Paragraph(string.Create(Inv, $"{e.TestImages} test images ({e.TestPositives} positives with {e.TestBoxes} boxes), evaluated {e.LookedAt.ToString("u", Inv)}; 95% bootstrap CIs over images ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed}). Recall, precision and F1 at IoU 0.5 at the threshold above.")),
            new Table(["metric", "value [95% CI]"], new[] { "map50", "map50_95", "recall", "precision", "f1" }
                .Where(e.Final.Metrics.ContainsKey).Select(n => (IReadOnlyList<Cell>)[Label(n), Cell.Number(Value(e.Final.Metrics[n]))]).ToList()),
        };
        if (e.Final.ImageLevel is { } il)
            metrics.Add(new Panel(null, $"Image level: is there a {finding} in the image?",
            [
                new Paragraph(string.Create(Inv, $"Every test image ({il.Positives} positive{(e.TestImageLevelOnly > 0 ? $", {e.TestImageLevelOnly} of them known only at image level" : "")}, {il.Negatives} negative). An image's score is its highest box score; it is flagged when at least one mark reaches the threshold above — what you see as a marked image.")),
                new Table(["metric", "value [95% CI]"],
                [
                    ["AUC (DeLong CI)", Cell.Number(Value(il.Auc))],
                    ["sensitivity (flagged positives)", Cell.Number($"{Value(il.Sensitivity)} — {il.TruePositives} of {il.Positives}")],
                    ["specificity (unflagged negatives)", Cell.Number($"{Value(il.Specificity)} — {il.Negatives - il.FalsePositives} of {il.Negatives}")],
                ]),
            ]));
        if (e.Final.PerClass.Count > 0)
            metrics.Add(new Panel(null, "Per class",
            [
                new Paragraph("A box counts only when its class is right: a box of the wrong class is a false mark for the class it names and leaves the true finding missed. mAP above is the mean of the classes' AP over the classes with test boxes (COCO); n/a: no test box of that class."),
                new Table(["class", "test boxes", "AP@50", "AP@50:95", "recall", "precision", "f1"], e.Final.PerClass.Select(c => (IReadOnlyList<Cell>)
                    [c.Class, Cell.Number(c.Boxes.ToString(Inv)), .. new[] { "map50", "map50_95", "recall", "precision", "f1" }.Select(n => Cell.Number(Value(c.Metrics, n)))]).ToList()),
            ]));
        sections.Add(new(null, "Test metrics (sealed test split, looked at once)", metrics));

        var limits = new List<ReportText>
        {
            string.Create(Inv, $"Resolution: images are reduced to {recipe.Input.Size} px on the longer side; findings smaller than a few pixels at that scale (hairline fractures) can be missed."),
            ReportText.Of("The test split was held back from every development decision and opened once; it comes from the same dataset, so performance at another site, scanner or population is unknown until ", ReportText.Code("clinforge evaluate"), " is run on local labelled data."),
        };
        if (e.TestImageLevelOnly > 0) limits.Add(string.Create(Inv, $"{e.TestImageLevelOnly} test positives known only at image level have no boxes to match and are not in the box metrics."));
        string start = input.Initialization is { } init && init.StartsWith("pretrained", StringComparison.Ordinal)
            ? $"starting from {init}"
            : input.Initialization is { } why ? $"{why}" : "from scratch (no pretrained weights)";
        limits.Add($"Trained on CPU{(input.TrainMinutes is { } m ? string.Create(Inv, $" in about {m:0.#} minutes for the final trial") : "")}, {start}: a short budget limits what the model learns; check the CIs before trusting it.");
        limits.Add("The validation objective of the final model is the best of several trials and therefore optimistic; the test metrics above are the unbiased estimate.");
        if (card.CrossSplitDuplicates.Count > 0) limits.Add($"{card.CrossSplitDuplicates.Count} group(s) of identical images span splits: the test metrics may be optimistic.");
        limits.AddRange(spec.Questions.Select(q => (ReportText)$"Assumed, not stated: {q.Question} (default: {q.Default})."));
        sections.Add(new(null, "Known limits", [BulletList.Of(limits)]));

        sections.Add(new(null, "How to use", [new CodeBlock(
        [
            "clinforge predict <package> new_images/ --out marked/     # detections.json (boxes, scores) + <image>_marked.png per image",
            "clinforge evaluate <package> labelled_folder/ --out eval/  # external validation at this operating point, metrics with 95% CIs",
        ])]));
        return new ReportDocument($"Model card — {finding} detection", [], sections);
    }

    private static string Student(PseudoLabelRound r) => r.StudentValObjective is { } s
        ? string.Create(Inv, $"; the student then reached validation objective {s:0.000} ({(r.StudentBeatTeacher ? "better than" : "not better than")} its teacher)")
        : "";

    private static string Value(IReadOnlyDictionary<string, Estimate> metrics, string name) =>
        metrics.TryGetValue(name, out var x) ? Value(x) : "n/a";

    private static string Value(Estimate x) =>
        double.IsNaN(x.Value) ? "n/a" : string.Create(Inv, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");

    private static string ClassSentence(TaskSpec spec, string finding, DetectionRecipe d) => spec.ClassHandling switch
    {
        TaskSpec.PerSourceClassRequested when d.MultiClass => $"You asked to keep them apart: the detector learns {d.Classes.Count} classes ({string.Join(", ", d.Classes)}), gives each box one of them, and the test metrics below are also given per class.",
        TaskSpec.PerSourceClassRequested => $"You asked to keep them apart, but the data name only one class, so every box is one '{finding}'.",
        "merged" => $"Every box is one '{finding}' class, as answered.",
        _ => $"Every box is treated as one '{finding}' class (default; the question was not answered).",
    };

    private static string Label(string name) => name switch
    {
        "map50" => "mAP@50",
        "map50_95" => "mAP@50:95",
        _ => name,
    };
}
