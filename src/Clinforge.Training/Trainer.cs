using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Classification training on <see cref="TrainingLoop"/>: the model, its pretrained start and frozen
/// stages, the data as batches, a cosine schedule over the time budget, validation every epoch by the
/// clinician's objective, best-on-validation checkpoint saved atomically.
/// </summary>
public sealed class Trainer(Action<string> log)
{
    /// <summary>Folder shared by a run's trials for frozen-stage outputs (null: kept in memory only).</summary>
    public string? CacheFolder { get; init; }

    /// <summary>Normalisation to use instead of the training images' own statistics (null: computed from them). Fold models share one, so they can be averaged as one network.</summary>
    public Preprocessing? Preprocessing { get; init; }

    /// <summary>
    /// Keep the last epoch instead of the best one on validation. A fold model's validation images are
    /// the out-of-fold images it is judged on; choosing its epoch on them would make the out-of-fold
    /// predictions optimistic. The cosine schedule on the clock anneals by the deadline, so the last
    /// epoch is the settled one.
    /// </summary>
    public bool KeepLastEpoch { get; init; }

    /// <summary>
    /// Time the trial may add to its training deadline for one-time work it does for the whole run:
    /// computing frozen-stage outputs the run's cache did not hold yet, which every later trial with the
    /// same frozen part reads in a second, and converting the pretrained weights (once per machine).
    /// Without it, the first trial of a pretrained run pays that work out of its training time (a 25-s
    /// linear probe on 420 images at 128 px: 18.5 s of 21 s) and is then compared with later trials that
    /// did not pay it. Zero (the default) charges the work to the trial; the executor grants what it can
    /// wait for (the local executor: one budget, reported back through <see cref="Prepared"/> so it
    /// extends its own time limit).
    /// </summary>
    public TimeSpan PreparationAllowance { get; init; }

    /// <summary>Called with each extension granted from <see cref="PreparationAllowance"/>.</summary>
    public Action<TimeSpan>? Prepared { get; init; }

    /// <summary>Extension granted so far, across this trainer's calls (ensemble members and search rungs shift their shares by it).</summary>
    public TimeSpan Granted { get; private set; }

    /// <summary>Trains the recipe on <paramref name="train"/>, selecting the best epoch on <paramref name="val"/>.</summary>
    public TrainingOutcome Train(Recipe recipe, ImageSet train, ImageSet val, IReadOnlyList<string> classes,
        ValidationScorer scorer, DateTime deadlineUtc, TrialPaths paths, Action<TrainProgress>? progress = null)
    {
        var device = NativeRuntime.PreferredDevice();
        var gen = new Generator((ulong)recipe.Seed);
        random.manual_seed(recipe.Seed);
        var pre = Preprocessing ?? ComputePreprocessing(train, classes, recipe.Model);
        Json.Write(paths.Preprocessing, pre);

        using var model = ModelRegistry.Create(recipe.Model, train.Channels, classes.Count);
        var init = Pretraining.Initialize(model, recipe, log);
        model.to(device);
        var counts = Enumerable.Range(0, classes.Count).Select(c => train.Labels.Count(l => l == c)).ToArray();
        var lossFn = LossRegistry.Create(recipe.Loss, LossRegistry.ClassWeights(recipe.Loss, counts));
        // Batches are assembled from the images' bytes as the loop needs them (ImageBatches), so a set
        // far larger than memory trains as well as a small one.
        using var trainImages = new ImageBatches(train, pre);
        using var yTrain = tensor(train.Labels.Select(l => (long)l).ToArray());
        using var valImages = new ImageBatches(val, pre);
        // A pretrained model's frozen stages run once per image and view, not once per epoch (Pretraining.Plan).
        using var frozen = Pretraining.Prepare(model, recipe, init, trainImages, valImages, train.Ids, val.Ids, CacheFolder, log);
        deadlineUtc += Grant((init?.ConversionSeconds ?? 0) + (frozen?.ComputedSeconds ?? 0));
        var (groups, multipliers) = Pretraining.ParameterGroups(model, recipe, init);
        using var optimizer = CreateOptimizer(groups, recipe.Optimizer);
        var sampleWeights = recipe.Sampler.Name == "class_balanced"
            ? tensor(train.Labels.Select(l => 1.0f / Math.Max(counts[l], 1)).ToArray()) : null;
        // With weight averaging the averaged copy is validated and saved (the recipe's ema_decay; 0 = off).
        using var average = recipe.EmaDecay > 0 ? new WeightAverage(model, recipe.Model, train.Channels, classes.Count, recipe.EmaDecay, device) : null;
        var evaluated = average?.Model ?? model;
        Pretraining.MatchInput(evaluated, model);
        Func<Tensor, Tensor> fetch = frozen is null
            ? idx => Augmenter.Apply(trainImages.Select(idx), recipe.Augmentation, gen)
            : frozen.Fetch(gen);
        Action<Tensor> plan = frozen is null ? order => trainImages.Plan(order, recipe.BatchSize) : _ => { };
        using var hooks = new ClassificationHooks(model, evaluated, optimizer, multipliers, lossFn, recipe, plan, fetch, train.Count, yTrain, sampleWeights, gen, device, average,
            () => frozen is null
                ? Predict(evaluated, valImages, val.Labels, recipe.TestTimeAugmentation, device, lossFn)
                : frozen.PredictVal(evaluated, val.Labels, recipe.TestTimeAugmentation, device, lossFn),
            probs => scorer(val.Labels, probs), KeepLastEpoch ? null : paths.Model);
        // The schedule runs on the clock, not on an epoch count: the learning rate follows a cosine
        // over the fraction of the time budget used, so it anneals by the deadline even when the
        // machine is busier than when the epoch time was measured.
        var loop = TrainingLoop.Run(hooks, new LoopSettings(recipe.MaxEpochs, DateTime.UtcNow, deadlineUtc, KeepLastEpoch), log, progress);
        if (loop.NonFinite)
            return new TrainingOutcome(NonFiniteLoss(loop.Curve, loop.Epochs, loop.TrainSeconds, loop.Images) with { Initialization = init?.Note }, []);
        // The last epoch is written once, after the loop: a fold's head-only epoch takes a tenth of a
        // second, and writing the whole network (64 MB) after each was most of its time.
        if (KeepLastEpoch) SaveAtomically(evaluated, paths.Model);
        var result = new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Best = loop.Best?.Metrics, BestEpoch = loop.BestEpoch, Curve = loop.Curve, Epochs = loop.Epochs,
            TrainSeconds = loop.TrainSeconds, ImagesPerSecond = loop.Images / Math.Max(loop.TrainSeconds, 1e-9),
            Initialization = init?.Note,
        };
        return new TrainingOutcome(result, hooks.BestProbabilities);
    }

    /// <summary>The part of <paramref name="seconds"/> of one-time work added to the deadline, from what is left of the allowance.</summary>
    private TimeSpan Grant(double seconds)
    {
        var extra = TimeSpan.FromSeconds(Math.Min(Math.Max(seconds, 0), (PreparationAllowance - Granted).TotalSeconds));
        if (extra <= TimeSpan.Zero) return TimeSpan.Zero;
        Granted += extra;
        log(string.Create(CultureInfo.InvariantCulture,
            $"one-time work for the run took {seconds:F1}s (frozen-stage outputs, or converting the weights on first use): the training deadline moves {extra.TotalSeconds:F1}s later, so this trial is not charged for what later trials read from the cache"));
        Prepared?.Invoke(extra);
        return extra;
    }

    /// <summary>
    /// Classification's hooks: a visiting order per epoch (shuffled, or drawn class-balanced), one
    /// optimisation step per batch with warm-up and a cosine over the time budget, validation by the
    /// clinician's objective, the best (or last) epoch's probabilities kept and its weights saved.
    /// </summary>
    private sealed class ClassificationHooks(Module<Tensor, Tensor> model, Module<Tensor, Tensor> evaluated, optim.Optimizer optimizer, IReadOnlyList<double> multipliers,
        LossFunction lossFn, Recipe recipe, Action<Tensor> plan, Func<Tensor, Tensor> fetch, long n, Tensor y, Tensor? sampleWeights, Generator gen, Device device,
        WeightAverage? average, Func<(double Loss, double[][] Probabilities)> predict, Func<double[][], ValidationMetrics> score, string? checkpoint) : ITrainingHooks, IDisposable
    {
        private Tensor? _order;
        private double[][] _last = [];

        /// <summary>The kept epoch's validation probabilities.</summary>
        public double[][] BestProbabilities { get; private set; } = [];

        public int EpochStart(int epoch)
        {
            model.train();
            _order?.Dispose();
            _order = sampleWeights is null ? randperm(n, generator: gen) : multinomial(sampleWeights, n, replacement: true, generator: gen);
            plan(_order); // the epoch's visiting order, so its batches can be gathered ahead
            return (int)((n + recipe.BatchSize - 1) / recipe.BatchSize);
        }

        public (double Loss, int Images)? Batch(int epoch, int batch, int batches, double budgetFraction)
        {
            using var scope = NewDisposeScope();
            SetLearningRate(optimizer, multipliers, recipe.Optimizer, epoch - 1 + (double)batch / batches, budgetFraction);
            var idx = _order!.narrow(0, (long)batch * recipe.BatchSize, Math.Min(recipe.BatchSize, n - (long)batch * recipe.BatchSize));
            if (idx.shape[0] < 2) return null; // batch norm needs two samples
            var xb = fetch(idx).to(device);
            var yb = y.index_select(0, idx).to(device);
            optimizer.zero_grad();
            var loss = lossFn(model.forward(xb), yb);
            loss.backward();
            if (recipe.Optimizer.GradClip > 0) nn.utils.clip_grad_norm_(model.parameters().Where(p => p.requires_grad), recipe.Optimizer.GradClip);
            optimizer.step();
            average?.Update(model);
            return (loss.item<float>(), (int)idx.shape[0]);
        }

        public DateTime TrainUntil(int epoch, DateTime deadlineUtc) => deadlineUtc;

        public EpochCheck Validate(int epoch)
        {
            var clock = Stopwatch.StartNew();
            var (loss, probs) = predict();
            _last = probs;
            return new EpochCheck(loss, score(probs), clock.Elapsed.TotalSeconds);
        }

        public void Checkpoint(int epoch, EpochCheck check)
        {
            BestProbabilities = _last;
            if (checkpoint is not null) SaveAtomically(evaluated, checkpoint);
        }

        public LoopStep EpochEnd(int epoch, EpochCheck best, int bestEpoch, double typicalEpochSeconds) => LoopStep.Continue;

        public void Dispose() => _order?.Dispose();

        public string Describe(EpochReport r)
        {
            var m = r.Check.Metrics;
            return string.Create(CultureInfo.InvariantCulture,
                $"epoch {r.Epoch}/{r.Planned} train_loss {r.TrainLoss:F4} val_loss {r.Check.Loss:F4} val_{m.ObjectiveName.Replace(' ', '_')} {m.Objective:F4}{(m.ObjectiveName == "auc" ? "" : $" val_auc {m.Auc:F4}")} lr {CurrentLr(optimizer):G3} {r.Seconds:F1}s");
        }
    }

    /// <summary>Softmax probabilities (optionally averaged over flips) and the mean loss, for inputs in memory.</summary>
    public static (double Loss, double[][] Probabilities) Predict(Module<Tensor, Tensor> model, Tensor x, int[]? labels, bool tta,
        Device device, LossFunction? lossFn = null, int batchSize = 256) =>
        Predict(model, x.shape[0], (start, length) => x.narrow(0, start, length), labels, tta, device, lossFn, batchSize);

    /// <summary>Softmax probabilities (optionally averaged over flips) and the mean loss, for images assembled batch by batch.</summary>
    public static (double Loss, double[][] Probabilities) Predict(Module<Tensor, Tensor> model, ImageBatches x, int[]? labels, bool tta,
        Device device, LossFunction? lossFn = null, int batchSize = 256) =>
        Predict(model, x.Count, x.Take, labels, tta, device, lossFn, batchSize);

    private static (double Loss, double[][] Probabilities) Predict(Module<Tensor, Tensor> model, long n, Func<long, long, Tensor> slice, int[]? labels, bool tta,
        Device device, LossFunction? lossFn, int batchSize)
    {
        model.eval();
        var probs = new double[n][];
        double lossSum = 0;
        using var noGrad = no_grad();
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(batchSize, n - start);
            var xb = slice(start, len).to(device);
            var logits = model.forward(xb);
            var p = nn.functional.softmax(logits, 1);
            if (tta)
            {
                // Test-time augmentation: average over the horizontal flip (Krizhevsky et al. 2012).
                p = (p + nn.functional.softmax(model.forward(xb.flip(3)), 1)) / 2;
            }
            if (labels is not null && lossFn is not null)
            {
                var yb = tensor(labels.Skip((int)start).Take((int)len).Select(l => (long)l).ToArray(), device: device);
                lossSum += lossFn(logits, yb).item<float>() * len;
            }
            var arr = p.to(ScalarType.Float64).cpu().data<double>().ToArray();
            int k = (int)p.shape[1];
            for (int i = 0; i < len; i++) probs[start + i] = arr.AsSpan(i * k, k).ToArray();
        }
        return (lossSum / Math.Max(n, 1), probs);
    }

    /// <summary>The whole set as one normalised input tensor [N,C,S,S] on the CPU (for sets that fit in memory as floats).</summary>
    public static Tensor ToTensor(ImageSet set, Preprocessing pre)
    {
        using var batches = new ImageBatches(set, pre);
        return batches.Take(0, set.Count);
    }

    /// <summary>Normalised input tensor [N,C,S,S] on the CPU from values in [0, 1].</summary>
    public static Tensor ToTensor(float[] pixels, int count, int channels, int size, Preprocessing pre)
    {
        using var scope = NewDisposeScope();
        var t = tensor(pixels, [count, channels, size, size]);
        var mean = tensor(pre.Mean).view(1, -1, 1, 1);
        var std = tensor(pre.Std).view(1, -1, 1, 1);
        return ((t - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The preprocessing a model needs: the pretrained weights' fixed convention for a pretrained
    /// model (<see cref="Pretraining.Preprocessing"/>), else the training images' statistics.
    /// </summary>
    public static Preprocessing ComputePreprocessing(ImageSet train, IReadOnlyList<string> classes, ModelSpec model) =>
        RecipeSchema.PretrainedModels.Contains(model.Name)
            ? Pretraining.Preprocessing(train.Size, train.Channels, classes)
            : ComputePreprocessing(train, classes);

    /// <summary>Per-channel mean and standard deviation of the training images.</summary>
    public static Preprocessing ComputePreprocessing(ImageSet train, IReadOnlyList<string> classes)
    {
        int c = train.Channels, plane = train.Size * train.Size;
        var s = new double[c];
        var s2 = new double[c];
        var image = new byte[train.Pixels.BytesPerImage];
        for (int i = 0; i < train.Count; i++)
        {
            train.Pixels.Read(i, image);
            for (int ch = 0; ch < c; ch++)
            {
                // Sums of bytes are exact in integers; scaled to [0, 1] once per image and channel.
                long sum = 0, sumSq = 0;
                foreach (var v in image.AsSpan(ch * plane, plane)) { sum += v; sumSq += v * v; }
                s[ch] += sum / 255.0;
                s2[ch] += sumSq / (255.0 * 255.0);
            }
        }
        return Moments(s, s2, (long)train.Count * plane, train.Size, classes);
    }

    /// <summary>A batch of uint8 pixels [N, C, S, S] (0–255) as the network's normalised float input, on the batch's device.</summary>
    public static Tensor Normalize(Tensor bytes, Preprocessing pre)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(pre);
        using var scope = NewDisposeScope();
        var mean = tensor(pre.Mean).view(1, -1, 1, 1).to(bytes.device);
        var std = tensor(pre.Std).view(1, -1, 1, 1).to(bytes.device);
        return ((bytes.to_type(ScalarType.Float32) / 255f - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>Per-channel mean and standard deviation of images given as bytes 0–255, [N, C, S, S].</summary>
    public static Preprocessing ComputePreprocessing(byte[] pixels, int count, int channels, int size, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        int plane = size * size;
        var s = new double[channels];
        var s2 = new double[channels];
        for (int i = 0; i < count; i++)
            for (int ch = 0; ch < channels; ch++)
            {
                // Sums of bytes are exact in integers; scaled to [0, 1] once per image and channel.
                long sum = 0, sumSq = 0;
                foreach (var v in pixels.AsSpan((i * channels + ch) * plane, plane)) { sum += v; sumSq += v * v; }
                s[ch] += sum / 255.0;
                s2[ch] += sumSq / (255.0 * 255.0);
            }
        return Moments(s, s2, (long)count * plane, size, classes);
    }

    /// <summary>Per-channel mean and standard deviation of images given as values in [0, 1], [N, C, S, S].</summary>
    public static Preprocessing ComputePreprocessing(float[] pixels, int count, int channels, int size, IReadOnlyList<string> classes)
    {
        int plane = size * size;
        var s = new double[channels];
        var s2 = new double[channels];
        for (int i = 0; i < count; i++)
            for (int ch = 0; ch < channels; ch++)
                foreach (var v in pixels.AsSpan((i * channels + ch) * plane, plane)) { s[ch] += v; s2[ch] += (double)v * v; }
        return Moments(s, s2, (long)count * plane, size, classes);
    }

    private static Preprocessing Moments(double[] s, double[] s2, long count, int size, IReadOnlyList<string> classes)
    {
        var mean = new float[s.Length];
        var std = new float[s.Length];
        for (int ch = 0; ch < s.Length; ch++)
        {
            double m = s[ch] / Math.Max(count, 1);
            mean[ch] = (float)m;
            std[ch] = (float)Math.Max(Math.Sqrt(Math.Max(s2[ch] / Math.Max(count, 1) - m * m, 0)), 1e-3);
        }
        return new Preprocessing(size, s.Length, mean, std, classes);
    }

    internal static optim.Optimizer CreateOptimizer(IReadOnlyList<IReadOnlyList<Parameter>> groups, OptimizerSpec spec) => spec.Name switch
    {
        // AdamW (Loshchilov & Hutter 2019): decoupled weight decay.
        "adamw" => optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g, new AdamW.Options { LearningRate = spec.LearningRate, weight_decay = spec.WeightDecay })),
            spec.LearningRate, weight_decay: spec.WeightDecay),
        // SGD with Nesterov momentum, the classic ResNet recipe (He et al. 2016).
        "sgd" => optim.SGD(groups.Select(g => new SGD.ParamGroup(g, new SGD.Options { LearningRate = spec.LearningRate, momentum = spec.Momentum, weight_decay = spec.WeightDecay, nesterov = true })),
            spec.LearningRate, momentum: spec.Momentum, weight_decay: spec.WeightDecay, nesterov: true),
        _ => throw new ClinforgeException($"recipe.json: unknown optimizer '{spec.Name}' (adamw, sgd)."),
    };

    /// <summary>
    /// Linear warm-up over the first epochs, then cosine decay to zero over the time budget
    /// (Loshchilov and Hutter 2017, SGDR without restarts; here indexed by budget fraction).
    /// </summary>
    private static void SetLearningRate(optim.Optimizer optimizer, IReadOnlyList<double> multipliers, OptimizerSpec spec, double epochProgress, double budgetFraction)
    {
        double lr = spec.LearningRate;
        if (spec.WarmupEpochs > 0 && epochProgress < spec.WarmupEpochs)
            lr *= (epochProgress + 1e-3) / spec.WarmupEpochs;
        if (spec.Schedule == "cosine")
            lr *= 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(budgetFraction, 0, 1)));
        // Parameter groups come in the order of the multipliers (earlier backbone stages learn slower).
        int i = 0;
        foreach (var g in optimizer.ParamGroups) g.LearningRate = lr * multipliers[i++];
    }

    // The last group is the head's (the only one for a model trained at one rate).
    private static double CurrentLr(optim.Optimizer optimizer) => optimizer.ParamGroups.Last().LearningRate;

    /// <summary>Saves through a temporary file and a rename, so a killed trial never leaves a half-written checkpoint.</summary>
    internal static void SaveAtomically(Module<Tensor, Tensor> model, string path)
    {
        var temp = path + ".tmp";
        model.save(temp);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The metrics of a trial that failed after <paramref name="epoch"/> epochs, with its diagnosis.</summary>
    internal static TrialMetrics FailedMetrics(List<EpochLog> curve, int epoch, double seconds, long seen, string error, string diagnosis) => new()
    {
        Status = TrialStatus.Failed, Curve = curve, Epochs = epoch, TrainSeconds = seconds,
        ImagesPerSecond = seen / Math.Max(seconds, 1e-9), Error = error, Diagnosis = diagnosis,
    };

    /// <summary>
    /// A NaN/inf training loss, told apart by when it appeared: after epochs that trained well it is
    /// divergence (lower the learning rate); in the first epoch it is a numerical fault of the input or
    /// of the machine's library, which no recipe change cures.
    /// </summary>
    public static TrialMetrics NonFiniteLoss(List<EpochLog> curve, int epoch, double seconds, long seen) =>
        epoch <= 1
            ? FailedMetrics(curve, epoch, seconds, seen, "training loss was NaN/inf in the first epoch",
                "A loss that is NaN/inf from the first epoch is not divergence: check the images for NaN/inf values; " +
                $"otherwise the machine's numerical library is at fault ({ConvolutionCheck.Current.Describe()}).") with
              { FailureKind = TrialFailure.NanAtStart }
            : FailedMetrics(curve, epoch, seconds, seen, $"training loss became NaN/inf in epoch {epoch}",
                "The optimisation diverged: lower the learning rate or add gradient clipping.") with
              { FailureKind = TrialFailure.Diverged };
}
