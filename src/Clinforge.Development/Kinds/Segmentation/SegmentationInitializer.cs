using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Recipe v0 for segmentation specs, a pure function of (TaskSpec, DataCard) like <see cref="Initializer"/>,
/// in the spirit of nnU-Net's rule-based plans (Isensee et al. 2021): the working resolution from the
/// images' size, the patch size from the working resolution, and the pretrained encoder unless the
/// clinician asked for a network from scratch.
/// </summary>
public static class SegmentationInitializer
{
    /// <summary>The largest working side planned (px): DRIVE's 565 × 584 fundus images fit whole, so thin vessels keep their width.</summary>
    public const int MaxPlannedSize = 576;

    /// <summary>Builds the first segmentation recipe; <paramref name="start"/> is <c>--start</c> (auto and pretrained: the pretrained encoder; scratch: a U-Net from random weights).</summary>
    public static Recipe Plan(TaskSpec spec, DataCard card, int seed, string start = "auto")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        var summary = card.Segmentation ?? throw new ClinforgeException($"{card.Source}: the data card has no masks, so a segmentation recipe cannot be planned. Point --data at a folder with images/ and masks/.");
        var ci = CultureInfo.InvariantCulture;
        var origins = new Dictionary<string, string>();
        int native = Math.Max(card.ImageSizes.CommonWidth, card.ImageSizes.CommonHeight);
        // Whole stride-32 cells (the encoder's deepest map), never above the images' own size unless they are tiny.
        int size = Math.Clamp(native / 32 * 32, 64, MaxPlannedSize);
        origins["input.size"] = string.Format(ci, "{0} px letterbox (images {1} px): whole stride-32 cells, at most {2} px on a CPU", size, native, MaxPlannedSize);
        int patch = Math.Min(256, size);
        int patchesPerImage = Math.Clamp((int)Math.Ceiling((double)size * size / (patch * patch)), 1, 8);
        bool pretrained = start != "scratch";
        var model = pretrained ? new ModelSpec("unet_resnet18", Width: 32, Depth: 1) : new ModelSpec("unet", Width: 16, Depth: 4);
        origins["model"] = pretrained
            ? "U-Net decoder (Ronneberger et al. 2015) on the pretrained ResNet-18 encoder, skips at strides 2–32 (Iglovikov & Shvets 2018): ImageNet features help most when images are few"
            : "U-Net from scratch (Ronneberger et al. 2015), base width 16, four poolings: the comparison for the pretrained encoder, or what --start scratch asked for";
        var low = summary.Labels.Count > 0 ? summary.Labels.Min(l => l.MeanFraction) : 0;
        var labels = spec.Classes.Count == summary.Labels.Count ? spec.Classes.ToList() : summary.Labels.Select(l => l.Name).ToList();
        var segmentation = new SegmentationRecipe
        {
            Loss = "dice_ce",
            PatchSize = patch,
            PatchesPerImage = patchesPerImage,
            ForegroundPatchFraction = 0.33,
            Labels = labels,
        };
        origins["segmentation"] = string.Format(ci,
            "soft Dice + cross-entropy (nnU-Net's default, Isensee et al. 2021); {0} px patches, {1} per image per epoch, a third centred on foreground (nnU-Net's oversampling); the structure covers {2:0.#%} of the counted pixels on average",
            patch, patchesPerImage, low);
        var optimizer = new OptimizerSpec("adamw", LearningRate: 1e-3, WeightDecay: 1e-4, Schedule: "cosine", GradClip: 5);
        origins["optimizer"] = "AdamW lr 1e-3 with a short warm-up and a cosine schedule over the time budget, gradient clipping at 5";
        var aug = new AugmentationSpec(HorizontalFlip: 0.5, VerticalFlip: 0.5, Rotate90: 0.5, Brightness: 0.1);
        origins["augmentation"] = "flips and quarter turns moved with the mask (outlines have no preferred orientation on a patch), brightness/contrast ±10%";
        var recipe = new Recipe
        {
            Input = new InputSpec(size, card.Channels),
            Augmentation = aug,
            Model = model,
            Optimizer = optimizer,
            BatchSize = 4,
            MaxEpochs = 1000,
            Seed = seed,
            Segmentation = segmentation,
            FineTune = pretrained ? new FineTuneSpec("full", BackboneLrScale: 0.3, LayerDecay: 1.0) : null,
            Origins = origins,
        };
        if (pretrained) origins["fine_tune"] = "every encoder stage trains, at 0.3× the decoder's learning rate: outlines need the early, high-resolution features to adapt (Tajbakhsh et al. 2016)";
        return recipe;
    }
}
