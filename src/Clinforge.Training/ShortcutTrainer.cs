using System.Globalization;
using Clinforge.Core;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>What a shortcut-aware training run produced: the model, validation probabilities and its log.</summary>
public sealed record ShortcutTrainingOutcome(ShortcutNet Model, Preprocessing Preprocessing, double[][] ValProbabilities,
    IReadOnlyList<EpochLog> Curve, double TrainSeconds, double ImagesPerSecond) : IDisposable
{
    /// <summary>Frees the model's native memory.</summary>
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Trains a <see cref="ShortcutNet"/> with the recipe's <see cref="DebiasSpec"/> moves:
/// group-balanced sampling over label × confounder (Sagawa et al. 2020; Idrissi et al. 2022),
/// an adversarial confounder head through a gradient reversal layer (Ganin &amp; Lempitsky 2015),
/// mixup (Zhang et al. 2018) and label smoothing (Szegedy et al. 2016). The confounder of each
/// training image is a probability in [0, 1] (a metadata value, or the auxiliary classifier's output).
/// Runs a fixed number of epochs (<see cref="Recipe.MaxEpochs"/>) on <see cref="TrainingLoop"/> with a cosine schedule and keeps the
/// last epoch: the validation split carries the same shortcut as training, so picking the epoch by
/// validation AUC would favour the shortcut.
/// </summary>
public sealed class ShortcutTrainer(Action<string> log)
{
    /// <summary>Trains; <paramref name="trainConfounder"/> has one probability per training image.</summary>
    public ShortcutTrainingOutcome Train(Recipe recipe, ImageSet train, IReadOnlyList<double> trainConfounder, ImageSet val,
        IReadOnlyList<string> classes, Func<int[], double[][], double>? valAuc = null, DateTime? deadlineUtc = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(trainConfounder);
        ArgumentNullException.ThrowIfNull(val);
        if (trainConfounder.Count != train.Count) throw new ArgumentException($"{trainConfounder.Count} confounder values for {train.Count} training images", nameof(trainConfounder));
        var debias = recipe.Debias ?? new DebiasSpec("none");
        var device = NativeRuntime.PreferredDevice();
        var gen = new Generator((ulong)recipe.Seed);
        random.manual_seed(recipe.Seed);
        var rng = new Random(recipe.Seed);
        var pre = Trainer.ComputePreprocessing(train, classes, recipe.Model);
        var model = ShortcutNet.For(recipe.Model, train.Channels, classes.Count);
        // A pretrained classifier starts from its weights; its frozen stages (if any) get no gradient.
        Pretraining.Initialize(model, recipe, log);
        model.to(device);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), recipe.Optimizer.LearningRate, weight_decay: recipe.Optimizer.WeightDecay);
        using var xTrain = Trainer.ToTensor(train, pre);
        using var yTrain = tensor(train.Labels.Select(l => (long)l).ToArray());
        using var cTrain = tensor(trainConfounder.Select(c => (float)c).ToArray());
        using var xVal = Trainer.ToTensor(val, pre);
        using var sampleWeights = debias.GroupBalanced ? tensor(GroupWeights(train.Labels, trainConfounder)) : null;

        var start = DateTime.UtcNow;
        using var hooks = new DebiasHooks(model, optimizer, recipe, debias, xTrain, yTrain, cTrain, xVal, sampleWeights, classes.Count, gen, rng, device,
            probs => valAuc?.Invoke(val.Labels, probs) ?? double.NaN);
        // A fixed number of epochs, the last kept; a trial's time box still cuts it (the schedule then
        // follows the clock, see Batch).
        var loop = TrainingLoop.Run(hooks, new LoopSettings(recipe.MaxEpochs, start, deadlineUtc ?? DateTime.MaxValue, KeepLastEpoch: true), log);
        if (loop.NonFinite) throw new ClinforgeException("shortcut training diverged (NaN loss): lower the learning rate.");
        return new ShortcutTrainingOutcome(model, pre, hooks.LastProbabilities, loop.Curve, loop.TrainSeconds, loop.Images / Math.Max(loop.TrainSeconds, 1e-9));
    }

    /// <summary>
    /// Debiasing's hooks: a visiting order per epoch (group-balanced when asked), augmented batches with
    /// soft targets, mixup, the adversary through gradient reversal, a cosine over the larger of the step
    /// and time fractions; validation AUC every epoch, the last epoch kept.
    /// </summary>
    private sealed class DebiasHooks(ShortcutNet model, optim.Optimizer optimizer, Recipe recipe, DebiasSpec debias, Tensor xTrain, Tensor yTrain, Tensor cTrain, Tensor xVal,
        Tensor? sampleWeights, int classes, Generator gen, Random rng, Device device, Func<double[][], double> auc) : ITrainingHooks, IDisposable
    {
        private readonly int _batches = (int)((xTrain.shape[0] + recipe.BatchSize - 1) / recipe.BatchSize);
        private Tensor? _order;
        private int _step;

        /// <summary>The last epoch's validation probabilities.</summary>
        public double[][] LastProbabilities { get; private set; } = [];

        public int EpochStart(int epoch)
        {
            model.train();
            _order?.Dispose();
            long n = xTrain.shape[0];
            _order = sampleWeights is null ? randperm(n, generator: gen) : multinomial(sampleWeights, n, replacement: true, generator: gen);
            return _batches;
        }

        public (double Loss, int Images)? Batch(int epoch, int batch, int batches, double budgetFraction)
        {
            using var scope = NewDisposeScope();
            long n = xTrain.shape[0];
            // Training progress for the cosine schedule and the adversary's ramp: the larger of the step
            // fraction and the time-budget fraction, so that a time-boxed trial anneals by its deadline
            // (as classification's schedule does) instead of stopping early in a barely decayed schedule.
            double progress = Math.Max((double)_step++ / Math.Max(recipe.MaxEpochs * _batches, 1), budgetFraction);
            // Cosine decay over the planned steps (Loshchilov & Hutter 2017, without restarts).
            double lr = recipe.Optimizer.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
            foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
            var idx = _order!.narrow(0, (long)batch * recipe.BatchSize, Math.Min(recipe.BatchSize, n - (long)batch * recipe.BatchSize));
            if (idx.shape[0] < 2) return null; // batch norm needs two samples
            var xb = Augmenter.Apply(xTrain.index_select(0, idx), recipe.Augmentation, gen).to(device);
            var target = SoftTargets(yTrain.index_select(0, idx), classes, recipe.Loss.LabelSmoothing).to(device);
            var conf = cTrain.index_select(0, idx).to(device);
            if (debias.MixupAlpha > 0)
            {
                // Mixup (Zhang et al. 2018): convex combinations of image pairs, their label and confounder targets.
                double lam = Beta(rng, debias.MixupAlpha);
                var perm = randperm(xb.shape[0], generator: gen).to(device);
                xb = xb * lam + xb.index_select(0, perm) * (1 - lam);
                target = target * lam + target.index_select(0, perm) * (1 - lam);
                conf = conf * lam + conf.index_select(0, perm) * (1 - lam);
            }
            optimizer.zero_grad();
            Tensor loss;
            if (debias.AdversaryWeight > 0)
            {
                var (logits, advLogit) = model.ForwardWithAdversary(xb, target, GradientReversal.Ramp(debias.AdversaryWeight, progress));
                loss = SoftCrossEntropy(logits, target) + functional.binary_cross_entropy_with_logits(advLogit, conf);
            }
            else
            {
                loss = SoftCrossEntropy(model.forward(xb), target);
            }
            loss.backward();
            optimizer.step();
            return (loss.item<float>(), (int)idx.shape[0]);
        }

        public DateTime TrainUntil(int epoch, DateTime deadlineUtc) => deadlineUtc;

        public EpochCheck Validate(int epoch)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (valLoss, p) = Trainer.Predict(model, xVal, null, false, device);
            LastProbabilities = p;
            double a = auc(p);
            return new EpochCheck(valLoss, new ValidationMetrics(a, "auc", a, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN), clock.Elapsed.TotalSeconds);
        }

        public void Checkpoint(int epoch, EpochCheck check)
        {
            // The model stays in memory: the caller takes it.
        }

        public LoopStep EpochEnd(int epoch, EpochCheck best, int bestEpoch, double typicalEpochSeconds) => LoopStep.Continue;

        public string Describe(EpochReport r) => string.Create(CultureInfo.InvariantCulture,
            $"epoch {r.Epoch}/{recipe.MaxEpochs} train_loss {r.TrainLoss:F4} val_auc {r.Check.Metrics.Auc:F4} {r.Seconds:F1}s ({debias.Describe()}){(r.BatchesRun < r.Batches ? $", cut at the deadline after {r.BatchesRun}/{r.Batches} batches" : "")}");

        public void Dispose() => _order?.Dispose();
    }

    /// <summary>
    /// Sampling weights that give each label × confounder-present group the same total weight
    /// (Sagawa et al. 2020, group-balanced sampling; Idrissi et al. 2022 "simple data balancing").
    /// A confounder probability ≥ 0.5 counts as present.
    /// </summary>
    public static float[] GroupWeights(IReadOnlyList<int> labels, IReadOnlyList<double> confounder)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(confounder);
        var group = labels.Select((l, i) => l * 2 + (confounder[i] >= 0.5 ? 1 : 0)).ToArray();
        var counts = group.GroupBy(g => g).ToDictionary(g => g.Key, g => g.Count());
        return group.Select(g => 1.0f / counts[g]).ToArray();
    }

    /// <summary>One-hot targets with label smoothing ε: (1 − ε)·onehot + ε / K (Szegedy et al. 2016).</summary>
    private static Tensor SoftTargets(Tensor labels, int classes, double smoothing)
    {
        var onehot = functional.one_hot(labels, classes).to(ScalarType.Float32);
        return smoothing > 0 ? onehot * (1 - smoothing) + smoothing / classes : onehot;
    }

    private static Tensor SoftCrossEntropy(Tensor logits, Tensor target) =>
        -(target * functional.log_softmax(logits, 1)).sum(1).mean();

    /// <summary>A Beta(α, α) draw from two Gamma(α) draws (Marsaglia &amp; Tsang 2000).</summary>
    private static double Beta(Random rng, double alpha)
    {
        double a = Gamma(rng, alpha), b = Gamma(rng, alpha);
        return a + b <= 0 ? 0.5 : a / (a + b);
    }

    private static double Gamma(Random rng, double alpha)
    {
        if (alpha < 1) return Gamma(rng, alpha + 1) * Math.Pow(rng.NextDouble(), 1 / alpha);
        double d = alpha - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                x = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }
}
