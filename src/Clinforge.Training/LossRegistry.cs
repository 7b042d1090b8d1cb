using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>Losses chosen by name from the recipe; class weights and label smoothing apply to all.</summary>
public static class LossRegistry
{
    /// <summary>Registered loss names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cross_entropy", "focal"];

    /// <summary>Per-class weights from training counts: none, inverse frequency or its square root (Cui et al. 2019 discuss both).</summary>
    public static float[]? ClassWeights(string mode, IReadOnlyList<int> counts)
    {
        if (mode == "none") return null;
        double total = counts.Sum();
        int k = counts.Count;
        var w = counts.Select(c => mode switch
        {
            "inverse_frequency" => total / (k * Math.Max(c, 1)),
            "sqrt_inverse_frequency" => Math.Sqrt(total / (k * Math.Max(c, 1))),
            _ => throw new ClinforgeException($"recipe.json: unknown class_weights '{mode}' (none, inverse_frequency, sqrt_inverse_frequency)."),
        }).ToArray();
        // Normalise so the mean weight is 1 and the learning rate keeps its meaning.
        double mean = w.Average();
        return w.Select(x => (float)(x / mean)).ToArray();
    }

    /// <summary>
    /// The per-class weights a loss spec asks for: its explicit <see cref="LossSpec.Weights"/> when set
    /// (normalised to mean 1), else the <see cref="LossSpec.ClassWeights"/> mode from training counts.
    /// </summary>
    public static float[]? ClassWeights(LossSpec spec, IReadOnlyList<int> counts)
    {
        if (spec.Weights is not { } w) return ClassWeights(spec.ClassWeights, counts);
        if (w.Count != counts.Count)
            throw new ClinforgeException($"recipe.json: loss.weights has {w.Count} values but the task has {counts.Count} classes.");
        double mean = w.Average();
        return w.Select(x => (float)(x / mean)).ToArray();
    }

    /// <summary>Builds the loss a recipe names.</summary>
    public static LossFunction Create(LossSpec spec, float[]? classWeights)
    {
        double smoothing = spec.LabelSmoothing;
        return spec.Name switch
        {
            // Cross-entropy with label smoothing (Szegedy et al. 2016).
            "cross_entropy" => (logits, targets) =>
            {
                using var w = classWeights is null ? null : tensor(classWeights, device: logits.device);
                return nn.functional.cross_entropy(logits, targets, weight: w, label_smoothing: smoothing);
            },
            // Focal loss (Lin et al. 2017): down-weights easy examples by (1 − p_t)^γ.
            "focal" => (logits, targets) => Focal(logits, targets, spec.FocalGamma, smoothing, classWeights),
            _ => throw new ClinforgeException($"recipe.json: unknown loss '{spec.Name}'. Known losses: {string.Join(", ", Names)}."),
        };
    }

    private static Tensor Focal(Tensor logits, Tensor targets, double gamma, double smoothing, float[]? classWeights)
    {
        using var scope = NewDisposeScope();
        int k = (int)logits.shape[1];
        var logp = nn.functional.log_softmax(logits, 1);
        var onehot = nn.functional.one_hot(targets, k).to(logits.dtype);
        if (smoothing > 0) onehot = onehot * (1 - smoothing) + smoothing / k;
        var p = logp.exp();
        var perClass = -onehot * (1 - p).pow(gamma) * logp;
        if (classWeights is not null)
            perClass = perClass * tensor(classWeights, device: logits.device).unsqueeze(0);
        return perClass.sum(1).mean().MoveToOuterDisposeScope();
    }
}
