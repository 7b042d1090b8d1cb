using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The classification kind's recipe v0 as a pure function of (TaskSpec, DataCard), like nnU-Net's
/// plans: same inputs, same recipe; every constant says where it comes from in
/// <see cref="Recipe.Origins"/> and below.
/// </summary>
public static class ClassificationInitializer
{
    /// <summary>Builds the first recipe; <paramref name="start"/> overrides the pretrained-or-scratch rule ("auto" keeps it).</summary>
    public static Recipe Plan(TaskSpec spec, DataCard card, int seed, string start)
    {
        var origins = new Dictionary<string, string>();
        // Resolution: native size when small (MedMNIST is 28 px), else 64 px. The CPU here is
        // compute-bound (../shared/BENCHMARKS.md: a ResNet at 28 px is near peak at ~100-260 img/s),
        // and cost grows with pixels, so the playbook raises resolution only when the curve asks.
        int common = Math.Min(card.ImageSizes.CommonWidth, card.ImageSizes.CommonHeight);
        int size = common <= 64 ? Math.Max(common, 16) : 64;
        origins["input.size"] = common <= 64 ? $"native image size ({common} px)" : $"64 px: images are {common} px, downsampled for a CPU budget; the playbook may raise it";

        // Model: a 3-stage ResNet, width 16, one block per stage: trains an epoch of 5k 28-px images
        // in seconds on 2 cores, so a 1-2 minute trial sees tens of epochs (MedMNIST v2 trained
        // ResNets from scratch for 100 epochs: Yang et al. 2023).
        var model = new ModelSpec("resnet", Width: 16, Depth: 1);
        origins["model"] = "small ResNet (He et al. 2016), width 16 x 1 block per stage: about a minute per trial on 2 CPU cores";

        // Optimiser: AdamW at 1e-3 (MedMNIST v2 used Adam 1e-3), cosine decay planned to end inside the budget.
        var optimizer = new OptimizerSpec("adamw", LearningRate: 1e-3, WeightDecay: 1e-4, Schedule: "cosine");
        origins["optimizer"] = "AdamW lr 1e-3 (Loshchilov & Hutter 2019; MedMNIST v2 baseline lr), cosine schedule";

        // Augmentation: horizontal flip and small shifts are label-preserving for most 2D medical
        // images; 90° rotations are not (chest X-rays have an orientation), so they start off.
        var aug = new AugmentationSpec(HorizontalFlip: 0.5, CropPadding: 0.08, Brightness: 0.1);
        origins["augmentation"] = "flip 0.5, shift ±8%, brightness/contrast ±10%: mild, label-preserving defaults";

        // Batch 64: stable batch-norm statistics, small enough for many steps per epoch on small data.
        int batch = card.Counts.TryGetValue(SplitNames.Train, out var train) && train.Values.Sum() < 1000 ? 32 : 64;
        origins["batch_size"] = batch == 32 ? "32: fewer than 1000 training images" : "64: default";

        // Loss: plain cross-entropy, unless the clinician asked not to miss a class that is also the
        // minority: then square-root inverse-frequency weights from the start (a mild correction,
        // Cui et al. 2019), so the first model already leans toward the costlier error.
        var loss = new LossSpec();
        origins["loss"] = "cross-entropy; imbalance is handled by playbook moves when the validation results ask";
        if (spec.ErrorPreference == ErrorPreference.Sensitivity && spec.PositiveClass is { } pos && train is not null
            && train.TryGetValue(pos, out int posCount) && posCount < train.Values.Sum() / (double)Math.Max(train.Count, 1))
        {
            loss = loss with { ClassWeights = "sqrt_inverse_frequency" };
            origins["loss"] = $"cross-entropy with sqrt inverse-frequency class weights: '{pos}' is a minority and missing it costs more";
        }
        origins["seed"] = "run seed";
        var recipe = new Recipe
        {
            Input = new InputSpec(size, card.Channels),
            Augmentation = aug,
            Model = model,
            Loss = loss,
            Sampler = new SamplerSpec(),
            Optimizer = optimizer,
            BatchSize = batch,
            MaxEpochs = 100,
            Seed = seed,
            Origins = origins,
        };
        bool pretrained = start switch { "pretrained" => true, "scratch" => false, _ => UsePretrained(common) };
        if (!pretrained)
        {
            if (start == "scratch" && UsePretrained(common)) origins["model"] += $" (from scratch as asked: --start scratch; the rule would have started from pretrained weights at {common} px)";
            return recipe;
        }
        var planned = Pretrained(recipe, common, train?.Values.Sum() ?? card.TotalItems);
        if (start != "pretrained" || UsePretrained(common)) return planned;
        // Asked for on thumbnails: the weights' receptive field needs more than the images' side, so they are upsampled (MedMNIST+, Doerrich et al. 2024, upsample 28 px to 64–224 px for pretrained models).
        return Thumbnails(planned, common);
    }

    /// <summary>Side (px) to which thumbnails are upsampled when the pretrained backbone is asked for on them.</summary>
    public const int ThumbnailPretrainedSize = 64;

    /// <summary>
    /// The pretrained plan on thumbnails (asked for with <c>--start pretrained</c> below
    /// <see cref="PretrainedMinSide"/>): the images are upsampled to 64 px and the whole network is
    /// fine-tuned, with discriminative learning rates (the last stage at 0.3× the head's, 0.8× per
    /// earlier stage; Howard and Ruder 2018) after a one-epoch warm-up. MedMNIST+ (Doerrich et al. 2024)
    /// upsamples 28-px images for pretrained models and fine-tunes end to end; a linear probe does not
    /// carry: on BreastMNIST (2 cores) the head-only plan at 64 px reached test AUC 0.82 in an 8-minute run;
    /// in 3-minute trials under 5-fold cross-validation, full fine-tuning at 64 px reached out-of-fold AUC 0.890 and test AUC 0.923
    /// (against 0.880 / 0.900 from scratch). 96 px trained 5–6 epochs per fold in the same time and
    /// reached 0.869 out of fold; uniform learning rates 0.871.
    /// </summary>
    public static Recipe Thumbnails(Recipe planned, int common)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var origins = new Dictionary<string, string>(planned.Origins)
        {
            ["model"] = $"pretrained ResNet-18 ([2, 2, 2, 3], NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) on {common}-px images, asked for with --start pretrained (the rule keeps scratch below {PretrainedMinSide} px: at 15 minutes on BreastMNIST both starts reached test AUC 0.91)",
            ["input.size"] = $"{ThumbnailPretrainedSize} px: {common}-px images upsampled for the pretrained backbone (MedMNIST+, Doerrich et al. 2024); 96 px trained too few epochs per trial on 2 cores",
            ["fine_tune"] = "full fine-tuning, the last stage at 0.3× the head's learning rate and 0.8× per earlier stage, one warm-up epoch: on thumbnails frozen ImageNet features do not carry (BreastMNIST: head only test AUC 0.82, full fine-tuning 0.92)",
            ["max_epochs"] = "100: a few seconds per epoch at 64 px; the time budget ends training",
        };
        return planned with
        {
            Input = planned.Input with { Size = ThumbnailPretrainedSize },
            FineTune = new FineTuneSpec("full", FrozenStages: 1, BackboneLrScale: 0.3, LayerDecay: 0.8, Views: 1),
            Optimizer = planned.Optimizer with { WarmupEpochs = 1 },
            MaxEpochs = 100,
            Origins = origins,
        };
    }

    /// <summary>Batch size for fine-tuning that trains the stem or stage 1 at <see cref="EarlyStagesBatchMinSize"/> px or more.</summary>
    public const int EarlyStagesBatch = 16;

    /// <summary>Input side (px) from which <see cref="EarlyStagesBatch"/> applies.</summary>
    public const int EarlyStagesBatchMinSize = 160;

    /// <summary>
    /// The recipe with its batch lowered to 16 when its training step reaches the stem or stage 1 of the
    /// pretrained backbone at 160 px or more (full fine-tuning, or partial with at most the stem and stage
    /// 1 frozen, whose frozen output may not fit the cache). Why: those stages' activations at 224 px are
    /// 112² × 64 and 56² × 64 floats per image, and at batch 64 they no longer stay in the CPU's caches.
    /// Measured with <c>bench -- pretrained-throughput --channels 1 --sizes 224</c> on 2 cores: full
    /// fine-tuning 14.3 images/s at batch 16 against 7.8 at batch 64, partial with stage 1 frozen and run
    /// every step 27.4 against 18.3; with stages 1–3 frozen and cached the batch made no difference.
    /// Unchanged otherwise, and never raised.
    /// </summary>
    public static Recipe WithEarlyStagesBatch(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        bool early = recipe.FineTune is { Strategy: "full" } or { Strategy: "partial", FrozenStages: <= 1 };
        if (!early || recipe.Model.Name != "resnet18_pretrained" || recipe.Input.Size < EarlyStagesBatchMinSize || recipe.BatchSize <= EarlyStagesBatch) return recipe;
        return (recipe with { BatchSize = EarlyStagesBatch }).WithOrigin("batch_size",
            $"{EarlyStagesBatch}: the stem or stage 1 trains at {recipe.Input.Size} px, and their activations at batch {recipe.BatchSize} leave the CPU's caches (full fine-tuning at 224 px: 14.3 images/s at batch 16, 7.8 at 64, 2 cores)");
    }

    /// <summary>Smallest common image side (px) from which the pretrained backbone is the starting point.</summary>
    public const int PretrainedMinSide = 96;

    /// <summary>Training sets up to this size get several augmented views of each image through the frozen backbone.</summary>
    public const int ManyViewsMaxImages = 1000;

    /// <summary>
    /// The rule: real-size images (common side ≥ 96 px) start from the pretrained ResNet-18. Evidence:
    /// on a 200-image dermoscopy set its frozen features with a linear classifier reached AUC 0.95
    /// (5-fold CV) against 0.83 for a CNN trained from scratch, and on bone-fracture radiographs
    /// 0.70 against 0.55 (measurements recorded with this feature's request); MedMNIST+ (Doerrich et
    /// al. 2024) compares pretrained and from-scratch training across 28–224 px. Thumbnails (MedMNIST's
    /// 28 px) keep the small from-scratch ResNet: a stride-32 backbone sees them as 1×1 maps, and even
    /// fine-tuned end to end at 64 px for 15 minutes it reached test AUC 0.964 against 0.979 from scratch on
    /// PneumoniaMNIST, 0.912 against 0.905 on BreastMNIST (2 cores, docs/benchmarks.md).
    /// </summary>
    public static bool UsePretrained(int commonSide) => commonSide >= PretrainedMinSide;

    /// <summary>
    /// The pretrained plan: a linear head on frozen features (a linear probe, Kornblith et al. 2019),
    /// which on a 2-core CPU costs one forward pass per image and view, once per run; the playbook
    /// unfreezes stages, raises the resolution and lowers the backbone's learning rate from there.
    /// Resolution: the weights' own 224 px, or the images' side (rounded down to a multiple of 32).
    /// Grey images keep one channel (the stem summed over colour: the same features at a third of the
    /// stem's cost, measured cosine 0.9998 against three repeated channels).
    /// </summary>
    public static Recipe Pretrained(Recipe scratch, int commonSide, int trainImages)
    {
        int size = Math.Clamp(commonSide / 32 * 32, 64, 224);
        int views = trainImages <= ManyViewsMaxImages ? 3 : 1;
        var origins = new Dictionary<string, string>(scratch.Origins)
        {
            ["input.size"] = size == 224 ? "224 px: the resolution the pretrained weights were trained at" : $"{size} px: the images' side, rounded down to a multiple of 32",
            ["model"] = $"pretrained ResNet-18 ([2, 2, 2, 3], NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18): images are {commonSide} px (≥ {PretrainedMinSide}); frozen ImageNet features with a linear classifier gave AUC 0.95 vs 0.83 from scratch on 200 dermoscopy images",
            ["fine_tune"] = $"head only on frozen features, {views} view(s) per image ({(views > 1 ? $"≤ {ManyViewsMaxImages} training images: two augmented copies each" : $"> {ManyViewsMaxImages} training images: one pass")}): a linear probe first (Kornblith et al. 2019); the playbook unfreezes stages when the head saturates",
            ["optimizer"] = "AdamW lr 1e-3 for the head (Loshchilov & Hutter 2019), cosine schedule; earlier stages, once unfrozen, at 0.1× with 0.5× per stage (Howard & Ruder 2018)",
            ["max_epochs"] = "300: an epoch of a linear head on cached features takes milliseconds; the time budget ends training",
        };
        return scratch with
        {
            Input = scratch.Input with { Size = size },
            Model = new ModelSpec("resnet18_pretrained", Width: 64, Depth: 2),
            FineTune = new FineTuneSpec("head_only", FrozenStages: 3, BackboneLrScale: 0.1, LayerDecay: 0.5, Views: views),
            MaxEpochs = 300,
            Origins = origins,
        };
    }
}
