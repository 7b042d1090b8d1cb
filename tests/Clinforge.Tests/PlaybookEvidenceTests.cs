using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Evaluation;

namespace Clinforge.Tests;

/// <summary>The playbook's moves that read the confusion matrix, the learning curve's peak and a search's result.</summary>
public sealed class PlaybookEvidenceTests
{
    private static readonly string[] s_classes = ["bcc", "melanoma", "nevus"];

    private static TaskSpec ThreeClassSpec() => new()
    {
        Request = "classify the lesion type",
        Classes = s_classes,
        PrimaryMetric = Metrics.BalancedAccuracy,
    };

    private static DataCard ThreeClassCard() => DevelopmentTests.Card() with
    {
        Classes = s_classes,
        Counts = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["train"] = new Dictionary<string, int> { ["bcc"] = 100, ["melanoma"] = 100, ["nevus"] = 110 },
            ["val"] = new Dictionary<string, int> { ["bcc"] = 20, ["melanoma"] = 20, ["nevus"] = 20 },
        },
    };

    private static TrialMetrics TrialResult(int epochs, int bestEpoch, IReadOnlyList<IReadOnlyList<int>>? confusion = null, KnobSearchResult? search = null)
    {
        // A curve that rises then flattens with validation loss flat: a plateau, not over-fitting.
        var curve = Enumerable.Range(1, epochs).Select(e => new EpochLog(e, 1.0 / e, 0.5, e <= bestEpoch ? 0.5 + e / 100.0 : 0.5, 0.8, 1)).ToList();
        return new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Curve = curve, Epochs = epochs, BestEpoch = bestEpoch, Search = search,
            Best = new ValidationMetrics(0.7, "balanced accuracy", 0.85, 0.7, 0.7, double.NaN, double.NaN, double.NaN, 0.05) { Confusion = confusion },
        };
    }

    private static (TrialRecord, Recipe, TrialMetrics?) Done(int n, string move, Recipe r, bool accepted, TrialMetrics? m = null) =>
        (new TrialRecord(n, move, move, "why", null, TrialStatus.Succeeded, m?.Best?.Objective ?? 0.7, accepted, null, null, DateTimeOffset.UtcNow), r, m);

    [Fact]
    public void Should_ProposeWeightsFromTheConfusion_When_OneClassIsMissedMoreThanTheOthers()
    {
        // Given a 3-class best trial: bcc 18/20 right, melanoma 8/20 (10 taken for nevus), nevus 19/20
        var spec = ThreeClassSpec();
        var card = ThreeClassCard();
        var r0 = Initializer.Plan(spec, card, 1);
        int[][] confusion = [[18, 1, 1], [2, 8, 10], [0, 1, 19]];
        var m = TrialResult(6, 6, confusion);

        // When the playbook proposes
        var p = new PlaybookProposer().Propose(new DevelopmentState(spec, card, [Done(0, "initial", r0, true, m)], r0, m))!;

        // Then it weights classes by miss rate + 0.25, normalised to mean 1 (hand-computed: raw 0.35, 0.85, 0.30; mean 0.5)
        Assert.Equal("confusion_weights", p.Move);
        Assert.Equal(new[] { 0.70, 1.70, 0.60 }, p.Recipe.Loss.Weights);
        // and the reason names the missed class, its recall and the commonest confusion
        Assert.Contains("melanoma is recognised in only 40%", p.Reason);
        Assert.Contains("melanoma taken for nevus (10 images)", p.Reason);
        Assert.Contains("Elkan", p.Source);
    }

    [Fact]
    public void Should_NotProposeConfusionWeights_When_ClassesAreRecognisedEvenly()
    {
        // Given a 3-class best trial whose recalls differ by 0.1 only
        var spec = ThreeClassSpec();
        var card = ThreeClassCard();
        var r0 = Initializer.Plan(spec, card, 1);
        var m = TrialResult(6, 6, [[18, 1, 1], [2, 16, 2], [0, 1, 19]]);
        // When the playbook proposes / Then no confusion move
        var p = new PlaybookProposer().Propose(new DevelopmentState(spec, card, [Done(0, "initial", r0, true, m)], r0, m));
        Assert.NotEqual("confusion_weights", p?.Move);
    }

    [Fact]
    public void Should_ReportTheArgmaxConfusion_When_ScoringAMultiClassTask()
    {
        // Given three classes, two images each; one class-1 image is predicted as class 2
        int[] labels = [0, 0, 1, 1, 2, 2];
        double[][] probs = [[.8, .1, .1], [.6, .3, .1], [.1, .7, .2], [.1, .2, .7], [.2, .2, .6], [.1, .1, .8]];
        // When scored
        var m = ObjectiveEvaluator.Evaluate(new Objective(Metrics.BalancedAccuracy, null, null), labels, probs, -1);
        // Then the confusion has rows by truth and columns by prediction
        Assert.NotNull(m.Confusion);
        Assert.Equal([2, 0, 0], m.Confusion![0]);
        Assert.Equal([0, 1, 1], m.Confusion[1]);
        Assert.Equal([0, 0, 2], m.Confusion[2]);
    }

    [Fact]
    public void Should_ProposeASeedEnsemble_When_TheBestTrialPeakedEarly()
    {
        // Given a binary best trial that peaked at epoch 3 of 12 and plateaued, with the earlier plateau moves already tried
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(100, 120);
        var r0 = Initializer.Plan(spec, card, 1) with { TestTimeAugmentation = true };
        var m = TrialResult(12, 3);
        Assert.Equal(CurveDiagnosis.Plateau, PlaybookProposer.Diagnose(m));
        var tried = new[] { "wider_network", "label_smoothing", "learning_rate_halving", "lower_learning_rate_plateau", "weight_averaging", "sgd_momentum" }
            .Select((mv, i) => Done(i + 1, mv, r0 with { Seed = 100 + i }, false)).ToList();

        // When the playbook proposes
        var p = new PlaybookProposer().Propose(new DevelopmentState(spec, card, [Done(0, "initial", r0, true, m), .. tried], r0, m))!;

        // Then three members (3 × 3 ≤ 12) share the budget, with the peak epoch quoted and the source cited
        Assert.Equal("seed_ensemble", p.Move);
        Assert.Equal(3, p.Recipe.EnsembleSize);
        Assert.Contains("epoch 3 of 12", p.Reason);
        Assert.Contains("Lakshminarayanan", p.Source);
        Assert.Empty(RecipeSchema.Problems(p.Recipe));
    }

    [Fact]
    public void Should_SearchTheLearningRateThenTrainTheChoice_When_TrialsRunEnoughEpochs()
    {
        // Given a binary best trial of 10 epochs, still improving, where a wider network did not help
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(100, 120);
        var r0 = Initializer.Plan(spec, card, 1) with { TestTimeAugmentation = true };
        var m = TrialResult(10, 10);
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, true, m), Done(1, "wider_network", r0 with { Seed = 99 }, false) };

        // When the playbook proposes
        var p = new PlaybookProposer().Propose(new DevelopmentState(spec, card, history, r0, m))!;

        // Then it asks for successive halving over lr/3, lr, 3·lr
        Assert.Equal("learning_rate_halving", p.Move);
        double lr = r0.Optimizer.LearningRate;
        Assert.Equal("learning_rate", p.Recipe.Search!.Knob);
        Assert.Equal([lr / 3, lr, lr * 3], p.Recipe.Search.Values.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Empty(RecipeSchema.Problems(p.Recipe));

        // Given that search trial was discarded (short final budget) but chose 3·lr
        var search = new KnobSearchResult("learning_rate", [new KnobCandidate(3, lr * 3, 10, 0.69)], lr * 3);
        history.Add(Done(2, "learning_rate_halving", p.Recipe with { Optimizer = p.Recipe.Optimizer with { LearningRate = lr * 3 }, Search = null }, false, TrialResult(4, 4, search: search)));

        // When the playbook proposes again
        var next = new PlaybookProposer().Propose(new DevelopmentState(spec, card, history, r0, m))!;

        // Then the chosen value is trained on the best recipe with the whole budget, citing the round
        Assert.Equal("searched_learning_rate", next.Move);
        Assert.Equal(lr * 3, next.Recipe.Optimizer.LearningRate, 9);
        Assert.Null(next.Recipe.Search);
        Assert.Contains("round 2", next.Reason, StringComparison.OrdinalIgnoreCase);
    }
}
