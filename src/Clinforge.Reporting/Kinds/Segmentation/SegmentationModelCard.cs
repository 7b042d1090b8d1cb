using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// report/model_card.md for a segmentation run as a <see cref="ReportDocument"/>, after Mitchell et al.
/// 2019 ("Model Cards for Model Reporting"): what the model outlines and at what resolution, intended
/// use (outlines for a clinician to check, not a diagnosis), data, test metrics with CIs, known limits
/// and how to run the package.
/// </summary>
public static class SegmentationModelCard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>What the card is written from.</summary>
    /// <param name="Spec">The task spec.</param>
    /// <param name="Card">The data card with its segmentation summary.</param>
    /// <param name="Evaluation">The one test look.</param>
    /// <param name="Trials">Every trial of the run.</param>
    /// <param name="FinalRecipe">The final trial's recipe.</param>
    /// <param name="TrainMinutes">Minutes of the final trial's training, when known.</param>
    /// <param name="Initialization">How the final trial's weights started, when known.</param>
    public sealed record Input(TaskSpec Spec, DataCard Card, SegmentationEvaluation Evaluation, IReadOnlyList<TrialRecord> Trials, Recipe FinalRecipe, double? TrainMinutes, string? Initialization);

    /// <summary>The card.</summary>
    public static ReportDocument Build(Input input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (spec, card, e, recipe) = (input.Spec, input.Card, input.Evaluation, input.FinalRecipe);
        var seg = recipe.Segmentation ?? new SegmentationRecipe();
        var final = input.Trials.FirstOrDefault(t => t.Number == e.Final.Trial);
        string what = string.Join(", ", e.Labels);
        var sections = new List<ReportSection>
        {
            new(null, "Model", [BulletList.Of(
            [
                ReportText.Of(ReportText.Code(recipe.Model.Name), string.Create(Inv, $" ({(recipe.Model.Name == "unet_resnet18" ? $"U-Net decoder of base width {recipe.Model.Width} on the pretrained ResNet-18 encoder" : $"U-Net from scratch, base width {recipe.Model.Width}, {recipe.Model.Depth} levels")}), trial {e.Final.Trial}{(final is null ? "" : $" ({final.Change})")}, chosen among {input.Trials.Count} trial(s) on the validation split by {spec.PrimaryMetric}.")),
                string.Create(Inv, $"Input: the image{(seg.Contrast == ContrastModes.Clahe ? " with each channel's contrast equalised locally (CLAHE, 8×8 tiles, clip limit 2)" : "")} letterboxed to {recipe.Input.Size}×{recipe.Input.Size} px ({recipe.Input.Channels} channel{(recipe.Input.Channels == 1 ? "" : "s")}); output: a label for every pixel of the original image ({what}, or background), probabilities interpolated back to the image's own size{(seg.FlipInference ? ", averaged over flips" : "")}{(seg.MinComponentPixels > 0 ? $", pieces under {seg.MinComponentPixels} px (at the working size) removed" : "")}."),
                string.Create(Inv, $"Trained on {seg.PatchSize} px patches with loss {seg.Loss}."),
            ])]),
            new(null, "Intended use",
            [
                new Paragraph($"Requested as: \"{spec.Request.Trim().Replace("\n", " ", StringComparison.Ordinal)}\""),
                new Paragraph(spec.Restatement),
                new Paragraph(ReportText.Of($"Outlines {what} on images like those described below, ", ReportText.Strong("for a clinician to check"),
                    ": an outline is a measurement aid, not a diagnosis. Not for stand-alone use, nor on other populations, sites or devices without local validation.")),
            ]),
            new(null, "Data", [new Paragraph(ReportText.Of($"{card.TotalItems} image/mask pairs from ", ReportText.Code(card.Source), string.Create(Inv, $"; split {card.SplitMethod.Replace('_', ' ')} (seed {card.SplitSeed}).")))]),
            new(null, "Test metrics (sealed test split, looked at once)",
            [
                new Paragraph(string.Create(Inv, $"{e.TestImages} test images, evaluated {e.LookedAt.ToString("u", Inv)}; means over images with 95% bootstrap CIs ({e.BootstrapResamples} resamples){(e.RegionOfInterest ? ", inside each image's region of interest" : "")}.")),
                new Table(["label", "Dice", "IoU", "sensitivity", "precision", "HD95 (px)"], e.Final.Labels.Select(l => (IReadOnlyList<Cell>)
                    [l.Label >= 1 && l.Label <= e.Labels.Count ? e.Labels[l.Label - 1] : $"label {l.Label}", Cell.Number(ReportSections.Ci(l.Dice)), Cell.Number(ReportSections.Ci(l.Iou)),
                     Cell.Number(ReportSections.Ci(l.Sensitivity)), Cell.Number(ReportSections.Ci(l.Precision)), Cell.Number(l.Hd95 is { } h ? ReportSections.Ci(h) : "n/a")]).ToList()),
            ]),
        };
        string start = input.Initialization is { } init ? init : "from scratch (no pretrained weights)";
        var limits = new List<ReportText>
        {
            string.Create(Inv, $"Resolution: images are letterboxed to {recipe.Input.Size} px on the longer side; structures thinner than a pixel at that scale are lost."),
            ReportText.Of("The test split comes from the same dataset: performance at another site or device is unknown until checked on local labelled data."),
            $"Trained on CPU{(input.TrainMinutes is { } m ? string.Create(Inv, $" in about {m:0.#} minutes for the final trial") : "")}, {start}.",
        };
        if (e.TestImages < 10) limits.Add(string.Create(Inv, $"Only {e.TestImages} test images: the intervals above are wide."));
        limits.AddRange(spec.Questions.Select(q => (ReportText)$"Assumed, not stated: {q.Question} (default: {q.Default})."));
        sections.Add(new(null, "Known limits", [BulletList.Of(limits)]));
        sections.Add(new(null, "How to use", [new CodeBlock(
        [
            "clinforge predict <package> new_images/ --out outlined/   # <image>_mask.png + <image>_overlay.png per image, areas in segmentation.csv",
            "clinforge evaluate <package> images_and_masks/ --out eval/  # external validation: Dice, IoU, sensitivity, precision, HD95 with 95% CIs",
        ])]));
        return new ReportDocument($"Model card — {what} segmentation", [], sections);
    }
}
