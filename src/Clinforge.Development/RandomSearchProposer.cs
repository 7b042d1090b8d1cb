using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The baseline the playbook must beat: random search over the same recipe space (Bergstra and
/// Bengio 2012, "Random search for hyper-parameter optimization"). Each proposal redraws every knob
/// the playbook can touch, independently of the evidence, from a seeded generator, so a run is
/// reproducible.
/// </summary>
public sealed class RandomSearchProposer(int seed) : IProposer
{
    /// <inheritdoc />
    public Proposal? Propose(DevelopmentState state)
    {
        // One generator per proposal index keeps draws reproducible across resumes and parallel batches.
        var rng = new Random(HashCode.Combine(seed, state.History.Count, state.Pending.Count));
        T Pick<T>(params T[] xs) => xs[rng.Next(xs.Length)];
        double LogUniform(double lo, double hi) => Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
        var b = state.BestRecipe;
        int native = Math.Min(state.Card.ImageSizes.CommonWidth, state.Card.ImageSizes.CommonHeight);
        string optimizer = Pick("adamw", "sgd");
        var recipe = (b with
        {
            Input = b.Input with { Size = Math.Min(native, Pick(b.Input.Size, (int)(b.Input.Size * 1.5))) },
            Model = b.Model with { Width = Pick(8, 16, 32), Depth = Pick(1, 2), Dropout = Pick(0.0, 0.3) },
            Loss = b.Loss with { Name = Pick("cross_entropy", "focal"), ClassWeights = Pick("none", "sqrt_inverse_frequency", "inverse_frequency"), LabelSmoothing = Pick(0.0, 0.1) },
            Sampler = new SamplerSpec(Pick("uniform", "class_balanced")),
            Optimizer = b.Optimizer with
            {
                Name = optimizer,
                LearningRate = optimizer == "sgd" ? LogUniform(0.01, 0.1) : LogUniform(3e-4, 3e-3),
                WeightDecay = LogUniform(1e-5, 5e-3),
            },
            Augmentation = b.Augmentation with { CropPadding = Pick(0.0, 0.08, 0.14), Brightness = Pick(0.0, 0.1, 0.2) },
            TestTimeAugmentation = Pick(false, true),
            EmaDecay = Pick(0.0, 0.99),
            EnsembleSize = Pick(1, 1, 2, 3),
        }).WithOrigin("round:random_search", "all knobs redrawn at random (baseline)");
        return new Proposal("random_search", "all knobs redrawn at random",
            "Random search baseline: every knob drawn independently of the evidence, to measure what the playbook's reasoning adds.",
            "Bergstra & Bengio 2012", recipe);
    }
}
