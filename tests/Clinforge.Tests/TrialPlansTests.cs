using Clinforge.Core;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

/// <summary>Seed ensembles and successive halving inside a trial, on a tiny separable task.</summary>
[Collection(InProcessTraining.Name)]
public sealed class TrialPlansTests
{
    private static ImageSet Make(int n, int seed) => CentreSquares.Make(n, seed, noise: 0.5, signal: 0.3);

    private static ValidationMetrics Auc(int[] labels, double[][] probs)
    {
        // Rank-based AUC of the class-1 probability, so candidates rarely tie.
        var pos = labels.Select((l, i) => (l, p: probs[i][1])).Where(t => t.l == 1).Select(t => t.p).ToArray();
        var neg = labels.Select((l, i) => (l, p: probs[i][1])).Where(t => t.l == 0).Select(t => t.p).ToArray();
        double auc = pos.Sum(p => neg.Sum(q => p > q ? 1 : p == q ? 0.5 : 0)) / (pos.Length * (double)neg.Length);
        return new ValidationMetrics(auc, "auc", auc, double.NaN, double.NaN, double.NaN, double.NaN, 0.5);
    }

    private static Recipe Tiny() => new() { Input = new InputSpec(16, 1), Model = new ModelSpec("simple_cnn", 8, 1), MaxEpochs = 2, BatchSize = 16 };

    [Fact]
    public void Should_SaveOneModelThatAveragesItsMembers_When_TrainingASeedEnsemble()
    {
        // Given a recipe asking for two members with different seeds
        using var tmp = new TempDir();
        var paths = new TrialPaths(tmp.Path);
        var recipe = Tiny() with { EnsembleSize = 2 };
        var val = Make(24, 2);

        // When the trial plan trains it
        var (outcome, trained) = TrialPlans.Train(new Trainer(_ => { }), recipe, Make(64, 1), val, ["dark", "bright"], Auc,
            DateTime.UtcNow.AddSeconds(60), paths, null, _ => { });

        // Then both members trained (their own folders and objectives) and the recipe is unchanged
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.Same(recipe, trained);
        Assert.Equal(2, outcome.Metrics.MemberObjectives!.Count);
        var pre = Json.Read<Preprocessing>(Path.Combine(paths.Root, "preprocessing.json"));
        using var x = Trainer.ToTensor(val, pre);
        // and the trial keeps one model file: the members' own files were folded into it
        Assert.False(File.Exists(Path.Combine(paths.Root, "members", "0", "model.bin")));
        using var ensemble = TrialPlans.CreateModel(recipe, pre);
        ensemble.load(paths.Model);
        var members = Assert.IsType<SeedEnsemble>(ensemble).Members;
        var (a, b) = (Trainer.Predict(members[0], x, null, false, CPU).Probabilities, Trainer.Predict(members[1], x, null, false, CPU).Probabilities);
        Assert.NotEqual(a[0][1], b[0][1], 6); // different seeds give different members

        // and model.bin, loaded as the recipe's model, predicts the mean of the members' probabilities
        var p = Trainer.Predict(ensemble, x, null, false, CPU).Probabilities;
        for (int i = 0; i < val.Count; i++)
        {
            // float32 arithmetic in a different order: an absolute tolerance, not rounding to 5 places
            // (rounding fails whenever the two values straddle a rounding boundary)
            Assert.Equal((a[i][1] + b[i][1]) / 2, p[i][1], 1e-5);
            Assert.Equal(p[i][1], outcome.BestValProbabilities[i][1], 1e-5);
        }
    }

    [Fact]
    public void Should_PromoteTheBetterHalfAndKeepTheWinner_When_SearchingALearningRate()
    {
        // Given a search over three learning rates, one absurdly small
        using var tmp = new TempDir();
        var paths = new TrialPaths(tmp.Path);
        var recipe = Tiny() with { Search = new KnobSearch("learning_rate", [1e-6, 3e-3, 1e-2]) };

        // When the trial plan runs successive halving
        var (outcome, trained) = TrialPlans.Train(new Trainer(_ => { }), recipe, Make(64, 1), Make(24, 2), ["dark", "bright"], Auc,
            DateTime.UtcNow.AddSeconds(60), paths, null, _ => { });

        // Then rungs hold 3, 2 and 1 candidates
        var search = outcome.Metrics.Search!;
        var rungs = search.Candidates.GroupBy(c => c.Rung).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        Assert.Equal([3, 2, 1], rungs.Select(r => r.Count));
        // and each rung's survivors scored at least as well as every value it eliminated
        for (int k = 0; k + 1 < rungs.Count; k++)
        {
            var survivors = rungs[k + 1].Select(c => c.Value).ToHashSet();
            var kept = rungs[k].Where(c => survivors.Contains(c.Value)).Min(c => c.Objective ?? double.NegativeInfinity);
            var dropped = rungs[k].Where(c => !survivors.Contains(c.Value)).Max(c => c.Objective ?? double.NegativeInfinity);
            Assert.True(kept >= dropped, $"rung {k + 1}: kept {kept} < dropped {dropped}");
        }
        // and the trained recipe carries the winner with no search left, and the winner's model is the trial's
        Assert.Equal(rungs[^1][0].Value, search.Chosen);
        Assert.Equal(search.Chosen, trained.Optimizer.LearningRate);
        Assert.Null(trained.Search);
        Assert.True(File.Exists(paths.Model));
        Assert.Empty(RecipeSchema.Problems(trained));
    }

    [Fact]
    public void Should_RejectTheRecipe_When_ASearchNamesAnUnknownKnobOrOneValue()
    {
        // Given searches the schema must refuse / When checked / Then each problem is named
        Assert.Contains(RecipeSchema.Problems(Tiny() with { Search = new KnobSearch("dropout", [0.1, 0.2]) }), p => p.Contains("search.knob"));
        Assert.Contains(RecipeSchema.Problems(Tiny() with { Search = new KnobSearch("learning_rate", [0.1]) }), p => p.Contains("search.values"));
        Assert.Contains(RecipeSchema.Problems(Tiny() with { EnsembleSize = 20 }), p => p.Contains("ensemble_size"));
        Assert.Contains(RecipeSchema.Problems(Tiny() with { Loss = new LossSpec(Weights: [1, -1]) }), p => p.Contains("loss.weights"));
    }
}

/// <summary>The trial process body with a search or an ensemble, on real image files.</summary>
[Collection(InProcessTraining.Name)]
public sealed class TrialWorkerPlanTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_LeaveARecipeAndModelThatScoreNewImages_When_ATrialSearchesOrEnsembles(bool search)
    {
        // Given a run folder on synthetic lesion images and a trial recipe with a search or a 2-seed ensemble
        using var tmp = new TempDir();
        var data = Clinforge.Data.SyntheticLesions.Generate(tmp.Combine("data"), count: 60, seed: 4, positiveShare: 0.5, size: 16);
        var ds = Clinforge.Data.DatasetReader.Open(data);
        var splits = Clinforge.Data.Splitter.Split(ds, 1);
        var run = new RunPaths(tmp.Combine("run"));
        Directory.CreateDirectory(run.Root);
        Json.Write(run.DataCard, Clinforge.Data.Inspector.Inspect(ds, splits, 1));
        var basic = new Recipe { Input = new InputSpec(16, 3), Model = new ModelSpec("simple_cnn", 8, 1), MaxEpochs = 2, BatchSize = 16 };
        var recipe = search ? basic with { Search = new KnobSearch("learning_rate", [1e-3, 3e-3]) } : basic with { EnsembleSize = 2 };
        var trial = run.Trial(1);
        Directory.CreateDirectory(trial.Root);
        Json.Write(trial.Recipe, recipe);

        // When the trial process body runs
        var metrics = TrialWorker.Run(run, 1, splits.Train, splits.Val, (labels, probs) =>
        {
            double acc = labels.Select((l, i) => (probs[i][1] >= 0.5 ? 1 : 0) == l ? 1.0 : 0).Average();
            return new ValidationMetrics(acc, "accuracy", double.NaN, acc, acc, double.NaN, double.NaN, 0.5);
        }, DateTime.UtcNow.AddSeconds(60), 1, _ => { });

        // Then it succeeded, and recipe.json is what was trained (a search leaves its chosen value and the request beside it)
        Assert.Equal(TrialStatus.Succeeded, metrics.Status);
        var written = Json.Read<Recipe>(trial.Recipe);
        if (search)
        {
            Assert.Null(written.Search);
            Assert.Equal(metrics.Search!.Chosen, written.Optimizer.LearningRate);
            Assert.NotNull(Json.Read<Recipe>(Path.Combine(trial.Root, "recipe.requested.json")).Search);
        }
        else Assert.Equal(2, written.EnsembleSize);
        // and the saved model scores the validation images as the trial did (what the final evaluation and predict use)
        var probs = new TorchModelScorer(ds).Predict(trial, splits.Val);
        var saved = PredictionTable.Read(trial.ValPredictions);
        Assert.Equal(splits.Val.Count, probs.Length);
        for (int i = 0; i < probs.Length; i++) Assert.Equal(saved.Probabilities[i][1], probs[i][1], 1e-4);
    }
}
