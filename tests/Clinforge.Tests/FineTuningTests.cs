using Clinforge.Core;
using Clinforge.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Clinforge.Tests;

/// <summary>The fine-tuning strategies of the pretrained ResNet-18 through the one training loop.</summary>
[Collection(InProcessTraining.Name)]
public sealed class FineTuningTests(ITestOutputHelper output)
{
    private const int Size = 64;

    /// <summary>Colour noise; class 1 has a bright red disc somewhere near the centre.</summary>
    private static ImageSet Discs(int n, int seed)
    {
        var rng = new Random(seed);
        int plane = Size * Size;
        var px = new float[n * 3 * plane];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            int cx = 32 + rng.Next(-8, 9), cy = 32 + rng.Next(-8, 9);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < plane; p++)
                {
                    int y = p / Size, x = p % Size;
                    bool disc = labels[i] == 1 && (x - cx) * (x - cx) + (y - cy) * (y - cy) < 100;
                    px[(i * 3 + c) * plane + p] = (float)(rng.NextDouble() * 0.4 + (disc && c == 0 ? 0.6 : 0.2));
                }
        }
        return ImageSet.FromUnitFloats(px, labels, 3, Size, Enumerable.Range(0, n).Select(i => $"{seed}/{i}").ToArray());
    }

    private static ValidationMetrics Auc(int[] labels, double[][] probs)
    {
        var pos = labels.Select((l, i) => (l, p: probs[i][1])).Where(t => t.l == 1).Select(t => t.p).ToArray();
        var neg = labels.Select((l, i) => (l, p: probs[i][1])).Where(t => t.l == 0).Select(t => t.p).ToArray();
        double auc = pos.Sum(p => neg.Sum(q => p > q ? 1 : p == q ? 0.5 : 0)) / (pos.Length * (double)neg.Length);
        return new ValidationMetrics(auc, "auc", auc, double.NaN, double.NaN, double.NaN, double.NaN, 0.5);
    }

    public static TheoryData<string, bool, double> Strategies => new()
    {
        { "head_only", true, 0 },
        { "partial", false, 0.9 },
        { "full", false, 0 },
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Should_SaveAModelThatReproducesItsValidationOnImages_When_FineTuningWithEachStrategy(string strategy, bool tta, double ema)
    {
        // given the package's weights and a small colour task at 64 px
        if (!File.Exists(PretrainedWeights.OnnxPath())) { output.WriteLine($"skipped: {PretrainedWeights.OnnxPath()} is absent"); return; }
        using var tmp = new TempDir();
        var recipe = new Recipe
        {
            Input = new InputSpec(Size, 3), Model = new ModelSpec("resnet18_pretrained", 64, 1, 0.1), MaxEpochs = 2, BatchSize = 16,
            Optimizer = new OptimizerSpec(LearningRate: 1e-3, WarmupEpochs: strategy == "full" ? 1 : 0),
            FineTune = new FineTuneSpec(strategy, FrozenStages: 2, Views: 2), TestTimeAugmentation = tta, EmaDecay = ema,
        };
        Assert.Empty(RecipeSchema.Problems(recipe));
        var (train, val) = (Discs(24, 1), Discs(12, 2));
        var lines = new List<string>();
        var trainer = new Trainer(lines.Add) { CacheFolder = tmp.Combine("cache") };

        // when it trains (twice with frozen stages: the second time they come from the run's cache)
        var paths = new TrialPaths(tmp.Combine("t1"));
        Directory.CreateDirectory(paths.Root);
        var outcome = trainer.Train(recipe, train, val, ["plain", "disc"], Auc, DateTime.UtcNow.AddSeconds(90), paths);
        if (strategy != "full")
        {
            var again = new TrialPaths(tmp.Combine("t2"));
            Directory.CreateDirectory(again.Root);
            trainer.Train(recipe with { MaxEpochs = 1 }, train, val, ["plain", "disc"], Auc, DateTime.UtcNow.AddSeconds(90), again);
        }
        foreach (var l in lines) output.WriteLine(l);

        // then it started from the package's weights and said how it fine-tuned
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.StartsWith("pretrained ResNet-18", outcome.Metrics.Initialization);
        if (strategy != "full") Assert.Contains(lines, l => l.Contains("read from the cache", StringComparison.Ordinal));

        // and model.bin, loaded as the recipe's model, takes images and gives the validation probabilities it was chosen on
        var pre = Json.Read<Preprocessing>(Path.Combine(paths.Root, "preprocessing.json"));
        Assert.NotNull(pre.Scheme);
        using var model = TrialPlans.CreateModel(recipe, 3, 2);
        model.load(paths.Model);
        using var x = Trainer.ToTensor(val, pre);
        var probs = Trainer.Predict(model, x, null, tta, CPU).Probabilities;
        for (int i = 0; i < val.Count; i++) Assert.Equal(outcome.BestValProbabilities[i][1], probs[i][1], 1e-4);

        // and frozen stages kept the package's weights exactly
        using var reference = new PretrainedResNet(3, 2, 0);
        PretrainedWeights.TryLoad(reference.Backbone);
        var saved = ((PretrainedResNet)model).Backbone.state_dict()["layer1.0.conv1.weight"];
        bool unchanged = (saved - reference.Backbone.state_dict()["layer1.0.conv1.weight"]).abs().max().item<float>() == 0;
        Assert.Equal(strategy != "full", unchanged);
    }

    [Fact]
    public void Should_MoveTheDeadlineOnlyForFeaturesItComputes_When_GivenAPreparationAllowance()
    {
        // given the package's weights, a head-only recipe and an empty run cache
        if (!File.Exists(PretrainedWeights.OnnxPath())) { output.WriteLine($"skipped: {PretrainedWeights.OnnxPath()} is absent"); return; }
        using var tmp = new TempDir();
        var recipe = new Recipe
        {
            Input = new InputSpec(Size, 3), Model = new ModelSpec("resnet18_pretrained", 64, 1, 0), MaxEpochs = 2, BatchSize = 16,
            FineTune = new FineTuneSpec("head_only", FrozenStages: 3, Views: 2),
        };
        var (train, val) = (Discs(24, 1), Discs(12, 2));
        var lines = new List<string>();
        var granted = new List<TimeSpan>();
        var trainer = new Trainer(lines.Add) { CacheFolder = tmp.Combine("cache"), PreparationAllowance = TimeSpan.FromMinutes(5), Prepared = granted.Add };
        TrainingOutcome Train(Trainer t, string name)
        {
            var paths = new TrialPaths(tmp.Combine(name));
            Directory.CreateDirectory(paths.Root);
            return t.Train(recipe, train, val, ["plain", "disc"], Auc, DateTime.UtcNow.AddSeconds(60), paths);
        }

        // when it trains once (computing the features) and again (reading them)
        Train(trainer, "t1");
        var afterFirst = trainer.Granted;
        Train(trainer, "t2");
        foreach (var l in lines) output.WriteLine(l);

        // then only the first call moved its deadline, by the time it spent computing, and reported it
        Assert.True(afterFirst > TimeSpan.Zero);
        Assert.Equal(afterFirst, trainer.Granted);
        Assert.Equal([afterFirst], granted);
        Assert.Single(lines, l => l.StartsWith("one-time work for the run took", StringComparison.Ordinal));

        // and without an allowance, or past it, nothing more is granted than what is left
        var charged = new Trainer(_ => { }) { CacheFolder = tmp.Combine("other"), Prepared = granted.Add };
        Train(charged, "t3");
        Assert.Equal(TimeSpan.Zero, charged.Granted);
        var capped = new Trainer(_ => { }) { CacheFolder = tmp.Combine("third"), PreparationAllowance = TimeSpan.FromMilliseconds(1) };
        Train(capped, "t4");
        Assert.Equal(TimeSpan.FromMilliseconds(1), capped.Granted);
    }

    [Fact]
    public void Should_LeaveTheShallowerStageOutputsForALaterFineTuningTrial_When_AHeadOnlyTrialComputesItsFeatures()
    {
        // given the package's weights, a small task and a run's cache folder
        if (!File.Exists(PretrainedWeights.OnnxPath())) { output.WriteLine($"skipped: {PretrainedWeights.OnnxPath()} is absent"); return; }
        using var tmp = new TempDir();
        var set = Discs(10, 3);
        using var net = new PretrainedResNet(3, 2, 0);
        Assert.True(PretrainedWeights.TryLoad(net.Backbone).Loaded);
        using var images = new ImageBatches(set, Pretraining.Preprocessing(Size, 3, ["plain", "disc"]));
        var aug = new AugmentationSpec(HorizontalFlip: 0.5, CropPadding: 0.1);
        static string Key(int level) => $"test-level-{level}";
        var lines = new List<string>();

        // when the head-only trial computes pooled features (level 4) for two views
        using var pooled = FrozenCache.Compute(net, set.Count, images.Take, Size, 4, 2, aug, new Generator(7), tmp.Combine("cache"), Key, lines.Add, out double computedSeconds);

        // then the stage 1–3 outputs of both views are in the cache too, and a fine-tuning
        // trial frozen up to stage 3 reads them: bit-identical to computing them afresh
        Assert.Contains(lines, l => l.Contains("also cached the stage 1, 2, 3", StringComparison.Ordinal));
        lines.Clear();
        using var read = FrozenCache.Compute(net, set.Count, images.Take, Size, 3, 2, aug, new Generator(7), tmp.Combine("cache"), Key, lines.Add, out double readSeconds);
        Assert.Contains(lines, l => l.Contains("read from the cache", StringComparison.Ordinal));
        // (computing is what a trial is not charged for; reading the cache is not computing)
        Assert.True(computedSeconds > 0, computedSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, readSeconds);
        using var fresh = FrozenCache.Compute(net, set.Count, images.Take, Size, 3, 2, aug, new Generator(7), null, Key, _ => { }, out _);
        Assert.Equal(fresh.shape, read.shape);
        Assert.Equal(0f, (fresh - read).abs().max().item<float>());
        Assert.Equal(new long[] { 2 * set.Count, 512 }, pooled.shape);
    }
}
