using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Training;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class SmallDataTests
{
    // 200 images, 40 melanomas (label 0 = "melanoma", the spec's positive class), one per patient: the dermoscopy folder of the request.
    private static Splits Hold200()
    {
        var items = Enumerable.Range(0, 200).Select(i => new DataItem($"img{i:D3}.png", i < 40 ? 0 : 1)).ToList();
        var mel = items.Where(i => i.Label == 0).ToList();
        var nev = items.Where(i => i.Label == 1).ToList();
        // 6 melanomas in validation, as in the run the request comes from
        return new Splits([.. mel.Take(28), .. nev.Take(112)], [.. mel.Skip(28).Take(6), .. nev.Skip(112).Take(24)],
            [.. mel.Skip(34), .. nev.Skip(136)], "stratified_grouped", 17);
    }

    [Fact]
    public void Should_ChooseFiveStratifiedFoldsOverThePool_When_ValidationHoldsSixOfTheClassThatMatters()
    {
        // Given a 200-image folder with 6 melanomas in validation
        var splits = Hold200();

        // When the protocol is chosen from the data
        var (folded, protocol) = ProtocolRule.Choose(splits, ["melanoma", "nevus"], DevelopmentTests.Spec(), "auto", trialSeconds: 180);

        // Then it is 5-fold cross-validation, with the evidence in words
        Assert.True(protocol.UsesFolds);
        Assert.Equal(5, protocol.Folds);
        Assert.Equal(6, protocol.HoldOutCount);
        Assert.Equal(34, protocol.JudgedCount);
        Assert.True(protocol.HoldOutHalfWidth > 2 * protocol.JudgedHalfWidth);
        Assert.Contains("6 'melanoma'", protocol.Reason);
        // the folds partition the development pool exactly, each with 6–7 melanomas, and the test split is untouched
        var pool = splits.Pool().Select(i => i.Id).Order().ToList();
        Assert.Equal(pool, folded.Folds!.SelectMany(f => f).Order().ToList());
        var label = splits.Pool().ToDictionary(i => i.Id, i => i.Label);
        Assert.All(folded.Folds!, f => Assert.InRange(f.Count(id => label[id] == 0), 6, 7));
        Assert.Equal(splits.Test, folded.Test);
        Assert.Equal(folded.Folds![0].Order(), folded.Val.Select(i => i.Id).Order());
    }

    [Fact]
    public void Should_SayBeforeTrainingThatTheFloorCannotBePromised_When_TooFewPositivesSetTheThreshold()
    {
        // Given "at least 90% sensitivity for melanoma" on the 200-image folder
        var spec = DevelopmentTests.Spec() with
        {
            PrimaryMetric = Metrics.SpecificityAtSensitivity,
            OperatingPoint = new OperatingPoint("specificity", "sensitivity", 0.9),
        };

        // When the protocol is chosen: hold-out sets the threshold on 6 melanomas, folds on all 34
        var (_, holdout) = ProtocolRule.Choose(Hold200(), ["melanoma", "nevus"], spec, "holdout");
        var (_, folds) = ProtocolRule.Choose(Hold200(), ["melanoma", "nevus"], spec, "folds", trialSeconds: 180);

        // Then hold-out says the promise needs 25 melanomas (catching all n shows n / (n + 1.645²) ≥ 0.9 from n = 25), 19 more than it has
        Assert.Equal(25, Clinforge.Evaluation.ObjectiveEvaluator.PositivesToPromise(0.9));
        Assert.Contains("too few 'melanoma' images", holdout.FloorEvidence);
        Assert.Contains("at least 25 of them, all caught, and the validation split holds 6", holdout.FloorEvidence);
        Assert.Contains("19 more", holdout.FloorEvidence);
        // and folds, with 34, may miss none of them although the floor on these images alone would allow 3
        Assert.Equal(0, Clinforge.Evaluation.ObjectiveEvaluator.MissesAllowed(34, 0.9));
        Assert.Contains("barely enough", folds.FloorEvidence);
        Assert.Contains("may miss at most 0 of them (meeting the floor on these images alone would allow 3)", folds.FloorEvidence);
        // and with a few hundred melanomas, or without a sensitivity floor, nothing is said
        Assert.True(Clinforge.Evaluation.ObjectiveEvaluator.MissesAllowed(400, 0.9) >= 400 * 0.1 / 2);
        Assert.Null(ProtocolRule.FloorEvidence(spec, folds with { JudgedCount = 400 }));
        Assert.Null(ProtocolRule.Choose(Hold200(), ["melanoma", "nevus"], DevelopmentTests.Spec() with { OperatingPoint = null, PrimaryMetric = Metrics.Auc }, "folds", 180).Protocol.FloorEvidence);
    }

    [Fact]
    public void Should_KeepHoldOutAndSayWhy_When_ValidationIsLargeOrTrialsAreShortOrAConfounderIsNamed()
    {
        var many = Enumerable.Range(0, 1000).Select(i => new DataItem($"i{i}", i % 2)).ToList();
        var large = new Splits(many.Take(700).ToList(), many.Skip(700).Take(150).ToList(), many.Skip(850).ToList(), "stratified_grouped", 1);
        var spec = DevelopmentTests.Spec();
        var (_, big) = ProtocolRule.Choose(large, ["melanoma", "nevus"], spec);
        Assert.False(big.UsesFolds);
        Assert.Contains("enough to tell changes apart", big.Reason);

        var (_, shortTrials) = ProtocolRule.Choose(Hold200(), ["melanoma", "nevus"], spec, "auto", trialSeconds: 25);
        Assert.False(shortTrials.UsesFolds);
        Assert.Contains("--trial-minutes", shortTrials.Reason);

        var (_, confounded) = ProtocolRule.Choose(Hold200(), ["melanoma", "nevus"], spec with { Confounders = [new Confounder("ruler", "ignore rulers")] });
        Assert.False(confounded.UsesFolds);
        Assert.Throws<ClinforgeException>(() => ProtocolRule.Choose(Hold200(), ["melanoma", "nevus"], spec, "kfold"));
    }

    [Fact]
    public void Should_JudgeOnAFinerObjectiveAndSaySo_When_BothTrialsSitAtTheCeiling()
    {
        // Given two trials that both catch every positive at the floor (sensitivity 1.0), one separating them better
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        var ids = Enumerable.Range(0, 40).Select(i => $"x{i}").ToArray();
        var y = Enumerable.Range(0, 40).Select(i => i < 10 ? 0 : 1).ToArray(); // class 0 = melanoma
        double[][] Probs(double margin) => y.Select((l, i) => l == 0 ? new[] { 0.6 + margin + i * 0.001, 0.4 - margin - i * 0.001 } : new[] { 0.1 + i * 0.012, 0.9 - i * 0.012 }).ToArray();
        foreach (var (n, margin) in new[] { (0, -0.05), (1, 0.3) })
        {
            Directory.CreateDirectory(run.Trial(n).Root);
            PredictionTable.Write(run.Trial(n).ValPredictions, ids, y, Probs(margin), ["melanoma", "nevus"]);
        }
        var objective = Objective.From(DevelopmentTests.Spec());
        TrialMetrics M(double v) => new() { Status = TrialStatus.Succeeded, Best = new ValidationMetrics(v, "s", 1, 1, 1, 1, 1, 0.5) };

        // When the paired rule decides
        var decision = new PairedAcceptance(objective, run, 0, 17).Decide(1, 0, M(1.0), M(1.0), 1.0);

        // Then it names the saturation and the finer objective it judged on
        Assert.Equal("paired:saturated", decision.Rule);
        Assert.Contains("saturated", decision.Reason);
        Assert.Contains("partial AUC at specificity ≥ 0.80", decision.Reason);
        // the reverse comparison is not kept
        Assert.False(new PairedAcceptance(objective, run, 0, 17).Decide(0, 1, M(1.0), M(1.0), 1.0).Accepted);
    }

    [Fact]
    public void Should_TrainOneModelPerFoldAndScoreEveryImageOutOfFold_When_CrossValidating()
    {
        // Given 60 images in 3 folds
        using var tmp = new TempDir();
        var paths = new TrialPaths(tmp.Path);
        var pool = CentreSquares.Make(60, 4, noise: 0.5, signal: 0.4);
        using var pixels = pool.Pixels;
        var foldOf = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();
        var recipe = new Recipe { Input = new InputSpec(16, 1), Model = new ModelSpec("simple_cnn", 8, 1), MaxEpochs = 2, BatchSize = 16 };

        // When the plan trains
        var (outcome, trained) = CrossValidationPlan.Train(new Trainer(_ => { }), recipe, pool, foldOf, ["dark", "bright"],
            (l, p) => new ValidationMetrics(p.Count(x => x[1] > 0.5) / (double)p.Length, "share", 0, 0, 0, 0, 0, 0.5), DateTime.UtcNow.AddSeconds(60), paths, null, _ => { });

        // Then every image has an out-of-fold prediction, each fold has its folder, and model.bin averages the 3 fold models
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.Same(recipe, trained);
        Assert.Equal(60, outcome.BestValProbabilities.Length);
        Assert.All(outcome.BestValProbabilities, p => Assert.Equal(1.0, p.Sum(), 1e-5));
        Assert.Equal(3, outcome.Metrics.FoldObjectives!.Count);
        Assert.All(Enumerable.Range(0, 3), k => Assert.True(File.Exists(Path.Combine(paths.Fold(k).Root, "model.bin"))));
        var pre = Json.Read<Preprocessing>(Path.Combine(paths.Root, "preprocessing.json"));
        Assert.Equal(3, pre.FoldModels);
        using var model = TrialPlans.CreateModel(recipe, pre);
        model.load(paths.Model);
        Assert.IsType<SeedEnsemble>(model);

        // and a second call (a resumed trial) reads the finished folds back instead of training them again
        var lines = new List<string>();
        var (again, _) = CrossValidationPlan.Train(new Trainer(_ => { }), recipe, pool, foldOf, ["dark", "bright"],
            (l, p) => new ValidationMetrics(0.5, "share", 0, 0, 0, 0, 0, 0.5), DateTime.UtcNow.AddSeconds(60), paths, null, lines.Add);
        Assert.Equal(3, lines.Count(l => l.Contains("read back", StringComparison.Ordinal)));
        Assert.Equal(outcome.BestValProbabilities[7][1], again.BestValProbabilities[7][1], 1e-12);
    }
}
