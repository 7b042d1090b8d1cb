using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class DetectionTrainingTests
{
    [Fact]
    public void Should_ForwardAndBackward_When_DetectorSeesABatchWithBoxes()
    {
        // given: the registered detector and a batch of two 64-px grey images, one with a box
        random.manual_seed(1);
        using var model = ModelRegistry.Create(new ModelSpec("fcos_lite", 8, 1), 1, 1);
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 64, 64);
        var targets = FcosAssigner.Build([[new PixelBox(10, 12, 30, 40, 0)], []], 64, 1, 1.5);

        // when
        var output = model.forward(x);
        var loss = FcosLoss.Compute(output, targets, 1, 0.25, 2);
        loss.backward();

        // then: [N, classes + 5, S/8, S/8], a finite loss, a gradient for every parameter
        Assert.Equal(new long[] { 2, 6, 8, 8 }, output.shape);
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
        Assert.Contains("fcos_lite", ModelRegistry.DetectorNames);
    }

    [Fact]
    public void Should_ForwardAndBackwardWithOneMapPerClass_When_DetectorHasThreeClasses()
    {
        // given: fcos_lite with C = 3 and a batch whose boxes are of classes 0 and 2
        random.manual_seed(2);
        using var model = ModelRegistry.Create(new ModelSpec("fcos_lite", 8, 1), 1, 3);
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 64, 64);
        var targets = FcosAssigner.Build([[new PixelBox(10, 12, 30, 40, 0)], [new PixelBox(32, 32, 56, 60, 2)]], 64, 3, 1.5);

        // when
        var output = model.forward(x);
        var loss = FcosLoss.Compute(output, targets, 3, 0.25, 2);
        loss.backward();

        // then: [N, 3 + 5, S/8, S/8]; the targets set only the map of each box's class; a finite loss; every parameter has a gradient
        Assert.Equal(new long[] { 2, 8, 8, 8 }, output.shape);
        int cells = 64;
        float Map(int sample, int cls) => Enumerable.Range(0, cells).Sum(c => targets.Cls[(sample * 3 + cls) * cells + c]);
        Assert.True(Map(0, 0) > 0);
        Assert.Equal(0, Map(0, 1));
        Assert.Equal(0, Map(0, 2));
        Assert.True(Map(1, 2) > 0);
        Assert.Equal(0, Map(1, 0));
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void Should_GiveEachBoxItsClassAndSuppressWithinAClassOnly_When_DecodingSeveralClasses()
    {
        // given: a 3-class output on a 64-px square (8×8 cells) where one location is sure of class 1 and
        // fairly sure of class 2 (same box), and the next location a little weaker on class 1; every box
        // reaches 3 strides (24 px) to each side, so the neighbours' boxes overlap by IoU 1920/2688 ≈ 0.71
        int g = 8, classes = 3;
        var data = new float[1 * (classes + 5) * g * g];
        void Set(int channel, int cell, float v) => data[channel * g * g + cell] = v;
        for (int k = 0; k < classes; k++) for (int c = 0; c < g * g; c++) Set(k, c, -10);      // class logits: nothing
        for (int c = 0; c < g * g; c++) { for (int d = 0; d < 4; d++) Set(classes + d, c, 3f); Set(classes + 4, c, 10); }
        int a = 3 * g + 3, b = 3 * g + 4;
        Set(1, a, 5); Set(2, a, 3); Set(1, b, 4);
        using var output = tensor(data, [1, classes + 5, g, g]);
        var frame = new LetterboxFrame(64, 64, 64, 1.0, 0, 0);

        // when
        var boxes = FcosDecoder.Decode(output, [frame], classes, 0.3, 0.5, 20)[0];

        // then: class 1 keeps its best box only (the neighbour overlaps it), class 2's box on the same place survives (class-aware NMS)
        Assert.Equal(2, boxes.Count);
        Assert.Equal(1, boxes[0].Class);
        Assert.Equal(2, boxes[1].Class);
        Assert.True(boxes[0].Score > boxes[1].Score);
        Assert.Equal(boxes[0].X1, boxes[1].X1, 9);
    }

    [Fact]
    public void Should_AssignCentralLocations_When_BoxIsLargeAndNearestLocation_When_BoxIsTiny()
    {
        // given: a 24x24 box centred at (28, 28) and a 3x3 box at (50, 10) on a 64-px square (stride 8: centres 4, 12, ..., 60)
        var boxes = new IReadOnlyList<PixelBox>[] { [new PixelBox(16, 16, 40, 40, 0), new PixelBox(49, 9, 52, 12, 0)] };

        // when
        var t = FcosAssigner.Build(boxes, 64, 1, 1.5);

        // then: centre sampling keeps locations within 12 px of (28, 28): centres 20, 28, 36 → 3x3 = 9; the tiny box gets 1
        Assert.Equal(10, t.Positive.Length);
        int g = 8;
        int centre = 3 * g + 3; // location (28, 28)
        Assert.Contains((long)centre, t.Positive);
        Assert.Equal(1.0f, t.Centerness[centre], 4); // equidistant to all sides
        Assert.Equal(12f / 8, t.Box[centre], 4);     // left distance 28 - 16 = 12 px = 1.5 strides
        Assert.Contains((long)(1 * g + 6), t.Positive); // (52, 12) is the location nearest (50.5, 10.5)
    }

    [Fact]
    public void Should_FindTheSameBoxes_When_ValidationRunsInSmallerBatches()
    {
        // given: the detector after a few steps (batch norm statistics no longer at their start), and six 64-px images
        random.manual_seed(3);
        using var model = ModelRegistry.Create(new ModelSpec("fcos_lite", 8, 1), 1, 1);
        using var opt = optim.AdamW(model.parameters(), 1e-2);
        var targets = FcosAssigner.Build([.. Enumerable.Range(0, 4).Select(i => (IReadOnlyList<PixelBox>)[new PixelBox(8 + i, 10, 30 + i, 36, 0)])], 64, 1, 1.5);
        for (int step = 0; step < 3; step++)
        {
            using var s = NewDisposeScope();
            opt.zero_grad();
            FcosLoss.Compute(model.forward(randn(4, 1, 64, 64)), targets, 1, 0.25, 2).backward();
            opt.step();
        }
        using var x = randn(6, 1, 64, 64);
        var frames = Enumerable.Range(0, 6).Select(_ => new LetterboxFrame(64, 64, 64, 1, 0, 0)).ToArray();
        var det = new DetectionRecipe { MinScore = 0.0 };

        // when: the validation pass runs in batches of 2, of 6, and of the size the rule picks
        var small = DetectionTrainer.Predict(model, x, frames, det, CPU, null, batchSize: 2).Detections;
        var whole = DetectionTrainer.Predict(model, x, frames, det, CPU, null, batchSize: 6).Detections;
        var chosen = DetectionTrainer.Predict(model, x, frames, det, CPU, null).Detections;

        // then: evaluation mode makes every image's boxes independent of its batch
        for (int i = 0; i < 6; i++)
            foreach (var other in new[] { whole[i], chosen[i] })
            {
                Assert.NotEmpty(small[i]);
                Assert.Equal(small[i][0].Score, other[0].Score, 4);
                Assert.Equal(small[i][0].X1, other[0].X1, 3);
                Assert.Equal(small[i][0].Y2, other[0].Y2, 3);
            }
        // and the rule keeps a batch's pixels bounded: 16 images at 224 px, 8 at 320, 4 at 448
        Assert.Equal(16, DetectionTrainer.InferenceBatch(224));
        Assert.Equal(8, DetectionTrainer.InferenceBatch(320));
        Assert.Equal(4, DetectionTrainer.InferenceBatch(448));
        Assert.Equal(32, DetectionTrainer.InferenceBatch(64));
    }

    [Fact]
    public void Should_MirrorBoxes_When_ImageIsFlipped()
    {
        // given: flip always, no scale or brightness
        var x = zeros(1, 1, 64, 64);
        var boxes = new IReadOnlyList<PixelBox>[] { [new PixelBox(4, 10, 20, 30, 0)] };

        // when
        var (_, moved) = DetectionTrainer.Augment(x, boxes, new AugmentationSpec(HorizontalFlip: 1.0, Brightness: 0), new DetectionRecipe(), 64, new Random(1));

        // then
        var b = Assert.Single(moved[0]);
        Assert.Equal(44, b.X1, 9); Assert.Equal(60, b.X2, 9); Assert.Equal(10, b.Y1, 9); Assert.Equal(30, b.Y2, 9);
    }

    [Fact]
    public void Should_KeepTheBestBoxOnly_When_NoTeacherBoxPassesThePseudoThreshold()
    {
        // given
        var predicted = new List<BoundingBox> { new(0, 0, 0.1, 0.1, 0, 0.2), new(0.5, 0.5, 0.6, 0.6, 0, 0.1) };

        // when
        var strict = DetectionTrainer.PseudoBoxes(predicted, 0.35, 2);
        var loose = DetectionTrainer.PseudoBoxes(predicted, 0.1, 2);
        var none = DetectionTrainer.PseudoBoxes(predicted, 0.9, 2);

        // then
        Assert.DoesNotContain(strict, b => b.X1 == 0.5);
        Assert.Single(strict);                 // 0.2 ≥ 0.35 / 2: the single best box stands in
        Assert.Equal(2, loose.Count);
        Assert.Empty(none);
    }

    [Fact]
    public void Should_LearnToFindBrightRectangles_When_TrainedBrieflyWithMixedSupervision()
    {
        // given: 160 synthetic 64-px images, 60% positive, only 40% of positives boxed; teacher–student on
        var (recipe, trainSet, valSet) = MixedSupervisionTask(maxEpochs: 16, teacherFraction: 0.5, rounds: 1);
        using var dir = new TempRunDir();
        var paths = new TrialPaths(dir.Path);
        var lines = new List<string>();

        // when: 16 epochs (8 teacher, 8 student), with a generous clock so the epoch count decides on a busy machine
        var outcome = new DetectionTrainer(lines.Add).Train(recipe, trainSet, valSet,
            (truth, pred, at) => DetectionObjective.Score(DetectionMetricNames.Map50, truth, pred, at: at), DateTime.UtcNow.AddSeconds(240), paths);

        // then: the teacher (good enough on validation) pseudo-labelled some image-level positives and the detector learnt the
        // rectangles: at the kept epoch, mAP@50 over all 40 validation images well above an untrained detector's (about 0.05 in
        // the first epochs). Not the judged half's number: on 20 images it swings between epochs (0.02–0.54 in one CI run).
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.True(outcome.PseudoLabelled > 0, string.Join("\n", lines));
        Assert.Contains(lines, l => l.Contains("(student)", StringComparison.Ordinal));
        var whole = outcome.Metrics.Judging!.WholeValidation!;
        Assert.True(whole.Auc > 0.3, $"whole-validation mAP@50 {whole.Auc:F3} at the kept epoch\n{string.Join("\n", lines)}");
        Assert.True(outcome.Metrics.Judging.Selection!.Auc > 0.4, $"selection-half mAP@50 {outcome.Metrics.Judging.Selection.Auc:F3}\n{string.Join("\n", lines)}");
        Assert.True(File.Exists(paths.Model));
    }

    [Fact]
    public void Should_RelabelWithTheFirstStudent_When_TwoTeacherStudentRoundsAreAsked()
    {
        // given: the mixed-supervision task above with pseudo_label_rounds = 2 (teacher, student 1 = teacher 2, student 2)
        var (recipe, trainSet, valSet) = MixedSupervisionTask(maxEpochs: 18, teacherFraction: 0.34, rounds: 2);
        using var dir = new TempRunDir();
        var paths = new TrialPaths(dir.Path);
        var lines = new List<string>();

        // when: 18 epochs with a generous clock, so the epoch count splits the phases
        var outcome = new DetectionTrainer(lines.Add).Train(recipe, trainSet, valSet,
            (truth, pred, at) => DetectionObjective.Score(DetectionMetricNames.Map50, truth, pred, at: at), DateTime.UtcNow.AddSeconds(300), paths);

        // then: two rounds are recorded; the second teacher is the first student, and both students' validation results are kept
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        var rounds = Json.Read<List<PseudoLabelRound>>(Path.Combine(paths.Root, PseudoLabelRound.File));
        Assert.True(rounds.Count == 2, string.Join("\n", lines));
        Assert.Equal([1, 2], rounds.Select(r => r.Round));
        Assert.Equal("student of round 1 as the next teacher", rounds[1].Reason);
        Assert.All(rounds, r => Assert.NotNull(r.StudentValObjective));
        Assert.Contains(lines, l => l.StartsWith("round 2: teacher", StringComparison.Ordinal) || l.Contains("] round 2: teacher", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_SkipPseudoLabels_When_TheTeacherCannotFindFindings()
    {
        // given: a teacher bar no briefly trained detector reaches
        var ds = SyntheticDetection.Generate(60, 64, seed: 6, positiveShare: 0.6, boxedShare: 0.3);
        var val = SyntheticDetection.Generate(20, 64, seed: 7, positiveShare: 0.6);
        var recipe = new Recipe
        {
            Input = new InputSpec(64, 1), Model = new ModelSpec("fcos_lite", 8, 1), BatchSize = 8, MaxEpochs = 4, Seed = 5,
            Detection = new DetectionRecipe { MixedSupervision = "teacher_student", MinTeacherMap50 = 1.01 },
        };
        using var dir = new TempRunDir();
        NativeRuntime.Initialize(0, recipe.Seed);
        var lines = new List<string>();

        // when
        var outcome = new DetectionTrainer(lines.Add).Train(recipe, DetectionSet.Load(ds, ds.Items, recipe.Input), DetectionSet.Load(val, val.Items, recipe.Input),
            (truth, pred, at) => DetectionObjective.Score(DetectionMetricNames.Map50, truth, pred, at: at), DateTime.UtcNow.AddSeconds(6), new TrialPaths(dir.Path));

        // then
        Assert.Equal(0, outcome.PseudoLabelled);
        Assert.Contains(lines, l => l.Contains("too weak to pseudo-label", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_TrainOnlyTheUnfrozenStages_When_PretrainedDetectorHasItsFirstStageFrozen()
    {
        // given: the registered pretrained detector (pyramid 32) with the stem and stage 1 frozen, a batch of two 64-px grey images
        random.manual_seed(3);
        Assert.Contains("fcos_resnet18", ModelRegistry.DetectorNames);
        using var model = (FcosResNet18)ModelRegistry.Create(new ModelSpec("fcos_resnet18", 32, 1), 1, 1);
        model.Freeze(1);
        model.train();
        using var scope = NewDisposeScope();
        var targets = FcosAssigner.Build([[new PixelBox(10, 12, 30, 40, 0)], []], 64, 1, 1.5);

        // when
        var output = model.forward(randn(2, 1, 64, 64));
        var loss = FcosLoss.Compute(output, targets, 1, 0.25, 2);
        loss.backward();

        // then: FcosLite's output contract; frozen stages get no gradient and keep batch norm in evaluation mode; the rest all train
        Assert.Equal(new long[] { 2, 6, 8, 8 }, output.shape);
        Assert.True(float.IsFinite(loss.item<float>()));
        var frozen = model.Backbone.FreezeUnit(0).SelectMany(m => m.parameters()).ToList();
        Assert.NotEmpty(frozen);
        Assert.All(frozen, p => Assert.Null(p.grad));
        Assert.All(model.Backbone.FreezeUnit(0), m => Assert.False(m.training));
        var groups = model.TrainableGroups();
        Assert.Equal(4, groups.Count); // stages 2–4, then pyramid and head
        Assert.All(groups.SelectMany(g => g), p => Assert.NotNull(p.grad));
        Assert.Equal(model.parameters().Count(), frozen.Count + groups.Sum(g => g.Count));
    }

    [Fact]
    public void Should_StartFromThePackageWeightsAndLearnToFindRectangles_When_TheDetectorIsPretrained()
    {
        if (!File.Exists(PretrainedWeights.OnnxPath())) return; // the weights come with the NuGet restore; PretrainedTests reports their absence
        // given: 120 synthetic 64-px grey images (60% positive, every positive boxed), 40 for validation, the pretrained detector with stage 1 frozen
        var ds = SyntheticDetection.Generate(120, 64, seed: 8, positiveShare: 0.6);
        var val = SyntheticDetection.Generate(40, 64, seed: 9, positiveShare: 0.6);
        var recipe = new Recipe
        {
            Input = new InputSpec(64, 1), Model = new ModelSpec("fcos_resnet18", 32, 1), BatchSize = 8, MaxEpochs = 10, Seed = 5,
            Optimizer = new OptimizerSpec(LearningRate: 1e-3, GradClip: 10),
            Augmentation = new AugmentationSpec(HorizontalFlip: 0.5, Brightness: 0.1),
            FineTune = new FineTuneSpec("partial", FrozenStages: 1, BackboneLrScale: 0.1, LayerDecay: 1.0, Views: 1),
            Detection = new DetectionRecipe(),
        };
        NativeRuntime.Initialize(0, recipe.Seed);
        using var dir = new TempRunDir();
        var paths = new TrialPaths(dir.Path);
        var lines = new List<string>();

        // when: ten epochs with a generous clock, so the epoch count decides on a busy machine
        var outcome = new DetectionTrainer(lines.Add).Train(recipe, DetectionSet.Load(ds, ds.Items, recipe.Input), DetectionSet.Load(val, val.Items, recipe.Input),
            (truth, pred, at) => DetectionObjective.Score(DetectionMetricNames.Map50, truth, pred, at: at), DateTime.UtcNow.AddSeconds(300), paths);

        // then: the weights came from the package, the input is scaled as they expect, and the detector finds the rectangles
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.StartsWith("pretrained ResNet-18", outcome.Metrics.Initialization, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("stem and stage 1 frozen", StringComparison.Ordinal));
        var pre = Json.Read<Preprocessing>(Path.Combine(paths.Root, "preprocessing.json"));
        Assert.Contains("ResNet-18", pre.Scheme, StringComparison.Ordinal);
        Assert.Equal(1f / 255f, pre.Std[0], 6);
        // (learning judged over all 40 validation images at the kept epoch, as in the mixed-supervision test above)
        Assert.True(outcome.Metrics.Judging!.WholeValidation!.Auc > 0.3, $"whole-validation mAP@50 {outcome.Metrics.Judging.WholeValidation.Auc:F3}\n{string.Join("\n", lines)}");
        Assert.True(outcome.Metrics.Judging.Selection!.Auc > 0.4, $"selection-half mAP@50 {outcome.Metrics.Judging.Selection.Auc:F3}\n{string.Join("\n", lines)}");
    }

    /// <summary>160 synthetic 64-px images (60% positive, 40% of positives boxed; 120 for training) and 40 fully boxed validation images, with a teacher–student recipe.</summary>
    private static (Recipe Recipe, DetectionSet Train, DetectionSet Val) MixedSupervisionTask(int maxEpochs, double teacherFraction, int rounds)
    {
        var ds = SyntheticDetection.Generate(160, 64, seed: 3, positiveShare: 0.6, boxedShare: 0.4);
        var val = SyntheticDetection.Generate(40, 64, seed: 4, positiveShare: 0.6);
        var recipe = new Recipe
        {
            Input = new InputSpec(64, 1), Model = new ModelSpec("fcos_lite", 8, 1), BatchSize = 8, MaxEpochs = maxEpochs, Seed = 5,
            Optimizer = new OptimizerSpec(LearningRate: 1e-2, GradClip: 10),
            Augmentation = new AugmentationSpec(HorizontalFlip: 0.5, Brightness: 0.1),
            Detection = new DetectionRecipe { MixedSupervision = "teacher_student", TeacherFraction = teacherFraction, PseudoThreshold = 0.3, PseudoLabelRounds = rounds },
        };
        NativeRuntime.Initialize(0, recipe.Seed);
        return (recipe, DetectionSet.Load(ds, ds.Items.Take(120).ToList(), recipe.Input), DetectionSet.Load(val, val.Items, recipe.Input));
    }

    private sealed class TempRunDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("clinforge-det-").FullName;
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }
}
