using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Recipe v0 as a pure function of (TaskSpec, DataCard), like nnU-Net's plans: same inputs, same
/// recipe; every constant says where it comes from in <see cref="Recipe.Origins"/> and below.
/// </summary>
public static class Initializer
{
    /// <summary>Builds the first recipe.</summary>
    public static Recipe Plan(TaskSpec spec, DataCard card, int seed)
    {
        // Detection specs have their own plan (DetectionInitializer.cs).
        if (spec.Task == TaskKind.Detection && card.Detection is not null) return DetectionInitializer.Plan(spec, card, seed);
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
        return new Recipe
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
    }
}
