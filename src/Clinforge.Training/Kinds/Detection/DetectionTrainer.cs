using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>Letterboxed images of a detection split with their annotations.</summary>
public sealed record DetectionSet(float[] Pixels, LetterboxFrame[] Frames, DetectionLabel[] Labels, int Channels, int Size, IReadOnlyList<string> Ids)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Each image's group (augmented copies of one source, one patient), null for none; empty when not known.</summary>
    public IReadOnlyList<string?> Groups { get; init; } = [];

    /// <summary>
    /// Loads the items at the recipe's resolution (letterboxed) with their labels; with two or more
    /// <paramref name="classes"/> (the recipe's <see cref="DetectionRecipe.Classes"/>) each box carries
    /// its class index in that list, otherwise every box is class 0.
    /// </summary>
    public static DetectionSet Load(Dataset ds, IReadOnlyList<DataItem> items, InputSpec input, IReadOnlyList<string>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(input);
        var det = ds.Detection ?? throw new ClinforgeException($"{ds.Source}: not a detection dataset (no boxes were read).");
        var labels = det.LabelsFor(classes ?? []);
        var (pixels, frames) = Letterbox.Load(ds, items, input.Size, input.Channels);
        return new DetectionSet(pixels, frames, items.Select(i => labels[i.Id]).ToArray(), input.Channels, input.Size, items.Select(i => i.Id).ToArray())
        {
            Groups = items.Select(i => i.Group).ToArray(),
        };
    }
}

/// <summary>
/// Scores validation detections with the clinician's objective (injected: Training does not reference
/// Evaluation): at the operating point that is best on these images, or, with <c>at</c>, at one chosen on others.
/// </summary>
public delegate ValidationMetrics DetectionScorer(IReadOnlyList<IReadOnlyList<BoundingBox>> truth, IReadOnlyList<IReadOnlyList<BoundingBox>> predicted, DetectionOperatingPoint? at);

/// <summary>
/// What a detection training run produced: metrics and the best epoch's detections on the fully
/// supervised validation images, of which <see cref="Judged"/> (positions in that list) judged the trial.
/// </summary>
public sealed record DetectionOutcome(TrialMetrics Metrics, IReadOnlyList<IReadOnlyList<BoundingBox>> BestValDetections, int PseudoLabelled)
{
    /// <summary>Positions in <see cref="BestValDetections"/> of the judging half (every image when the set was not halved).</summary>
    public IReadOnlyList<int> Judged { get; init; } = [];
}

/// <summary>
/// Detection training on <see cref="TrainingLoop"/>: time-boxed epochs with a cosine
/// learning rate over the budget, validation every epoch, best-on-validation checkpoint. The validation
/// images are halved (<see cref="ValidationHalves"/>): the epoch and the score threshold are chosen on
/// the selection half, and the objective reported is measured on the judging half. With
/// <c>teacher_student</c> mixed supervision the budget is split: a teacher trains on the boxed images
/// and negatives; its best checkpoint pseudo-labels the image-level positives (boxes above a
/// confidence threshold, at most N per image; Sohn et al. 2020, STAC); the student continues from
/// the teacher on boxed + pseudo-labelled images (as in Xu et al. 2021, Soft Teacher, the student
/// starts from the teacher's weights). Image-level negatives stay negatives throughout.
/// </summary>
/// <remarks>
/// With several classes in <see cref="DetectionRecipe.Classes"/> the head predicts one sigmoid map per
/// class (FCOS, Tian et al. 2019: C binary classifiers trained with focal loss), the targets set the
/// map of each box's class, and decoding gives each box its class with class-aware NMS; one class is
/// the same code path with C = 1.
/// </remarks>
public sealed class DetectionTrainer(Action<string> log)
{

    /// <summary>When a whole epoch no longer fits the budget, a shorter last one still runs if at least this many seconds of training fit.</summary>
    public const double MinLastEpochSeconds = 60;

    /// <summary>An epoch shows at least this many training images per validation image (a small pool is repeated).</summary>
    public const int EpochImagesPerValidationImage = 2;

    /// <summary>Trains the recipe; validation uses images of <paramref name="val"/> that have full supervision.</summary>
    public DetectionOutcome Train(Recipe recipe, DetectionSet train, DetectionSet val, DetectionScorer scorer, DateTime deadlineUtc,
        TrialPaths paths, Action<TrainProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(val);
        var det = recipe.Detection ?? new DetectionRecipe();
        var device = NativeRuntime.PreferredDevice();
        random.manual_seed(recipe.Seed);
        var rng = new Random(recipe.Seed);
        var dataStats = Trainer.ComputePreprocessing(train.Pixels, train.Count, train.Channels, train.Size, ["finding"]);

        using var model = ModelRegistry.Create(recipe.Model, train.Channels, det.ClassCount);
        var init = InitializePretrained(model, recipe, log);
        // Pretrained weights expect their own input scale; a model from scratch is standardised on the training images.
        var pre = init is { Loaded: true } ? Pretraining.Preprocessing(train.Size, train.Channels, ["finding"]) : dataStats;
        // Brightness/contrast jitter is specified in units of the images' spread, whatever the input scale.
        double brightnessUnit = dataStats.Std[0] / pre.Std[0];
        Json.Write(paths.Preprocessing, pre);
        model.to(device);
        var (groups, multipliers) = Pretraining.ParameterGroups(model, recipe, init);
        using var optimizer = Trainer.CreateOptimizer(groups, recipe.Optimizer);
        using var xTrain = ToTensor(train, pre);
        using var xVal = ToTensor(val, pre);
        // Validation measures what can be measured: boxed positives and negatives (image-level positives have no boxes to match).
        var valIdx = Enumerable.Range(0, val.Count).Where(i => val.Labels[i].HasBoxes).ToArray();
        var valTruth = valIdx.Select(i => (IReadOnlyList<BoundingBox>)val.Labels[i].Boxes).ToList();
        using var xValUsed = xVal.index_select(0, tensor(valIdx.Select(i => (long)i).ToArray()));
        var valFrames = valIdx.Select(i => val.Frames[i]).ToArray();
        var halves = ValidationHalves.Split(valIdx.Select(i => val.Ids[i]).ToList(),
            valIdx.Select(i => i < val.Groups.Count ? val.Groups[i] : null).ToList(), valIdx.Select(i => val.Labels[i].Boxes.Count > 0).ToList(), recipe.Seed);
        log(halves.Halved
            ? string.Create(CultureInfo.InvariantCulture, $"validation halved (seed {recipe.Seed}, groups kept whole, images with and without findings shared): the epoch and score threshold are chosen on {halves.Selection.Count} images ({halves.Selection.Count(i => valTruth[i].Count > 0)} with findings), the objective reported is judged on the other {halves.Judging.Count} ({halves.Judging.Count(i => valTruth[i].Count > 0)} with findings)")
            : $"validation not halved: {halves.Fallback}");

        var boxes = train.Labels.Select((l, i) => l.HasBoxes ? (IReadOnlyList<BoundingBox>)l.Boxes : null).ToArray();
        int imageLevel = boxes.Count(b => b is null);
        bool mixed = det.MixedSupervision == "teacher_student" && imageLevel > 0;
        var start = DateTime.UtcNow;
        var teacherEnd = mixed ? start + (deadlineUtc - start) * Math.Clamp(det.TeacherFraction, 0.1, 0.9) : deadlineUtc;
        log(string.Create(CultureInfo.InvariantCulture,
            $"detection: {train.Count} training images ({boxes.Count(b => b is { Count: > 0 })} boxed positives, {train.Labels.Count(l => !l.Positive)} negatives, {imageLevel} image-level positives), {valIdx.Length} validation images with full supervision; {(mixed ? $"teacher–student: teacher until {det.TeacherFraction:0%} of the budget" : "boxed images only")}"));

        var hooks = new DetectionHooks(model, optimizer, multipliers, recipe, det, xTrain, train, boxes, brightnessUnit, rng, device,
            xValUsed, valFrames, valIdx.Select(i => val.Labels[i]).ToArray(), valTruth, scorer, halves, paths, mixed, start, teacherEnd, deadlineUtc,
            EpochImagesPerValidationImage * valIdx.Length, log);
        var loop = TrainingLoop.Run(hooks, new LoopSettings(recipe.MaxEpochs, start, deadlineUtc, ShortLastEpochSeconds: MinLastEpochSeconds), log, progress);
        if (loop.NonFinite)
            return new DetectionOutcome(Trainer.NonFiniteLoss(loop.Curve, loop.Epochs, loop.TrainSeconds, loop.Images) with { Initialization = init?.Note }, [], 0);
        hooks.Finish();
        // The loop kept the epoch best on the selection half; the trial reports that epoch judged on the other half.
        var judging = new DetectionJudging(valIdx.Length, halves.Selection.Count, halves.Judging.Count, halves.Fallback)
        {
            Selection = loop.Best?.Metrics, WholeValidation = hooks.BestWhole,
        };
        var result = new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Best = hooks.BestJudged ?? loop.Best?.Metrics, BestEpoch = loop.BestEpoch, Curve = loop.Curve, Epochs = loop.Epochs,
            TrainSeconds = loop.TrainSeconds, ImagesPerSecond = loop.Images / Math.Max(loop.TrainSeconds, 1e-9), Initialization = init?.Note,
            Judging = judging,
        };
        if (halves.Halved && result.Best is { } b && judging.Selection is { } sel && judging.WholeValidation is { } whole)
            log(string.Create(CultureInfo.InvariantCulture,
                $"kept epoch {loop.BestEpoch}: {b.ObjectiveName} {sel.Objective:F4} on the {halves.Selection.Count} selection images (where it and the score {sel.Threshold:F2} were chosen), {b.Objective:F4} judged on the other {halves.Judging.Count} at that score (reported); whole validation {whole.Objective:F4} at its own best score {whole.Threshold:F2}, for information"));
        return new DetectionOutcome(result, hooks.BestDetections, hooks.PseudoLabelled) { Judged = halves.Judging };
    }

    /// <summary>
    /// Detection's hooks: an image pool per epoch (supervised positives and sampled negatives), box-aware
    /// augmentation and FCOS targets per batch, a cosine over the phase's time with a short warm-up,
    /// validation by mAP and the clinician's objective, the best epoch's detections kept and its weights
    /// saved; at a teacher's end its best checkpoint pseudo-labels the image-level positives and a
    /// student continues from it.
    /// </summary>
    private sealed class DetectionHooks(Module<Tensor, Tensor> model, optim.Optimizer optimizer, IReadOnlyList<double> multipliers, Recipe recipe, DetectionRecipe det,
        Tensor xTrain, DetectionSet train, IReadOnlyList<BoundingBox>?[] boxes, double brightnessUnit, Random rng, Device device,
        Tensor xVal, LetterboxFrame[] valFrames, DetectionLabel[] valLabels, IReadOnlyList<IReadOnlyList<BoundingBox>> valTruth, DetectionScorer scorer,
        ValidationHalves halves, TrialPaths paths, bool mixed, DateTime start, DateTime teacherEnd, DateTime deadlineUtc, int minImages, Action<string> log) : ITrainingHooks
    {
        private readonly List<PseudoLabelRound> _rounds = [];
        private List<int> _pool = [];
        private IReadOnlyList<IReadOnlyList<BoundingBox>> _last = [];
        private ValidationMetrics? _lastJudged, _lastWhole;
        private string _phase = mixed ? "teacher" : "train";
        private DateTime _phaseStart = start, _phaseEnd = teacherEnd;
        private int _phaseEpochEnd = Math.Max(1, (int)(recipe.MaxEpochs * det.TeacherFraction));
        private double _phaseBest = double.NegativeInfinity, _validationSeconds;

        /// <summary>The kept epoch's validation detections.</summary>
        public IReadOnlyList<IReadOnlyList<BoundingBox>> BestDetections { get; private set; } = [];

        /// <summary>The kept epoch judged on the judging half at the selection half's operating point.</summary>
        public ValidationMetrics? BestJudged { get; private set; }

        /// <summary>The kept epoch on the whole validation set at its own best operating point (for information).</summary>
        public ValidationMetrics? BestWhole { get; private set; }

        /// <summary>Image-level positives the last teacher boxed.</summary>
        public int PseudoLabelled { get; private set; }

        public int EpochStart(int epoch)
        {
            model.train();
            _pool = EpochPool(train, boxes, det, rng, minImages);
            return (_pool.Count + recipe.BatchSize - 1) / recipe.BatchSize;
        }

        public (double Loss, int Images)? Batch(int epoch, int batch, int batches, double budgetFraction)
        {
            using var scope = NewDisposeScope();
            int bs = recipe.BatchSize, size = train.Size;
            var idx = _pool.Skip(batch * bs).Take(bs).ToArray();
            if (idx.Length < 2) return null; // batch norm needs two samples
            double fraction = Math.Clamp((DateTime.UtcNow - _phaseStart) / (_phaseEnd - _phaseStart), 0, 1);
            // Cosine over the phase's time budget (Loshchilov & Hutter 2017), with a short linear warm-up.
            double lr = recipe.Optimizer.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * fraction)) * Math.Min(1, (fraction + 0.01) / 0.05);
            // Parameter groups come in the order of the multipliers (earlier backbone stages learn slower).
            int group = 0;
            foreach (var g in optimizer.ParamGroups) g.LearningRate = lr * multipliers[group++];
            var xb = xTrain.index_select(0, tensor(idx.Select(i => (long)i).ToArray()));
            var (xa, pixelBoxes) = Augment(xb, idx.Select(i => ToPixels(boxes[i]!, train.Frames[i])).ToArray(), recipe.Augmentation, det, size, rng, brightnessUnit);
            var targets = FcosAssigner.Build(pixelBoxes, size, det.ClassCount, det.CenterRadius, det.LabelSmoothing);
            optimizer.zero_grad();
            var loss = FcosLoss.Compute(model.forward(xa.to(device)), targets, det.ClassCount, det.FocalAlpha, det.FocalGamma);
            loss.backward();
            if (recipe.Optimizer.GradClip > 0) nn.utils.clip_grad_norm_(model.parameters(), recipe.Optimizer.GradClip);
            optimizer.step();
            return (loss.item<float>(), idx.Length);
        }

        // A phase's time is up: the epoch ends there (validation follows), so a long epoch cannot overrun it.
        public DateTime TrainUntil(int epoch, DateTime deadlineUtc) => deadlineUtc < _phaseEnd ? deadlineUtc : _phaseEnd;

        public EpochCheck Validate(int epoch)
        {
            var clock = Stopwatch.StartNew();
            var (loss, detections) = Predict(model, xVal, valFrames, det, device, valLabels);
            _last = detections;
            // The loop keeps the epoch best on the selection half; the judged and whole numbers ride along.
            var (metrics, judged, whole) = halves.Score(valTruth, detections, scorer);
            (_lastJudged, _lastWhole) = (judged, whole);
            _validationSeconds = clock.Elapsed.TotalSeconds;
            if (_phase != "train") _phaseBest = Math.Max(_phaseBest, metrics.Objective);
            return new EpochCheck(loss, metrics, _validationSeconds);
        }

        public void Checkpoint(int epoch, EpochCheck check)
        {
            BestDetections = _last;
            (BestJudged, BestWhole) = (_lastJudged, _lastWhole);
            SaveAtomically(model, paths.Model);
        }

        public string Describe(EpochReport r)
        {
            var m = r.Check.Metrics;
            var inv = CultureInfo.InvariantCulture;
            string halvesNote = halves.Halved && _lastJudged is { } j && _lastWhole is { } w
                ? string.Create(inv, $" on the selection half; judged {j.Objective:F4}, whole validation {w.Objective:F4} at score {w.Threshold:F2}")
                : "";
            return string.Create(inv,
                $"epoch {r.Epoch} ({_phase}) train_loss {r.TrainLoss:F4} val_loss {r.Check.Loss:F4} val_{m.ObjectiveName} {m.Objective:F4} val_map50 {m.Auc:F4} recall {m.Sensitivity:F3} precision {m.Specificity:F3} at score {m.Threshold:F2}{halvesNote}, {_pool.Count} images, {r.Seconds:F1}s of which validation {_validationSeconds:F1}s ({valLabels.Length / Math.Max(_validationSeconds, 1e-9):F1} img/s)");
        }

        // A teacher's share of the budget ends by the clock or by the epoch count, whichever comes first;
        // with PseudoLabelRounds > 1 the student's share is cut the same way and each student but the
        // last becomes the next teacher (Xie et al. 2020, Noisy Student).
        public LoopStep EpochEnd(int epoch, EpochCheck bestCheck, int bestEpoch, double typicalEpochSeconds)
        {
            if (!(_phase == "teacher" || (_phase == "student" && _rounds.Count < det.PseudoLabelRounds))
                || ((_phaseEnd - DateTime.UtcNow).TotalSeconds >= typicalEpochSeconds && epoch < _phaseEpochEnd))
                return LoopStep.Continue;
            var best = bestCheck.Metrics;
            if (_rounds.Count > 0) _rounds[^1] = _rounds[^1] with { StudentValObjective = _phaseBest };
            // The best checkpoint so far (the teacher, or the student when it beat the teacher) labels the image-level positives; the next student continues from it.
            model.load(paths.Model);
            int round = _rounds.Count + 1;
            var unboxed = Enumerable.Range(0, train.Count).Where(i => !train.Labels[i].HasBoxes && train.Labels[i].Positive).ToArray();
            if (best.Auc < det.MinTeacherMap50)
            {
                log($"round {round}: teacher (best epoch {bestEpoch}) has validation mAP@50 {best.Auc:F4} < {det.MinTeacherMap50:G2}: too weak to pseudo-label the {unboxed.Length} image-level positives (its boxes would teach noise); the student continues on {(round == 1 ? "the boxed images only" : "the previous round's labels")}");
                _rounds.Add(new PseudoLabelRound(round, bestEpoch, best.Objective, best.Auc, unboxed.Length, 0, false,
                    $"teacher validation mAP@50 {best.Auc.ToString("F4", CultureInfo.InvariantCulture)} below the guard {det.MinTeacherMap50.ToString("G2", CultureInfo.InvariantCulture)}"));
            }
            else
            {
                PseudoLabelled = 0;
                using var xUnboxed = xTrain.index_select(0, tensor(unboxed.Select(i => (long)i).ToArray()));
                var (_, pseudo) = Predict(model, xUnboxed, unboxed.Select(i => train.Frames[i]).ToArray(), det with { MinScore = det.PseudoThreshold / 2 }, device, null);
                for (int k = 0; k < unboxed.Length; k++)
                {
                    var chosen = PseudoBoxes(pseudo[k], det.PseudoThreshold, det.PseudoMaxBoxes);
                    boxes[unboxed[k]] = chosen.Count > 0 ? chosen : null;
                    if (chosen.Count > 0) PseudoLabelled++;
                }
                log($"round {round}: teacher (best epoch {bestEpoch}, val {best.Objective:F4}, mAP@50 {best.Auc:F4}) pseudo-labelled {PseudoLabelled} of {unboxed.Length} image-level positives (score ≥ {det.PseudoThreshold:G2}, or the single best box ≥ {det.PseudoThreshold / 2:G2}; at most {det.PseudoMaxBoxes} boxes each); the student trains on them too");
                _rounds.Add(new PseudoLabelRound(round, bestEpoch, best.Objective, best.Auc, unboxed.Length, PseudoLabelled, true,
                    round == 1 ? "teacher trained on the boxed images" : $"student of round {round - 1} as the next teacher"));
            }
            Json.Write(Path.Combine(paths.Root, PseudoLabelRound.File), _rounds);
            // The rest of the budget (time and epochs) is shared equally among the students still to train.
            int studentsLeft = det.PseudoLabelRounds - _rounds.Count + 1;
            _phase = "student"; _phaseStart = DateTime.UtcNow; _phaseBest = double.NegativeInfinity;
            _phaseEnd = _phaseStart + (deadlineUtc - _phaseStart) / studentsLeft;
            _phaseEpochEnd = epoch + Math.Max(1, (recipe.MaxEpochs - epoch) / studentsLeft);
            return LoopStep.ContinueNewPhase;
        }

        /// <summary>After the loop: the last student's best validation objective goes into the rounds file.</summary>
        public void Finish()
        {
            if (_rounds.Count == 0) return;
            _rounds[^1] = _rounds[^1] with { StudentValObjective = _phaseBest };
            Json.Write(Path.Combine(paths.Root, PseudoLabelRound.File), _rounds);
        }
    }

    /// <summary>
    /// Loads the pretrained backbone weights into a detector built on them and freezes the stages the
    /// recipe's fine-tuning strategy names; null for a detector from scratch. Missing or corrupt
    /// weights leave it random and unfrozen, and the note says so (log and metrics.json).
    /// </summary>
    private static PretrainedInit? InitializePretrained(Module<Tensor, Tensor> model, Recipe recipe, Action<string> log)
    {
        if (model is not FcosResNet18 detector) return null;
        var init = PretrainedWeights.TryLoad(detector.Backbone);
        detector.Freeze(Pretraining.FrozenStages(recipe, init));
        log(init.Loaded
            ? $"{init.Note}; fine-tuning: {(detector.FrozenStages switch { 0 => "every stage", 1 => "stem and stage 1 frozen (batch norm in evaluation mode), the rest", int k => $"stem and stages 1–{k} frozen (batch norm in evaluation mode), the rest" })} at ×{recipe.FineTune?.BackboneLrScale ?? 1:G3} the head's learning rate"
            : $"{init.Note}. Every stage trains at the full learning rate.");
        return init;
    }

    /// <summary>
    /// Teacher boxes kept as pseudo-labels: those scoring at least <paramref name="threshold"/> (at most
    /// <paramref name="maxBoxes"/>); when none does, the single best box if it scores at least half the
    /// threshold, since the image-level label says a finding is there.
    /// </summary>
    public static List<BoundingBox> PseudoBoxes(IReadOnlyList<BoundingBox> predicted, double threshold, int maxBoxes)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        var sorted = predicted.OrderByDescending(b => b.Score).ToList();
        var confident = sorted.Where(b => b.Score >= threshold).Take(maxBoxes).ToList();
        if (confident.Count == 0 && sorted.Count > 0 && sorted[0].Score >= threshold / 2) confident.Add(sorted[0]);
        return confident.Select(b => b with { Score = 1 }).ToList();
    }

    /// <summary>Images of one epoch: every supervised positive, and all negatives or a sample of them per <see cref="DetectionRecipe.NegativesPerPositive"/>.</summary>
    private static List<int> EpochPool(DetectionSet train, IReadOnlyList<BoundingBox>?[] boxes, DetectionRecipe det, Random rng, int minImages)
    {
        var positives = Enumerable.Range(0, train.Count).Where(i => boxes[i] is { Count: > 0 }).ToList();
        var negatives = Enumerable.Range(0, train.Count).Where(i => boxes[i] is { Count: 0 } && !train.Labels[i].Positive).ToList();
        if (det.NegativesPerPositive > 0)
        {
            int keep = Math.Min(negatives.Count, (int)Math.Round(det.NegativesPerPositive * positives.Count));
            negatives = negatives.OrderBy(_ => rng.Next()).Take(keep).ToList();
        }
        var pool = positives.Concat(negatives).ToList();
        // A small pool (few boxed images in the teacher phase) is cycled to at least minImages (twice the
        // validation images), so validation, a full pass each epoch, does not dominate the budget.
        var once = pool.ToList();
        while (once.Count > 0 && pool.Count < minImages) pool.AddRange(once);
        for (int i = pool.Count - 1; i > 0; i--) { int j = rng.Next(i + 1); (pool[i], pool[j]) = (pool[j], pool[i]); }
        return pool;
    }

    /// <summary>Normalised boxes → pixels of the letterboxed square.</summary>
    public static IReadOnlyList<PixelBox> ToPixels(IReadOnlyList<BoundingBox> boxes, LetterboxFrame frame)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(frame);
        return boxes.Select(b => { var (x1, y1, x2, y2) = frame.ToSquare(b); return new PixelBox(x1, y1, x2, y2, b.Class); }).ToList();
    }

    /// <summary>
    /// Box-aware batch augmentation: horizontal flip, scale jitter with a small shift (one affine
    /// resample, Jaderberg et al. 2015 spatial transformer sampling), brightness/contrast; boxes follow
    /// the geometry and those mostly pushed out of the image are dropped.
    /// </summary>
    public static (Tensor Images, IReadOnlyList<PixelBox>[] Boxes) Augment(Tensor x, IReadOnlyList<PixelBox>[] boxes, AugmentationSpec aug, DetectionRecipe det, int size, Random rng,
        double brightnessUnit = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(aug);
        ArgumentNullException.ThrowIfNull(det);
        int n = boxes.Length;
        var flip = new bool[n];
        var result = new IReadOnlyList<PixelBox>[n];
        var theta = new float[n * 6];
        var contrast = new float[n];
        var brightness = new float[n];
        bool anyScale = det.ScaleJitter > 0;
        for (int i = 0; i < n; i++)
        {
            flip[i] = rng.NextDouble() < aug.HorizontalFlip;
            double s = anyScale ? 1 + det.ScaleJitter * (2 * rng.NextDouble() - 1) : 1;
            double tx = anyScale ? det.ScaleJitter * (rng.NextDouble() - 0.5) : 0, ty = anyScale ? det.ScaleJitter * (rng.NextDouble() - 0.5) : 0;
            // affine_grid maps output u to input u·(1/s) + t (u in [-1, 1]); a box point moves to (u_in − t)·s.
            theta[i * 6 + 0] = (float)(1 / s); theta[i * 6 + 2] = (float)tx;
            theta[i * 6 + 4] = (float)(1 / s); theta[i * 6 + 5] = (float)ty;
            contrast[i] = (float)(1 + aug.Brightness * (2 * rng.NextDouble() - 1));
            brightness[i] = (float)(aug.Brightness * brightnessUnit * (2 * rng.NextDouble() - 1));
            double Map(double p, double t) => ((2 * p / size - 1 - t) * s + 1) * size / 2;
            var list = new List<PixelBox>();
            foreach (var b in boxes[i])
            {
                double x1 = b.X1, x2 = b.X2;
                if (flip[i]) (x1, x2) = (size - b.X2, size - b.X1);
                var moved = new PixelBox(Map(x1, tx), Map(b.Y1, ty), Map(x2, tx), Map(b.Y2, ty), b.Class);
                var clipped = new PixelBox(Math.Clamp(moved.X1, 0, size), Math.Clamp(moved.Y1, 0, size), Math.Clamp(moved.X2, 0, size), Math.Clamp(moved.Y2, 0, size), b.Class);
                if (clipped.Area >= 0.4 * moved.Area && clipped.X2 - clipped.X1 >= 2 && clipped.Y2 - clipped.Y1 >= 2) list.Add(clipped);
            }
            result[i] = list;
        }
        var mask = tensor(flip).view(-1, 1, 1, 1);
        var y = where(mask, x.flip(3), x);
        if (anyScale)
        {
            var grid = functional.affine_grid(tensor(theta, [n, 2, 3]), [n, x.shape[1], size, size], align_corners: false);
            y = functional.grid_sample(y, grid, mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Zeros, align_corners: false);
        }
        if (aug.Brightness > 0)
            y = y * tensor(contrast).view(-1, 1, 1, 1) + tensor(brightness).view(-1, 1, 1, 1);
        return (y, result);
    }

    /// <summary>
    /// Pixels per inference batch (batch × side²). On a 2-core CPU the validation pass of the pretrained
    /// detector at 320 px ran at 8 img/s in batches of 32 and at 23 img/s in batches of 8, and the
    /// from-scratch detector at 320 px at 39 against 257 img/s: larger batches push every activation
    /// map out of the CPU's caches (bench -- detection-throughput, docs/benchmarks.md). In evaluation
    /// mode batch norm uses its running statistics, so the batch size does not change the detections.
    /// </summary>
    public const int InferencePixelsPerBatch = 8 * 320 * 320;

    /// <summary>The inference batch for images of <paramref name="size"/> px: 16 at 224 px, 8 at 320, 5 at 384, 4 at 448.</summary>
    public static int InferenceBatch(int size) => Math.Clamp(InferencePixelsPerBatch / Math.Max(size * size, 1), 2, 32);

    /// <summary>Detections per image (and the mean loss when <paramref name="labels"/> are given) for a normalised input tensor on the CPU.</summary>
    public static (double Loss, List<BoundingBox>[] Detections) Predict(Module<Tensor, Tensor> model, Tensor x, IReadOnlyList<LetterboxFrame> frames,
        DetectionRecipe det, Device device, IReadOnlyList<DetectionLabel>? labels, int batchSize = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(det);
        model.eval();
        long n = x.shape[0];
        var all = new List<BoundingBox>[n];
        double lossSum = 0;
        int size = (int)x.shape[2];
        if (batchSize <= 0) batchSize = InferenceBatch(size);
        using var noGrad = no_grad();
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(batchSize, n - start);
            var output = model.forward(x.narrow(0, start, len).to(device));
            var batchFrames = frames.Skip((int)start).Take((int)len).ToList();
            var decoded = FcosDecoder.Decode(output, batchFrames, det.ClassCount, det.MinScore, det.NmsIou, det.MaxDetections);
            for (int i = 0; i < len; i++) all[start + i] = decoded[i];
            if (labels is not null)
            {
                var pixel = Enumerable.Range(0, (int)len).Select(i => ToPixels(labels[(int)start + i].Boxes, batchFrames[i])).ToArray();
                var targets = FcosAssigner.Build(pixel, size, det.ClassCount, det.CenterRadius);
                lossSum += FcosLoss.Compute(output, targets, det.ClassCount, det.FocalAlpha, det.FocalGamma).item<float>() * len;
            }
        }
        return (lossSum / Math.Max(n, 1), all);
    }

    /// <summary>Normalised input tensor [N, C, S, S] on the CPU.</summary>
    public static Tensor ToTensor(DetectionSet set, Preprocessing pre)
    {
        ArgumentNullException.ThrowIfNull(set);
        return Trainer.ToTensor(set.Pixels, set.Count, set.Channels, set.Size, pre);
    }

    private static void SaveAtomically(Module<Tensor, Tensor> model, string path) => Trainer.SaveAtomically(model, path);

}
