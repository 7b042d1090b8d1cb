using Clinforge.Core;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class TrainingTests
{
    [Fact]
    public void Should_ForwardAndBackward_When_WalkingTheWholeModelAndLossRegistry()
    {
        // Given every registered model and loss
        random.manual_seed(1);
        foreach (var name in ModelRegistry.Names)
        foreach (var channels in new[] { 1, 3 })
        foreach (var loss in LossRegistry.Names)
        {
            using var scope = NewDisposeScope();
            using var model = ModelRegistry.Create(new ModelSpec(name, 8, 1, 0.1), channels, 3);
            var lossFn = LossRegistry.Create(new LossSpec(loss, LabelSmoothing: 0.1), [1f, 2f, 0.5f]);
            var x = randn(4, channels, 28, 28);
            var y = tensor(new long[] { 0, 1, 2, 1 });

            // When a batch goes forward and backward
            var logits = model.forward(x);
            var l = lossFn(logits, y);
            l.backward();

            // Then the output has one logit per class, the loss is finite and every parameter gets a gradient
            Assert.Equal(new long[] { 4, 3 }, logits.shape);
            Assert.True(float.IsFinite(l.item<float>()), $"{name}/{loss}");
            Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
        }
    }

    [Fact]
    public void Should_EqualCrossEntropy_When_FocalGammaIsZero()
    {
        // Given logits and targets
        random.manual_seed(2);
        using var logits = randn(16, 2);
        using var targets = randint(0, 2, [16]);
        // When focal loss with γ = 0 and cross-entropy are computed
        var focal = LossRegistry.Create(new LossSpec("focal", FocalGamma: 0), null)(logits, targets).item<float>();
        var ce = LossRegistry.Create(new LossSpec("cross_entropy"), null)(logits, targets).item<float>();
        // Then they agree (Lin et al. 2017: FL with γ=0 is CE)
        Assert.Equal(ce, focal, 1e-4f);
    }

    [Fact]
    public void Should_WeightTheRareClassMore_When_InverseFrequencyIsAsked()
    {
        // Given 90 vs 10 training images / When weights are computed
        var w = LossRegistry.ClassWeights("inverse_frequency", [90, 10])!;
        // Then the rare class weighs 9x the common one and the mean weight is 1
        Assert.Equal(9.0, w[1] / w[0], 3);
        Assert.Equal(1.0, w.Average(), 5);
        Assert.Null(LossRegistry.ClassWeights("none", [90, 10]));
        Assert.Throws<ClinforgeException>(() => LossRegistry.ClassWeights("magic", [1, 1]));
    }

    [Fact]
    public void Should_FlipEveryImage_When_FlipProbabilityIsOne()
    {
        // Given a batch and a certain horizontal flip
        using var x = arange(2 * 1 * 4 * 4, dtype: ScalarType.Float32).view(2, 1, 4, 4);
        var gen = new Generator(3);
        // When augmented
        using var y = Augmenter.Apply(x, new AugmentationSpec(HorizontalFlip: 1.0), gen);
        // Then it equals the flipped batch
        Assert.True(y.eq(x.flip(3)).all().item<bool>());
    }

    [Fact]
    public void Should_KeepShapeAndBeReproducible_When_AllAugmentationsAreOn()
    {
        // Given all augmentations and the same seed twice
        var spec = new AugmentationSpec(0.5, 0.5, 0.5, 0.1, 0.2);
        using var x = rand(8, 3, 16, 16, generator: new Generator(4));
        // When applied
        using var a = Augmenter.Apply(x, spec, new Generator(5));
        using var b = Augmenter.Apply(x, spec, new Generator(5));
        // Then shape is kept, results repeat for a seed, and something changed
        Assert.Equal(x.shape, a.shape);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(x).all().item<bool>());
    }

    [Fact]
    public void Should_RefuseClearly_When_RecipeNamesAnUnknownModel()
    {
        // Given a recipe naming a model that does not exist / When built / Then the message lists the known ones
        var e = Assert.Throws<ClinforgeException>(() => ModelRegistry.Create(new ModelSpec("transformer9000", 16, 1), 1, 2));
        Assert.Contains("resnet", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.99)]
    public void Should_LearnASeparableTask_When_TrainedBriefly(double emaDecay)
    {
        // Given a tiny task: bright centre = class 1, dark centre = class 0
        using var tmp = new TempDir();
        var paths = new TrialPaths(tmp.Path);
        ImageSet Make(int n, int seed) => CentreSquares.Make(n, seed, noise: 0.3, signal: 0.6);
        var recipe = new Recipe { Input = new InputSpec(16, 1), Model = new ModelSpec("resnet", 8, 1), MaxEpochs = 4, BatchSize = 16, EmaDecay = emaDecay };
        var trainer = new Trainer(_ => { });

        // When trained with a scorer that reports accuracy
        var outcome = trainer.Train(recipe, Make(96, 1), Make(32, 2), ["dark", "bright"],
            (labels, probs) =>
            {
                double acc = labels.Select((l, i) => (probs[i][1] >= 0.5 ? 1 : 0) == l ? 1.0 : 0).Average();
                return new ValidationMetrics(acc, "accuracy", double.NaN, acc, acc, double.NaN, double.NaN, 0.5);
            }, DateTime.UtcNow.AddSeconds(60), paths);

        // Then it learns the rule, saves the best checkpoint and logs a curve
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.True(outcome.Metrics.Best!.Objective >= 0.9, $"accuracy {outcome.Metrics.Best.Objective}");
        Assert.True(File.Exists(paths.Model));
        Assert.Equal(outcome.Metrics.Epochs, outcome.Metrics.Curve.Count);
        Assert.Equal(32, outcome.BestValProbabilities.Length);
        // and the saved checkpoint is the model that was validated (with EMA: the average, not the raw weights)
        var val = Make(32, 2);
        var pre = Json.Read<Preprocessing>(Path.Combine(paths.Root, "preprocessing.json"));
        using var saved = ModelRegistry.Create(recipe.Model, 1, 2);
        saved.load(paths.Model);
        using var xVal = Trainer.ToTensor(val, pre);
        var again = Trainer.Predict(saved, xVal, null, false, CPU).Probabilities;
        for (int i = 0; i < 32; i++) Assert.Equal(outcome.BestValProbabilities[i][1], again[i][1], 1e-5);
    }

    [Fact]
    public void Should_CutTheEpochAndStillSaveAValidatedModel_When_TheDeadlinePassesMidEpoch()
    {
        // Given a deadline that has already passed when training starts (a machine far busier than planned)
        using var tmp = new TempDir();
        var paths = new TrialPaths(tmp.Path);
        var logs = new List<string>();
        var recipe = new Recipe { Input = new InputSpec(16, 1), Model = new ModelSpec("simple_cnn", 4, 1), MaxEpochs = 50, BatchSize = 8 };
        ImageSet Make(int n, int seed) => CentreSquares.Make(n, seed, noise: 0.3, signal: 0.6);

        // When trained
        var outcome = new Trainer(logs.Add).Train(recipe, Make(96, 1), Make(16, 2), ["dark", "bright"],
            (labels, probs) => new ValidationMetrics(0.5, "auc", 0.5, double.NaN, double.NaN, double.NaN, double.NaN, 0.5),
            DateTime.UtcNow.AddSeconds(-1), paths);

        // Then one batch of the first epoch ran (not all 12), the model was validated and saved, and the log says why
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.Equal(1, outcome.Metrics.Epochs);
        Assert.Equal(8, outcome.Metrics.ImagesPerSecond * outcome.Metrics.TrainSeconds, 6);
        Assert.True(File.Exists(paths.Model));
        Assert.Contains(logs, l => l.Contains("epoch 1 cut at the deadline after 1/12 batches", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_MoveTheAverageTowardTheWeights_When_UpdatedWithAWarmedUpDecay()
    {
        // Given a model whose weights are all 0, averaged, then set to 1
        using var model = ModelRegistry.Create(new ModelSpec("simple_cnn", 4, 1), 1, 2);
        using (no_grad()) foreach (var p in model.parameters()) p.zero_();
        using var average = new WeightAverage(model, new ModelSpec("simple_cnn", 4, 1), 1, 2, 0.99, CPU);
        using (no_grad()) foreach (var p in model.parameters()) p.fill_(1);

        // When updated once: the warm-up decay is min(0.99, 2/11)
        Assert.Equal(2.0 / 11, average.CurrentDecay, 9);
        average.Update(model);

        // Then every averaged weight is 1 − 2/11, and the raw model is untouched
        Assert.All(average.Model.parameters(), p => Assert.Equal(9.0 / 11, p.mean().item<float>(), 5));
        Assert.All(model.parameters(), p => Assert.Equal(1.0, p.mean().item<float>(), 5));
        // and after many updates the decay reaches the configured one
        for (int i = 0; i < 2000; i++) average.Update(model);
        Assert.Equal(0.99, average.CurrentDecay, 9);
    }
}

public sealed class RecipeSchemaTests
{
    [Fact]
    public void Should_KnowExactlyTheRegisteredNames_When_ComparedWithTheTrainingRegistries()
    {
        // Given the schema used to validate recipes from outside the playbook / Then it names what Training can build
        Assert.Equal(Clinforge.Training.ModelRegistry.Names.Order(), RecipeSchema.Models.Order());
        Assert.Equal(Clinforge.Training.ModelRegistry.DetectorNames.Order(), RecipeSchema.DetectionModels.Order());
        Assert.Equal(Clinforge.Training.ModelRegistry.SegmenterNames.Order(), RecipeSchema.SegmentationModels.Order());
        Assert.Equal(Clinforge.Training.LossRegistry.Names.Order(), RecipeSchema.Losses.Order());
    }

    [Fact]
    public void Should_ListEveryProblem_When_ARecipeIsOutOfRange()
    {
        // Given a valid recipe and a broken copy
        var ok = Clinforge.Development.Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(), 1);
        var bad = ok with { Model = ok.Model with { Name = "vit_huge", Width = 10000 }, Optimizer = ok.Optimizer with { LearningRate = 5 } };
        // When checked / Then the valid one passes and each problem of the broken one is named
        Assert.Empty(RecipeSchema.Problems(ok));
        var problems = RecipeSchema.Problems(bad);
        Assert.Contains(problems, p => p.Contains("vit_huge"));
        Assert.Contains(problems, p => p.Contains("model.width"));
        Assert.Contains(problems, p => p.Contains("learning_rate"));
    }
}
