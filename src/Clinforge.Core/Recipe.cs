namespace Clinforge.Core;

/// <summary>Input pipeline: every image is decoded and resized once to this size.</summary>
public sealed record InputSpec(int Size, int Channels, bool Normalize = true);

/// <summary>Batched tensor augmentation; probabilities and magnitudes in [0, 1].</summary>
public sealed record AugmentationSpec(
    double HorizontalFlip = 0.5,
    double VerticalFlip = 0.0,
    // Probability of a random 90° rotation (k ∈ {1,2,3}).
    double Rotate90 = 0.0,
    // Random-crop padding as a fraction of the side (pad then crop back).
    double CropPadding = 0.0,
    // Max relative change of brightness and contrast.
    double Brightness = 0.0);

/// <summary>Model chosen by name from the registry, with its knobs.</summary>
public sealed record ModelSpec(string Name, int Width, int Depth, double Dropout = 0.0);

/// <summary>
/// How a pretrained backbone is fine-tuned (Kornblith et al. 2019; Yosinski et al. 2014, "How
/// transferable are features?"): <c>head_only</c> trains a linear head on frozen features computed
/// once per image (and <see cref="Views"/> − 1 augmented copies); <c>partial</c> freezes the stem and
/// the first <see cref="FrozenStages"/> stages, computes their output once per view and trains the
/// rest; <c>full</c> trains everything with lower learning rates for earlier stages (discriminative
/// fine-tuning, Howard and Ruder 2018) after a warm-up.
/// </summary>
public sealed record FineTuneSpec(
    // head_only | partial | full.
    string Strategy = "full",
    // partial: stem and stages 1..K frozen (1–3); ignored by the other strategies.
    int FrozenStages = 2,
    // Learning rate of the last trainable backbone stage relative to the head's.
    double BackboneLrScale = 0.1,
    // Each earlier stage's learning rate is the next one's times this (layer-wise decay).
    double LayerDecay = 0.5,
    // Copies of each training image through the frozen stages: the original plus Views − 1 augmented.
    int Views = 3);

/// <summary>Loss chosen by name: cross_entropy | focal.</summary>
public sealed record LossSpec(
    string Name = "cross_entropy",
    // none | inverse_frequency | sqrt_inverse_frequency.
    string ClassWeights = "none",
    double LabelSmoothing = 0.0,
    // Focal loss γ (Lin et al. 2017).
    double FocalGamma = 2.0,
    // Explicit per-class weights in class order (mean 1); when set they replace class_weights.
    // The playbook derives them from the validation confusion matrix (cost-sensitive learning, Elkan 2001).
    IReadOnlyList<double>? Weights = null);

/// <summary>
/// Successive halving over one continuous knob inside a trial (Jamieson and Talwalkar 2016; Li et al.
/// 2018, Hyperband): every value trains on a small share of the budget, the better half goes on to
/// a rung with twice the time each, until one is left; that value is kept and written into the trial's
/// recipe. Each rung retrains from scratch, so the winner's model is the last rung's.
/// </summary>
public sealed record KnobSearch(
    // learning_rate | weight_decay.
    string Knob,
    IReadOnlyList<double> Values);

/// <summary>Optimiser and schedule.</summary>
public sealed record OptimizerSpec(
    string Name = "adamw",
    double LearningRate = 1e-3,
    double WeightDecay = 1e-4,
    double Momentum = 0.9,
    // cosine | constant.
    string Schedule = "cosine",
    int WarmupEpochs = 0,
    double GradClip = 0.0);

/// <summary>How batches are drawn: uniform | class_balanced.</summary>
public sealed record SamplerSpec(string Name = "uniform");

/// <summary>
/// The whole training pipeline as data. The initializer writes v0; each proposal changes a few
/// fields; a trial trains exactly what this says.
/// </summary>
public sealed record Recipe
{
    public int SchemaVersion { get; init; } = 1;
    public required InputSpec Input { get; init; }
    public AugmentationSpec Augmentation { get; init; } = new();
    public required ModelSpec Model { get; init; }
    public LossSpec Loss { get; init; } = new();
    public SamplerSpec Sampler { get; init; } = new();
    public OptimizerSpec Optimizer { get; init; } = new();
    public int BatchSize { get; init; } = 64;
    // Upper bound; the trial's time budget usually ends training first.
    public int MaxEpochs { get; init; } = 30;
    // Fraction of the trial budget spent training; the rest is for validation and saving.
    public double TrainBudgetFraction { get; init; } = 0.85;
    // Average predictions over flips at inference (test-time augmentation).
    public bool TestTimeAugmentation { get; init; }
    // Exponential moving average of the weights (0 = off); the average is validated and saved.
    public double EmaDecay { get; init; }
    public int Seed { get; init; } = 17;
    // Seed ensemble: members trained with seeds seed, seed+1, … each on 1/n of the training budget,
    // their probabilities averaged (Dietterich 2000; Lakshminarayanan et al. 2017). 1 = one model.
    public int EnsembleSize { get; init; } = 1;
    // Successive halving over a continuous knob inside the trial (null = train the recipe as it is).
    public KnobSearch? Search { get; init; }
    // Shortcut-aware training when the spec names a confounder (null = plain training); see DebiasSpec.
    public DebiasSpec? Debias { get; init; }
    // How a pretrained backbone is fine-tuned (null: every weight trains at one learning rate).
    public FineTuneSpec? FineTune { get; init; }
    // Detection knobs (null for classification): see DetectionRecipe.
    public DetectionRecipe? Detection { get; init; }
    /// <summary>Segmentation knobs (null for the other kinds): see <see cref="SegmentationRecipe"/>.</summary>
    public SegmentationRecipe? Segmentation { get; init; }
    // Why each field has the value it has (field path → reason and source).
    public IReadOnlyDictionary<string, string> Origins { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether a trial of this recipe may do one-time work for the whole run: a classifier fine-tuned
    /// head-only or partially computes its frozen stages' output once per image and view and caches it
    /// for later trials, and the executor gives such a trial time for that beyond its budget.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool CachesFrozenFeatures => FineTune is { Strategy: "head_only" or "partial" } && Detection is null && Segmentation is null;

    /// <summary>This recipe with one more explanation in <see cref="Origins"/>.</summary>
    public Recipe WithOrigin(string key, string why) =>
        this with { Origins = new Dictionary<string, string>(Origins) { [key] = why } };

    /// <summary>This recipe without its explanations: what is actually trained.</summary>
    public Recipe WithoutOrigins() => this with { Origins = new Dictionary<string, string>() };
}
