using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

/// <summary>The detection initializer and playbook read the data card and the best trial, not flags.</summary>
public sealed class DetectionDevelopmentTests
{
    private static TaskSpec Spec() => new()
    {
        Request = "mark fractures so they are less likely to be missed",
        Task = TaskKind.Detection, Localize = true,
        Classes = ["fracture"], PositiveClass = "fracture",
        ErrorPreference = ErrorPreference.Sensitivity,
        PrimaryMetric = DetectionMetricNames.F2,
    };

    private static DataCard Card(int boxed, int imageLevel, int negatives = 2000) => new()
    {
        Format = "detection",
        Source = "/data",
        Classes = ["no finding", "finding"],
        TotalItems = boxed + imageLevel + negatives,
        Counts = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["train"] = new Dictionary<string, int> { ["no finding"] = negatives, ["finding"] = boxed + imageLevel },
        },
        ImageSizes = new SizeSummary(400, 512, 400, 512, 420, 512),
        Channels = 1,
        SplitMethod = "official",
        Detection = new DetectionSummary
        {
            LabelFormat = "polygon", SourceClasses = ["wrist positive"], Negatives = negatives,
            PositivesWithBoxes = boxed, PositivesImageLevelOnly = imageLevel, Boxes = boxed, MedianBoxSide = 0.1,
        },
    };

    private static (TrialRecord, Recipe, TrialMetrics?) Done(int n, string move, Recipe r, double recall, double precision) =>
        (new TrialRecord(n, move, move, "why", null, TrialStatus.Succeeded, 0.3, true, null, null, DateTimeOffset.UtcNow), r,
         new TrialMetrics { Status = TrialStatus.Succeeded, Best = new ValidationMetrics(0.3, DetectionMetricNames.F2, 0.2, 0.3, 0.3, recall, precision, 0.2), BestEpoch = 3,
             Curve = [new EpochLog(1, 2, 2, 0.1, 0.1, 1), new EpochLog(2, 1.5, 1.9, 0.2, 0.2, 1), new EpochLog(3, 1.2, 1.8, 0.3, 0.3, 1)] });

    [Fact]
    public void Should_TrainTheDataClassesApart_When_ClinicianAnswersKeepThemApart_And_OneClassOtherwise()
    {
        // given: data naming three body parts, and the spec's class handling: asked apart, merged, unanswered
        string[] parts = ["elbow positive", "wrist positive", "humerus"];
        var card = Card(boxed: 1200, imageLevel: 0) is var c ? c with { Detection = c.Detection! with { SourceClasses = parts } } : null!;

        // when
        var apart = Initializer.Plan(Spec() with { ClassHandling = TaskSpec.PerSourceClassRequested }, card, 17);
        var merged = Initializer.Plan(Spec() with { ClassHandling = "merged" }, card, 17);
        var unanswered = Initializer.Plan(Spec(), card, 17);
        var oneSourceClass = Initializer.Plan(Spec() with { ClassHandling = TaskSpec.PerSourceClassRequested }, Card(boxed: 1200, imageLevel: 0), 17);

        // then: kept apart, the recipe trains the source classes in the data's order, and says why; otherwise one class
        Assert.Equal(parts, apart.Detection!.Classes);
        Assert.Equal(3, apart.Detection.ClassCount);
        Assert.Contains("kept apart", apart.Origins["detection.classes"], StringComparison.Ordinal);
        Assert.Empty(RecipeSchema.Problems(apart));
        Assert.Empty(merged.Detection!.Classes);
        Assert.Equal(1, merged.Detection.ClassCount);
        Assert.Contains("merged", merged.Origins["detection.classes"], StringComparison.Ordinal);
        Assert.Empty(unanswered.Detection!.Classes);
        Assert.Empty(oneSourceClass.Detection!.Classes);
    }

    [Fact]
    public void Should_KeepTheAnsweredClasses_When_ALanguageModelProposesADifferentClassList()
    {
        // given: a per-class detection recipe as the best so far, and a recorded LLM answer that changes the
        // learning rate and (wrongly) the class list
        var card = Card(boxed: 1200, imageLevel: 0) is var c ? c with { Detection = c.Detection! with { SourceClasses = ["elbow positive", "wrist positive"] } } : null!;
        var spec = Spec() with { ClassHandling = TaskSpec.PerSourceClassRequested };
        var r0 = Initializer.Plan(spec, card, 17);
        var t0 = new TrialRecord(0, "initial", "recipe v0 from the initializer", "start", null, TrialStatus.Succeeded, 0.3, true, null, null, DateTimeOffset.UnixEpoch);
        var state = new DevelopmentState(spec, card, [(t0, r0, null)], r0, null);
        var answer = Json.Serialize(new
        {
            move = "lower_lr", change = "learning rate 4e-3 → 2e-3", reason = "noisy validation", source = "Bengio 2012",
            recipe = r0 with { Optimizer = r0.Optimizer with { LearningRate = 2e-3 }, Detection = r0.Detection! with { Classes = ["fracture"] } },
        });

        // when
        var p = new LlmProposer(new RecordedChatClient(() => answer), new PlaybookProposer()).Propose(state)!;

        // then: the learning-rate change is used, the clinician's classes stay
        Assert.Equal(2e-3, p.Recipe.Optimizer.LearningRate);
        Assert.Equal(["elbow positive", "wrist positive"], p.Recipe.Detection!.Classes);
    }

    [Fact]
    public void Should_ReadAnOldRecipeAsOneClass_When_ItHasNoClassList()
    {
        // given: a detection recipe as written before multi-class detection (no "classes" field)
        var json = Json.Serialize(Initializer.Plan(Spec(), Card(boxed: 1200, imageLevel: 0), 17));
        json = System.Text.RegularExpressions.Regex.Replace(json, @",?\s*""classes"": \[\]", "");
        Assert.DoesNotContain("\"classes\"", json, StringComparison.Ordinal);

        // when
        var recipe = Json.Deserialize<Recipe>(json, "old recipe.json");

        // then
        Assert.Empty(recipe.Detection!.Classes);
        Assert.Equal(1, recipe.Detection.ClassCount);
        Assert.False(recipe.Detection.MultiClass);
    }

    [Fact]
    public void Should_StartFromThePretrainedBackbone_When_RadiographsAreRealSize_And_FromScratch_When_Asked()
    {
        // given: 400×512 radiographs with boxes
        var card = Card(boxed: 1200, imageLevel: 0);

        // when: the rule decides, and the clinician forces scratch
        var auto = Initializer.Plan(Spec(), card, 17);
        var scratch = Initializer.Plan(Spec(), card, 17, start: "scratch");

        // then: the FCOS head on the pretrained ResNet-18 at 320 px with the first stage frozen, the reason written; scratch keeps fcos_lite
        Assert.Equal("fcos_resnet18", auto.Model.Name);
        Assert.Equal(DetectionInitializer.PretrainedSize, auto.Input.Size);
        Assert.Equal("partial", auto.FineTune!.Strategy);
        Assert.Equal(1, auto.FineTune.FrozenStages);
        Assert.Contains("pretrained ResNet-18", auto.Origins["model"], StringComparison.Ordinal);
        Assert.Empty(RecipeSchema.Problems(auto));
        Assert.Equal("fcos_lite", scratch.Model.Name);
        Assert.Null(scratch.FineTune);
        Assert.Contains("--start scratch", scratch.Origins["model"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_PlanTeacherStudent_When_FewPositivesHaveBoxes()
    {
        // given: 5% of positives boxed / all boxed
        // when
        var few = Initializer.Plan(Spec(), Card(boxed: 60, imageLevel: 1140), 17);
        var all = Initializer.Plan(Spec(), Card(boxed: 1200, imageLevel: 0), 17);

        // then
        Assert.Equal("fcos_resnet18", few.Model.Name);
        Assert.Equal("teacher_student", few.Detection!.MixedSupervision);
        Assert.Contains("5%", few.Origins["detection.mixed_supervision"], StringComparison.Ordinal);
        Assert.Equal("none", all.Detection!.MixedSupervision);
        Assert.Empty(RecipeSchema.Problems(few));
    }

    [Fact]
    public void Should_WidenCentreSampling_When_RecallIsLow_And_CurateNegatives_When_FalseMarksDominate()
    {
        // given: a fully boxed card and a best trial with low recall, then one with precision below recall
        var card = Card(1200, 0);
        var r0 = Initializer.Plan(Spec(), card, 17);

        // when
        var lowRecall = new PlaybookProposer().Propose(new DevelopmentState(Spec(), card, [Done(0, "initial", r0, 0.3, 0.5)], r0, Done(0, "initial", r0, 0.3, 0.5).Item3))!;
        var manyFalseMarks = new PlaybookProposer().Propose(new DevelopmentState(Spec(), card, [Done(0, "initial", r0, 0.8, 0.2)], r0, Done(0, "initial", r0, 0.8, 0.2).Item3))!;

        // then
        Assert.Equal("centre_sampling_radius", lowRecall.Move);
        Assert.Equal(2.5, lowRecall.Recipe.Detection!.CenterRadius);
        Assert.Equal("negatives_curation", manyFalseMarks.Move);
        Assert.Equal(2, manyFalseMarks.Recipe.Detection!.NegativesPerPositive);
        Assert.Contains("Tian et al. 2019", lowRecall.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_UnfreezeTheFirstStage_When_StillImproving_And_LowerTheBackboneRate_When_Overfitting_ForThePretrainedDetector()
    {
        // given: the pretrained detector's plan, a best trial still improving and one overfitting (validation loss turns up while training loss falls)
        var card = Card(1200, 0);
        var r0 = Initializer.Plan(Spec(), card, 17);
        var improving = Done(0, "initial", r0, 0.5, 0.5);
        var overfitting = improving with
        {
            Item3 = improving.Item3! with { Curve = [new EpochLog(1, 2, 2, 0.1, 0.1, 1), new EpochLog(2, 1.2, 1.5, 0.3, 0.3, 1), new EpochLog(3, 0.6, 1.9, 0.2, 0.2, 1)], BestEpoch = 2 },
        };

        // when: every move the playbook offers is walked, each recorded as tried and discarded
        static List<Proposal> Walk(TaskSpec spec, DataCard card, Recipe r0, (TrialRecord, Recipe, TrialMetrics?) best)
        {
            var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { best };
            var proposals = new List<Proposal>();
            while (proposals.Count < 30 && new PlaybookProposer().Propose(new DevelopmentState(spec, card, history, r0, best.Item3)) is { } p)
            {
                proposals.Add(p);
                history.Add((new TrialRecord(history.Count, p.Move, p.Change, p.Reason, p.Source, TrialStatus.Succeeded, 0.1, false, 0.3, null, DateTimeOffset.UtcNow), p.Recipe, null));
            }
            return proposals;
        }
        var fromImproving = Walk(Spec(), card, r0, improving);
        var fromOverfitting = Walk(Spec(), card, r0, overfitting);

        // then: unfreezing fine-tunes every stage; the backbone's rate falls by 3; both are valid recipes with a source; fcos_lite's widening is not offered
        var unfreeze = Assert.Single(fromImproving, p => p.Move == "unfreeze_first_stage");
        Assert.Equal("full", unfreeze.Recipe.FineTune!.Strategy);
        Assert.Empty(RecipeSchema.Problems(unfreeze.Recipe));
        Assert.Contains("Yosinski", unfreeze.Source, StringComparison.Ordinal);
        Assert.DoesNotContain(fromImproving, p => p.Move == "lower_backbone_lr");
        var lower = Assert.Single(fromOverfitting, p => p.Move == "lower_backbone_lr");
        Assert.Equal(0.1 / 3, lower.Recipe.FineTune!.BackboneLrScale, 6);
        Assert.Empty(RecipeSchema.Problems(lower.Recipe));
        Assert.DoesNotContain(fromImproving.Concat(fromOverfitting), p => p.Move == "wider_network");
    }

    [Fact]
    public void Should_ProposeMixedSupervision_When_ImageLevelPositivesAreUnused()
    {
        // given: a card with image-level positives and a best recipe that ignores them
        var card = Card(600, 600);
        var r0 = Initializer.Plan(Spec(), card, 17);
        r0 = r0 with { Detection = r0.Detection! with { MixedSupervision = "none" } };

        // when
        var p = new PlaybookProposer().Propose(new DevelopmentState(Spec(), card, [Done(0, "initial", r0, 0.5, 0.5)], r0, Done(0, "initial", r0, 0.5, 0.5).Item3))!;

        // then
        Assert.Equal("mixed_supervision", p.Move);
        Assert.Equal("teacher_student", p.Recipe.Detection!.MixedSupervision);
    }

    [Fact]
    public void Should_ProposeSecondPseudoLabelRound_When_TheFirstStudentBeatItsTeacher_Only()
    {
        // given: a teacher–student best trial whose first student beat its teacher, one whose student did not, and one whose teacher was too weak
        var card = Card(60, 1140);
        var r0 = Initializer.Plan(Spec(), card, 17);
        var history = new[] { Done(0, "initial", r0, 0.7, 0.7) };
        var teacher = new PseudoLabelRound(1, 4, 0.30, 0.25, 1140, 800, true, "teacher trained on the boxed images");
        DevelopmentState State(PseudoLabelRound round) => new(Spec(), card, history, r0, history[0].Item3) { BestPseudoLabelRounds = [round] };

        // when
        var better = new PlaybookProposer().Propose(State(teacher with { StudentValObjective = 0.36 }));
        var worse = DetectionPlaybook.SecondRound(r0.Detection, [teacher with { StudentValObjective = 0.28 }]);
        var weak = DetectionPlaybook.SecondRound(r0.Detection, [teacher with { Used = false, PseudoLabelled = 0, Reason = "teacher validation mAP@50 0.01 below the guard 0.05", StudentValObjective = 0.4 }]);
        var none = DetectionPlaybook.SecondRound(r0.Detection! with { MixedSupervision = "none" }, null);

        // then: only the student that beat its teacher becomes the next teacher, and the reason says so
        Assert.NotNull(better);
        Assert.Equal("second_pseudo_label_round", better!.Move);
        Assert.Equal(2, better.Recipe.Detection!.PseudoLabelRounds);
        Assert.Contains("beat its teacher", better.Reason, StringComparison.Ordinal);
        Assert.Contains("Noisy Student", better.Source, StringComparison.Ordinal);
        Assert.Empty(RecipeSchema.Problems(better.Recipe));
        Assert.False(worse.Propose);
        Assert.Contains("did not beat", worse.Reason, StringComparison.Ordinal);
        Assert.False(weak.Propose);
        Assert.Contains("too weak", weak.Reason, StringComparison.Ordinal);
        Assert.False(none.Propose);
    }
}

/// <summary>The detection acceptance rule: an improvement on validation must stand out from validation resampling noise.</summary>
public sealed class DetectionAcceptanceTests
{
    private const int Images = 100;

    private static BoundingBox Finding(int i) => new(0.1 + 0.005 * (i % 10), 0.2, 0.3 + 0.005 * (i % 10), 0.4);

    /// <summary>Validation truth: every image has one finding.</summary>
    private static Dictionary<string, DetectionLabel> Truth() =>
        Enumerable.Range(0, Images).ToDictionary(i => $"v{i}", i => DetectionLabel.WithBoxes([Finding(i)]));

    /// <summary>A trial folder whose validation detections hit the finding on the images in <paramref name="found"/> and nothing elsewhere.</summary>
    private static TrialMetrics WriteTrial(RunPaths run, int number, IReadOnlySet<int> found)
    {
        var paths = run.Trial(number);
        Directory.CreateDirectory(paths.Root);
        Json.Write(Path.Combine(paths.Root, ImageBoxes.ValidationFile),
            Enumerable.Range(0, Images).Select(i => new ImageBoxes($"v{i}", found.Contains(i) ? [Finding(i) with { Score = 0.9 }] : [])).ToList());
        double f2 = 5.0 * found.Count / (5.0 * found.Count + 4.0 * (Images - found.Count));
        var metrics = new TrialMetrics { Status = TrialStatus.Succeeded, Best = new ValidationMetrics(f2, DetectionMetricNames.F2, 0, 0, f2, found.Count / (double)Images, 1, 0.5) };
        Json.Write(paths.Metrics, metrics);
        return metrics;
    }

    private static readonly Objective F2 = new(DetectionMetricNames.F2, null, null);

    /// <summary>Trial 0 (the best) finds <paramref name="best"/>, trial 1 <paramref name="candidate"/>; the rule decides on trial 1 (after <paramref name="tamper"/>).</summary>
    private static AcceptanceDecision Decide(IEnumerable<int> best, IEnumerable<int> candidate, Action<RunPaths>? tamper = null)
    {
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Combine("run"));
        var b = WriteTrial(run, 0, best.ToHashSet());
        var c = WriteTrial(run, 1, candidate.ToHashSet());
        tamper?.Invoke(run);
        return new DetectionAcceptance(F2, run, Truth(), seed: 5).Decide(1, 0, c, b, b.Best!.Objective);
    }

    [Fact]
    public void Should_KeepTheChange_When_ItFindsClearlyMoreFindingsOnValidation()
    {
        // given: the best trial finds 20 of 100 validation findings, the candidate 60 (including those 20)
        // when
        var decision = Decide(Enumerable.Range(0, 20), Enumerable.Range(0, 60));

        // then
        Assert.True(decision.Accepted, decision.Reason);
        Assert.Equal("detection:paired_bootstrap", decision.Rule);
        Assert.Contains("better in 100% of resamples", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_DiscardTheChange_When_ItsGainOnValidationIsWithinResamplingNoise()
    {
        // given: the best finds images 0–29; the candidate loses 10 of them and finds 11 others (31 in all):
        // its F2 is higher by 0.011 (150/430 → 155/431), above the objective's 0.002 margin, but on different images
        Assert.True(F2.Better(155.0 / 431, 150.0 / 430));

        // when
        var decision = Decide(Enumerable.Range(0, 30), Enumerable.Range(10, 31));

        // then: the objective rule alone would keep it; the paired bootstrap cannot tell it from noise
        Assert.False(decision.Accepted, decision.Reason);
        Assert.Equal("detection:paired_bootstrap", decision.Rule);
        Assert.Contains("under the 80% needed", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_FallBackToTheObjectiveRule_When_ATrialHasNoValidationDetections()
    {
        // given: the best trial's detections file is missing
        // when
        var decision = Decide(Enumerable.Range(0, 30), Enumerable.Range(10, 31), run => File.Delete(Path.Combine(run.Trial(0).Root, ImageBoxes.ValidationFile)));

        // then: kept by the objective, and the reason says the noise check could not run
        Assert.True(decision.Accepted);
        Assert.Equal("detection:objective_fallback", decision.Rule);
        Assert.Contains("could not be paired", decision.Reason, StringComparison.Ordinal);
    }
}
