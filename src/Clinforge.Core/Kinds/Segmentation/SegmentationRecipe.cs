namespace Clinforge.Core;

/// <summary>
/// The segmentation part of a recipe (null for the other kinds). The network is named in
/// <see cref="Recipe.Model"/> (<c>unet_resnet18</c> on the pretrained encoder, or <c>unet</c> from
/// scratch), the working resolution (the longest side, letterboxed to a square) in <see cref="Recipe.Input"/>;
/// flips and brightness/contrast reuse <see cref="Recipe.Augmentation"/> and move image and mask together.
/// </summary>
public sealed record SegmentationRecipe
{
    /// <summary>
    /// dice_ce | dice_focal | tversky: soft Dice plus cross-entropy (nnU-Net's default, Isensee et al.
    /// 2021), Dice plus focal loss (Lin et al. 2017) for thin or rare structures, or the Tversky loss
    /// (Salehi et al. 2017) whose β above α weighs misses more than false outlines.
    /// </summary>
    public string Loss { get; init; } = "dice_ce";

    /// <summary>Tversky α: weight of false positives (tversky only).</summary>
    public double TverskyAlpha { get; init; } = 0.3;

    /// <summary>Tversky β: weight of false negatives (tversky only).</summary>
    public double TverskyBeta { get; init; } = 0.7;

    /// <summary>Focal γ (dice_focal only).</summary>
    public double FocalGamma { get; init; } = 2.0;

    /// <summary>Side of the square training patches in px (a multiple of 32, at most the input size).</summary>
    public int PatchSize { get; init; } = 256;

    /// <summary>Patches drawn per training image each epoch.</summary>
    public int PatchesPerImage { get; init; } = 4;

    /// <summary>
    /// Share of patches centred on a foreground pixel (nnU-Net oversamples foreground in a third of
    /// its patches so rare structures are seen; Isensee et al. 2021).
    /// </summary>
    public double ForegroundPatchFraction { get; init; } = 0.33;

    /// <summary>
    /// none | clahe: how each image's contrast is prepared before it is letterboxed, in training and at
    /// every inference. clahe equalises each channel locally (<see cref="ContrastModes.Clahe"/>): the usual
    /// first step of retinal-vessel pipelines, which evens out uneven illumination and pale areas.
    /// </summary>
    public string Contrast { get; init; } = ContrastModes.None;

    /// <summary>Average the prediction over horizontal and vertical flips at inference (test-time augmentation).</summary>
    public bool FlipInference { get; init; }

    /// <summary>Connected foreground components smaller than this many pixels are removed from a prediction (0 = off).</summary>
    public int MinComponentPixels { get; init; }

    /// <summary>
    /// An inference-only change (flips, small-piece removal) of trial N: the trial takes N's weights and
    /// only validates them with its own inference settings, so the change is judged on the same network
    /// rather than on a retrained one whose training noise would hide it (null: train).
    /// </summary>
    public int? ReuseWeightsOf { get; init; }

    /// <summary>
    /// The labels the network outlines, names in label order (label k = mask value
    /// <see cref="SegmentationSummary.Labels"/>[k − 1]); the network predicts these plus background.
    /// </summary>
    public IReadOnlyList<string> Labels { get; init; } = ["foreground"];

    /// <summary>Output maps: background plus one per label.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ClassCount => Math.Max(1, Labels.Count) + 1;
}
