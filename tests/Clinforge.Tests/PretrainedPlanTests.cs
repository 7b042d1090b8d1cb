using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

/// <summary>The initializer's choice of pretrained weights and the playbook's fine-tuning moves.</summary>
public sealed class PretrainedPlanTests
{
    private static TrialMetrics Plateau(int epochs = 20, int bestEpoch = 8)
    {
        // Training loss keeps falling, validation loss flat, best epoch in the middle: a plateau.
        var curve = Enumerable.Range(1, epochs).Select(e => new EpochLog(e, 1.0 / e, 0.5, e <= bestEpoch ? 0.5 + e / 100.0 : 0.5, 0.8, 1)).ToList();
        return new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Curve = curve, Epochs = epochs, BestEpoch = bestEpoch,
            Best = new ValidationMetrics(0.7, "auc", 0.8, 0.7, 0.7, 0.7, 0.7, 0.5, 0.05),
        };
    }

    private static (TrialRecord, Recipe, TrialMetrics?) Done(int n, string move, Recipe r, bool accepted, TrialMetrics m) =>
        (new TrialRecord(n, move, move, "why", null, TrialStatus.Succeeded, m.Best!.Objective, accepted, null, null, DateTimeOffset.UtcNow), r, m);

    [Fact]
    public void Should_StartFromPretrainedFeaturesWithItsEvidence_When_ImagesAreRealSize()
    {
        // given 500 training images of 512 px, and the same as 28 px thumbnails
        var big = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 512), 1);
        var small = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 28), 1);

        // then real-size images start from the pretrained backbone with a linear head at 224 px and three views,
        Assert.Equal("resnet18_pretrained", big.Model.Name);
        Assert.Equal(new FineTuneSpec("head_only", 3, 0.1, 0.5, 3), big.FineTune);
        Assert.Equal(224, big.Input.Size);
        Assert.Empty(RecipeSchema.Problems(big));
        // with the rule's evidence written beside it,
        Assert.Contains("AUC 0.95", big.Origins["model"]);
        Assert.Contains("Kornblith", big.Origins["fine_tune"]);
        // and thumbnails keep the small from-scratch network
        Assert.Equal("resnet", small.Model.Name);
        Assert.Null(small.FineTune);
    }

    [Fact]
    public void Should_FineTuneFirst_When_TheLinearHeadOverfits()
    {
        // given a pretrained head-only best whose validation loss rises while training loss falls (over-fitting)
        var spec = DevelopmentTests.Spec();
        var card = DevelopmentTests.Card(size: 512);
        var r0 = Initializer.Plan(spec, card, 1);
        var curve = Enumerable.Range(1, 20).Select(e => new EpochLog(e, 1.0 / e, e <= 5 ? 0.5 : 0.5 + 0.05 * (e - 5), 0.8, 0.8, 1)).ToList();
        var m = Plateau() with { Curve = curve, BestEpoch = 5 };
        Assert.Equal(CurveDiagnosis.Overfitting, PlaybookProposer.Diagnose(m));

        // then the first move still lets the backbone adapt, before any head-side regularisation
        var p1 = new PlaybookProposer().Propose(new DevelopmentState(spec, card, [Done(0, "initial", r0, true, m)], r0, m))!;
        Assert.Equal("head_only_to_fine_tune", p1.Move);
        Assert.Contains("Raghu", p1.Source);
    }

    [Fact]
    public void Should_FollowTheAskedStartingPointAndSaySo_When_StartIsForced()
    {
        // given real-size images and thumbnails, with the starting point forced each way
        var bigScratch = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 512), 1, "scratch");
        var smallPretrained = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 28), 1, "pretrained");

        // then real-size images train the small network from scratch, and the origins say it was asked for
        Assert.Equal("resnet", bigScratch.Model.Name);
        Assert.Null(bigScratch.FineTune);
        Assert.Contains("--start scratch", bigScratch.Origins["model"]);
        // and thumbnails start from the pretrained backbone, upsampled to 64 px, with a valid recipe
        Assert.Equal("resnet18_pretrained", smallPretrained.Model.Name);
        Assert.Equal(64, smallPretrained.Input.Size);
        Assert.Contains("--start pretrained", smallPretrained.Origins["model"]);
        Assert.Empty(RecipeSchema.Problems(smallPretrained));
        // and they fine-tune every stage after a warm-up (frozen ImageNet features do not carry to thumbnails),
        // while real-size images start from a linear probe
        Assert.Equal("full", smallPretrained.FineTune!.Strategy);
        Assert.True(smallPretrained.Optimizer.WarmupEpochs >= 1);
        Assert.True(smallPretrained.FineTune.BackboneLrScale < 1);
        Assert.Contains("full fine-tuning", smallPretrained.Origins["fine_tune"]);
        Assert.Equal("head_only", Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 512), 1, "pretrained").FineTune!.Strategy);
        // and "auto" is the rule, while an unknown starting point is refused by name
        Assert.Equal(Json.Serialize(Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 512), 1)), Json.Serialize(Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 512), 1, "auto")));
        var e = Assert.Throws<ClinforgeException>(() => Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(size: 512), 1, "imagenet"));
        Assert.Contains("'imagenet'", e.Message);
    }

    [Fact]
    public void Should_MoveFromHeadOnlyToUnfreezingStages_When_TheHeadHasSaturated()
    {
        // given a pretrained head-only best trial that plateaued
        var spec = DevelopmentTests.Spec();
        var card = DevelopmentTests.Card(size: 512);
        var r0 = Initializer.Plan(spec, card, 1);
        var m = Plateau();
        var p1 = new PlaybookProposer().Propose(new DevelopmentState(spec, card, [Done(0, "initial", r0, true, m)], r0, m))!;

        // then the first move lets the last stage train, with a warm-up, and says why and where it comes from
        Assert.Equal("head_only_to_fine_tune", p1.Move);
        Assert.Equal("partial", p1.Recipe.FineTune!.Strategy);
        Assert.Equal(3, p1.Recipe.FineTune.FrozenStages);
        Assert.Equal(1, p1.Recipe.Optimizer.WarmupEpochs);
        Assert.Contains("Yosinski", p1.Source);
        Assert.Empty(RecipeSchema.Problems(p1.Recipe));

        // and once that was kept, the next unfreezes one more stage
        var p2 = new PlaybookProposer().Propose(new DevelopmentState(spec, card,
            [Done(0, "initial", r0, true, m), Done(1, p1.Move, p1.Recipe, true, m with { Best = m.Best! with { Objective = 0.8 } })], p1.Recipe, m))!;
        Assert.Equal("unfreeze_stage", p2.Move);
        Assert.Equal(2, p2.Recipe.FineTune!.FrozenStages);

        // and no move proposes what a pretrained backbone cannot do (width, depth, SGD at a from-scratch rate)
        Assert.DoesNotContain(new[] { p1.Move, p2.Move }, mv => mv is "wider_network" or "deeper_network" or "sgd_momentum");
    }

    [Fact]
    public void Should_TrainAtBatch16_When_FineTuningReachesTheStemOrStage1AtRealSize()
    {
        // given a pretrained plan at 224 px on more than 1000 images (batch 64), partially fine-tuned with stages 1-2 frozen
        var spec = DevelopmentTests.Spec();
        var card = DevelopmentTests.Card(800, 800, size: 512);
        var plan = Initializer.Plan(spec, card, 1);
        Assert.Equal(64, plan.BatchSize);
        var two = plan with { FineTune = new FineTuneSpec("partial", FrozenStages: 2) };
        var m = Plateau();

        // when the playbook unfreezes stage 2, so that only the stem and stage 1 stay frozen
        var p = new PlaybookProposer().Propose(new DevelopmentState(spec, card, [Done(0, "initial", two, true, m)], two, m))!;

        // then the move also lowers the batch to 16, and the recipe's origins say why with the measurement
        Assert.Equal("unfreeze_stage", p.Move);
        Assert.Equal(1, p.Recipe.FineTune!.FrozenStages);
        Assert.Equal(16, p.Recipe.BatchSize);
        Assert.Contains("7.8 at 64", p.Recipe.Origins["batch_size"], StringComparison.Ordinal);
        Assert.Empty(RecipeSchema.Problems(p.Recipe));

        // and the rule leaves alone what it was not measured for: cached later stages, small inputs, from-scratch models, small batches
        Assert.Equal(64, ClassificationInitializer.WithEarlyStagesBatch(two).BatchSize);
        var full = plan with { FineTune = new FineTuneSpec("full") };
        Assert.Equal(16, ClassificationInitializer.WithEarlyStagesBatch(full).BatchSize);
        Assert.Equal(64, ClassificationInitializer.WithEarlyStagesBatch(full with { Input = full.Input with { Size = 128 } }).BatchSize);
        Assert.Equal(64, ClassificationInitializer.WithEarlyStagesBatch(full with { Model = new ModelSpec("resnet", 16, 1, 0) }).BatchSize);
        Assert.Equal(8, ClassificationInitializer.WithEarlyStagesBatch(full with { BatchSize = 8 }).BatchSize);
    }

    [Fact]
    public void Should_LowerTheBackboneLearningRateAndRaiseResolution_When_FineTuningPlateaus()
    {
        // given a partial fine-tuning best at 160 px on 512 px images whose other moves were tried
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(200, 200, size: 512);
        var r = Initializer.Plan(spec, card, 1) with { Input = new InputSpec(160, 3), FineTune = new FineTuneSpec("partial", FrozenStages: 1) };
        var m = Plateau();
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r, true, m) };
        var moves = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            var p = new PlaybookProposer().Propose(new DevelopmentState(spec, card, history, r, m));
            if (p is null) break;
            moves.Add(p.Move);
            Assert.Empty(RecipeSchema.Problems(p.Recipe));
            if (p.Move == "lower_backbone_lr") Assert.Equal(0.0333, p.Recipe.FineTune!.BackboneLrScale, 4);
            if (p.Move == "pretrained_higher_resolution") Assert.Equal(224, p.Recipe.Input.Size);
            history.Add(Done(i + 1, p.Move, p.Recipe, false, m));
        }

        // then both pretrained moves are among those proposed
        Assert.Contains("lower_backbone_lr", moves);
        Assert.Contains("pretrained_higher_resolution", moves);
    }
}
