using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Scores validation label maps with the clinician's objective (injected: Training does not reference
/// Evaluation). Maps are the letterboxed squares; <c>region</c> marks the pixels that count. Returns
/// the metrics and each image's objective (what acceptance pairs across trials).
/// </summary>
public delegate (ValidationMetrics Metrics, IReadOnlyList<double> PerImage) SegmentationScorer(
    IReadOnlyList<byte[]> truth, IReadOnlyList<byte[]> predicted, IReadOnlyList<byte[]> region, int size);

/// <summary>What a segmentation training run produced: its metrics and the kept epoch's per-image validation objective.</summary>
public sealed record SegmentationOutcome(TrialMetrics Metrics, IReadOnlyList<double> BestValPerImage);

/// <summary>
/// Segmentation training on <see cref="TrainingLoop"/>: each epoch draws patches from the training
/// images (a share centred on foreground, nnU-Net's oversampling), moves image and mask together
/// (flips, quarter turns, brightness/contrast), and steps on the recipe's loss with a cosine learning
/// rate over the time budget after a short warm-up; validation predicts whole images (the network is
/// fully convolutional, so a patch-trained model reads the whole letterboxed image in one pass) and
/// keeps the best epoch by the clinician's objective.
/// </summary>
public sealed class SegmentationTrainer(Action<string> log)
{
    /// <summary>Trains the recipe on <paramref name="train"/>, judged on <paramref name="val"/>.</summary>
    public SegmentationOutcome Train(Recipe recipe, SegmentationSet train, SegmentationSet val, SegmentationScorer scorer, DateTime deadlineUtc,
        TrialPaths paths, Action<TrainProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(val);
        ArgumentNullException.ThrowIfNull(paths);
        var seg = recipe.Segmentation ?? new SegmentationRecipe();
        var device = NativeRuntime.PreferredDevice();
        random.manual_seed(recipe.Seed);
        var rng = new Random(recipe.Seed);
        var dataStats = Trainer.ComputePreprocessing(train.Pixels, train.Count, train.Channels, train.Size, seg.Labels);

        using var model = ModelRegistry.Create(recipe.Model, train.Channels, seg.ClassCount);
        var init = InitializePretrained(model, recipe, log);
        // Pretrained weights expect their own input scale; a network from scratch is standardised on the training images.
        var pre = init is { Loaded: true } ? Pretraining.Preprocessing(train.Size, train.Channels, seg.Labels) : dataStats;
        double brightnessUnit = dataStats.Std[0] / pre.Std[0];
        Json.Write(paths.Preprocessing, pre);
        model.to(device);
        var (groups, multipliers) = Pretraining.ParameterGroups(model, recipe, init);
        using var optimizer = Trainer.CreateOptimizer(groups, recipe.Optimizer);
        // Images stay bytes in memory; each patch and validation batch is scaled and normalised as it is drawn.
        using var xTrain = train.PixelTensor();
        using var yTrain = tensor(train.Labels, [train.Count, train.Size, train.Size]);
        using var rTrain = tensor(train.Region, [train.Count, train.Size, train.Size]);
        using var xVal = val.PixelTensor();
        var start = DateTime.UtcNow;
        var foreground = ForegroundPixels(train);
        log(string.Create(CultureInfo.InvariantCulture,
            $"segmentation: {train.Count} training and {val.Count} validation images at {train.Size}px, {seg.PatchesPerImage} patches of {seg.PatchSize}px per image per epoch ({seg.ForegroundPatchFraction:0%} centred on foreground), loss {seg.Loss}, labels {string.Join(", ", seg.Labels)}"));

        var hooks = new SegmentationHooks(model, optimizer, multipliers, recipe, seg, pre, xTrain, yTrain, rTrain, foreground, train.Size, brightnessUnit, rng, device,
            xVal, val, scorer, paths, start, deadlineUtc);
        var loop = TrainingLoop.Run(hooks, new LoopSettings(recipe.MaxEpochs, start, deadlineUtc), log, progress);
        if (loop.NonFinite)
            return new SegmentationOutcome(Trainer.NonFiniteLoss(loop.Curve, loop.Epochs, loop.TrainSeconds, loop.Images) with { Initialization = init?.Note }, []);
        var result = new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Best = loop.Best?.Metrics, BestEpoch = loop.BestEpoch, Curve = loop.Curve, Epochs = loop.Epochs,
            TrainSeconds = loop.TrainSeconds, ImagesPerSecond = loop.Images / Math.Max(loop.TrainSeconds, 1e-9), Initialization = init?.Note,
        };
        return new SegmentationOutcome(result, hooks.BestPerImage);
    }

    /// <summary>Each training image's foreground pixels (inside the region), as square indices: where foreground-centred patches are centred.</summary>
    private static int[][] ForegroundPixels(SegmentationSet set) =>
        Enumerable.Range(0, set.Count).Select(i =>
        {
            var list = new List<int>();
            int o = i * set.Plane;
            for (int p = 0; p < set.Plane; p++) if (set.Labels[o + p] != 0 && set.Region[o + p] != 0) list.Add(p);
            return list.ToArray();
        }).ToArray();

    /// <summary>
    /// Segmentation's hooks: a shuffled list of patches per epoch, patch sampling and joint augmentation
    /// per batch, whole-image validation with the recipe's post-processing, the kept epoch's weights saved.
    /// </summary>
    private sealed class SegmentationHooks(Module<Tensor, Tensor> model, optim.Optimizer optimizer, IReadOnlyList<double> multipliers, Recipe recipe, SegmentationRecipe seg,
        Preprocessing pre, Tensor xTrain, Tensor yTrain, Tensor rTrain, int[][] foreground, int size, double brightnessUnit, Random rng, Device device,
        Tensor xVal, SegmentationSet val, SegmentationScorer scorer, TrialPaths paths, DateTime start, DateTime deadlineUtc) : ITrainingHooks
    {
        private List<int> _patches = [];
        private IReadOnlyList<double> _lastPerImage = [];
        private double _validationSeconds;

        /// <summary>The kept epoch's per-image validation objective.</summary>
        public IReadOnlyList<double> BestPerImage { get; private set; } = [];

        public int EpochStart(int epoch)
        {
            model.train();
            _patches = Enumerable.Range(0, (int)xTrain.shape[0]).SelectMany(i => Enumerable.Repeat(i, seg.PatchesPerImage)).OrderBy(_ => rng.Next()).ToList();
            return (_patches.Count + recipe.BatchSize - 1) / recipe.BatchSize;
        }

        public (double Loss, int Images)? Batch(int epoch, int batch, int batches, double budgetFraction)
        {
            using var scope = NewDisposeScope();
            var idx = _patches.Skip(batch * recipe.BatchSize).Take(recipe.BatchSize).ToArray();
            if (idx.Length < 2) return null; // batch norm needs two samples
            double fraction = Math.Clamp((DateTime.UtcNow - start) / (deadlineUtc - start), 0, 1);
            // Cosine over the time budget (Loshchilov & Hutter 2017) after a linear warm-up over its first 5%.
            double lr = recipe.Optimizer.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * fraction)) * Math.Min(1, (fraction + 0.01) / 0.05);
            int group = 0;
            foreach (var g in optimizer.ParamGroups) g.LearningRate = lr * multipliers[group++];
            var (x, y, r) = Patches(idx);
            optimizer.zero_grad();
            var loss = SegmentationLoss.Compute(model.forward(x.to(device)), y.to(device), r.to(device), seg);
            loss.backward();
            if (recipe.Optimizer.GradClip > 0) nn.utils.clip_grad_norm_(model.parameters(), recipe.Optimizer.GradClip);
            optimizer.step();
            return (loss.item<float>(), idx.Length);
        }

        /// <summary>Crops one patch per index (a share centred on a random foreground pixel) and augments image, labels and region alike.</summary>
        private (Tensor X, Tensor Y, Tensor R) Patches(int[] idx)
        {
            int p = Math.Min(seg.PatchSize, size);
            var xs = new List<Tensor>();
            var ys = new List<Tensor>();
            var rs = new List<Tensor>();
            var contrasts = new float[idx.Length];
            var shifts = new float[idx.Length];
            var aug = recipe.Augmentation;
            int n = 0;
            foreach (var i in idx)
            {
                int x0, y0;
                if (foreground[i].Length > 0 && rng.NextDouble() < seg.ForegroundPatchFraction)
                {
                    int c = foreground[i][rng.Next(foreground[i].Length)];
                    x0 = Math.Clamp(c % size - p / 2 + rng.Next(-p / 4, p / 4 + 1), 0, size - p);
                    y0 = Math.Clamp(c / size - p / 2 + rng.Next(-p / 4, p / 4 + 1), 0, size - p);
                }
                else
                {
                    x0 = rng.Next(size - p + 1);
                    y0 = rng.Next(size - p + 1);
                }
                var xi = xTrain[i].narrow(1, y0, p).narrow(2, x0, p);
                var yi = yTrain[i].narrow(0, y0, p).narrow(1, x0, p);
                var ri = rTrain[i].narrow(0, y0, p).narrow(1, x0, p);
                // Image, labels and region move together: flips and quarter turns keep pixels aligned.
                if (rng.NextDouble() < aug.HorizontalFlip) { xi = xi.flip(2); yi = yi.flip(1); ri = ri.flip(1); }
                if (rng.NextDouble() < aug.VerticalFlip) { xi = xi.flip(1); yi = yi.flip(0); ri = ri.flip(0); }
                if (rng.NextDouble() < aug.Rotate90)
                {
                    long turns = rng.Next(1, 4);
                    xi = xi.rot90(turns, (1, 2)); yi = yi.rot90(turns, (0, 1)); ri = ri.rot90(turns, (0, 1));
                }
                contrasts[n] = 1;
                if (aug.Brightness > 0)
                {
                    contrasts[n] = (float)(1 + aug.Brightness * (2 * rng.NextDouble() - 1));
                    shifts[n] = (float)(aug.Brightness * brightnessUnit * (2 * rng.NextDouble() - 1));
                }
                xs.Add(xi); ys.Add(yi); rs.Add(ri);
                n++;
            }
            // The batch's bytes are scaled and normalised once; each patch's brightness/contrast then applies on the normalised scale.
            var x = Trainer.Normalize(stack(xs), pre);
            if (aug.Brightness > 0) x = x * tensor(contrasts).view(-1, 1, 1, 1) + tensor(shifts).view(-1, 1, 1, 1);
            return (x, stack(ys).to_type(ScalarType.Int64), stack(rs).to_type(ScalarType.Float32));
        }

        public DateTime TrainUntil(int epoch, DateTime deadlineUtc) => deadlineUtc;

        public EpochCheck Validate(int epoch)
        {
            var clock = Stopwatch.StartNew();
            var (loss, maps) = SegmentationPredictor.Predict(model, xVal, pre, seg, device, val);
            var truth = Enumerable.Range(0, val.Count).Select(val.LabelsOf).ToList();
            var region = Enumerable.Range(0, val.Count).Select(val.RegionOf).ToList();
            var (metrics, perImage) = scorer(truth, maps, region, val.Size);
            _lastPerImage = perImage;
            _validationSeconds = clock.Elapsed.TotalSeconds;
            return new EpochCheck(loss, metrics, _validationSeconds);
        }

        public void Checkpoint(int epoch, EpochCheck check)
        {
            BestPerImage = _lastPerImage;
            Trainer.SaveAtomically(model, paths.Model);
        }

        public LoopStep EpochEnd(int epoch, EpochCheck best, int bestEpoch, double typicalEpochSeconds) => LoopStep.Continue;

        public string Describe(EpochReport r)
        {
            var m = r.Check.Metrics;
            return string.Create(CultureInfo.InvariantCulture,
                $"epoch {r.Epoch} train_loss {r.TrainLoss:F4} val_loss {r.Check.Loss:F4} val_{m.ObjectiveName} {m.Objective:F4} dice {m.Auc:F4} iou {m.Accuracy:F4} sensitivity {m.Sensitivity:F3} precision {m.Specificity:F3}, {_patches.Count} patches, {r.Seconds:F1}s of which validation {_validationSeconds:F1}s");
        }
    }

    /// <summary>
    /// Loads the pretrained encoder weights into a U-Net built on them and freezes the stages the
    /// recipe's fine-tuning strategy names; null for a network from scratch. Missing or corrupt
    /// weights leave it random and unfrozen, and the note says so (log and metrics.json).
    /// </summary>
    private static PretrainedInit? InitializePretrained(Module<Tensor, Tensor> model, Recipe recipe, Action<string> log)
    {
        if (model is not UNetResNet18 unet) return null;
        var init = PretrainedWeights.TryLoad(unet.Encoder);
        unet.Freeze(Pretraining.FrozenStages(recipe, init));
        log(init.Loaded
            ? string.Create(CultureInfo.InvariantCulture, $"{init.Note}; fine-tuning: {(unet.FrozenStages == 0 ? "every encoder stage" : $"stem and stages 1–{unet.FrozenStages} frozen, the rest")} at ×{recipe.FineTune?.BackboneLrScale ?? 1:G3} the decoder's learning rate")
            : $"{init.Note}. Every stage trains at the full learning rate.");
        return init;
    }
}
