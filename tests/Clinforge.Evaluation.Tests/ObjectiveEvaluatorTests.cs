using Clinforge.Core;

namespace Clinforge.Evaluation.Tests;

public sealed class ObjectiveEvaluatorTests
{
    // The nine-case sweep of BinaryMetricsTests as two-column probabilities (positive column 1).
    private static readonly int[] Labels9 = [1, 0, 1, 1, 0, 0, 1, 0, 0];
    private static readonly double[] Scores9 = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
    private static readonly double[][] Probs9 = Scores9.Select(s => new[] { 1 - s, s }).ToArray();

    private static readonly OperatingPoint SensAtSpec80 = new("sensitivity", "specificity", 0.8);

    [Fact]
    public void Should_ReportSensitivityAtSpecificity_When_ObjectiveHasOperatingPoint()
    {
        // given sensitivity at specificity ≥ 0.8
        var objective = new Objective(Metrics.SensitivityAtSpecificity, SensAtSpec80, "disease");

        // when
        var m = ObjectiveEvaluator.Evaluate(objective, Labels9, Probs9, positiveIndex: 1);

        // then: threshold 0.6 gives tp 3, fp 1, tn 4, fn 1
        Assert.Equal(0.75, m.Objective, 15);
        Assert.Equal("sensitivity at specificity ≥ 0.80", m.ObjectiveName);
        Assert.Equal(0.6, m.Threshold);
        Assert.Equal(0.75, m.Sensitivity, 15);
        Assert.Equal(0.8, m.Specificity, 15);
        Assert.Equal(7.0 / 9, m.Accuracy, 15);
        Assert.Equal(0.775, m.BalancedAccuracy, 15);
        Assert.Equal(0.75, m.Auc, 15);
    }

    [Fact]
    public void Should_ReportSpecificityAtSensitivity_When_SensitivityMustBeFull()
    {
        var objective = new Objective(Metrics.SpecificityAtSensitivity, new OperatingPoint("specificity", "sensitivity", 1.0), null);
        var m = ObjectiveEvaluator.Evaluate(objective, Labels9, Probs9, 1);
        // threshold 0.3: tp 4, fp 3, tn 2, fn 0
        Assert.Equal(0.4, m.Objective, 15);
        Assert.Equal(0.3, m.Threshold);
        Assert.Equal(1.0, m.Sensitivity);
        Assert.Equal(6.0 / 9, m.Accuracy, 15);
        Assert.Equal(0.7, m.BalancedAccuracy, 15);
    }

    [Theory]
    [InlineData(Metrics.Auc, 0.75)]
    [InlineData(Metrics.MacroAuc, 0.75)]
    [InlineData(Metrics.BalancedAccuracy, 0.775)] // at Youden threshold 0.6
    [InlineData(Metrics.Accuracy, 7.0 / 9)]
    public void Should_UseYoudenThreshold_When_ObjectiveHasNoOperatingPoint(string metric, double expected)
    {
        var m = ObjectiveEvaluator.Evaluate(new Objective(metric, null, null), Labels9, Probs9, 1);
        Assert.Equal(expected, m.Objective, 15);
        Assert.Equal(0.6, m.Threshold);
        Assert.Equal(0.75, m.Sensitivity, 15);
        Assert.Equal(0.8, m.Specificity, 15);
    }

    [Fact]
    public void Should_ScoreColumnZero_When_PositiveIndexIsZero()
    {
        // given class 0 as the positive: its cases are the old negatives, scored by column 0 = 1 − s
        var m = ObjectiveEvaluator.Evaluate(new Objective(Metrics.Auc, null, null), Labels9, Probs9, positiveIndex: 0);
        // (positives 0.2 0.5 0.6 0.8 0.9, negatives 0.1 0.3 0.4 0.7).
        // then AUC is unchanged (both labels and scores flipped), and Youden's J = tp/5 − fp/4 peaks
        // at 0.55 for threshold 0.5 (tp 4, fp 1): the mirror of threshold 0.6 on column 1.
        Assert.Equal(0.75, m.Auc, 12);
        Assert.Equal(0.5, m.Threshold, 15);
        Assert.Equal(0.8, m.Sensitivity, 15);
        Assert.Equal(0.75, m.Specificity, 15);
        // and a negative index on a binary task means column 1
        var d = ObjectiveEvaluator.Evaluate(new Objective(Metrics.Auc, null, null), Labels9, Probs9, positiveIndex: -1);
        Assert.Equal(0.75, d.Auc, 15);
    }

    [Fact]
    public void Should_ApplyValidationThreshold_When_EvaluatingOnTest()
    {
        // given the threshold chosen on validation (0.6) and a test set
        var objective = new Objective(Metrics.SensitivityAtSpecificity, SensAtSpec80, null);
        var chosen = ObjectiveEvaluator.ChooseThreshold(objective, Labels9, Scores9);
        Assert.Equal(0.6, chosen.Threshold);
        Assert.Equal("highest sensitivity with specificity ≥ 0.80", chosen.Rule);

        int[] testLabels = [1, 1, 0, 0, 0];
        double[][] testProbs = [[0.35, 0.65], [0.45, 0.55], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]];

        // when
        var m = ObjectiveEvaluator.EvaluateAtThreshold(objective, testLabels, testProbs, 1, chosen.Threshold);

        // then: ≥ 0.6 calls 0.65⁺ and 0.7⁻ → tp 1, fn 1, fp 1, tn 2
        Assert.Equal(0.6, m.Threshold);
        Assert.Equal(0.5, m.Objective, 15);
        Assert.Equal(0.5, m.Sensitivity, 15);
        Assert.Equal(2.0 / 3, m.Specificity, 15);
        Assert.Equal(0.6, m.Accuracy, 15);
        // AUC: 0.65⁺ beats 0.4, 0.1; 0.55⁺ beats 0.4, 0.1 → 4/6
        Assert.Equal(4.0 / 6, m.Auc, 15);
    }

    [Fact]
    public void Should_UseMacroAucAndArgmax_When_Multiclass()
    {
        var m = ObjectiveEvaluator.Evaluate(new Objective(Metrics.Auc, null, null), MulticlassMetricsTests.Labels, MulticlassMetricsTests.Probs, positiveIndex: 2);
        Assert.Equal(0.9375, m.Objective, 15);
        Assert.Equal(0.9375, m.Auc, 15);
        Assert.Equal(4.0 / 6, m.Accuracy, 15);
        Assert.Equal(2.0 / 3, m.BalancedAccuracy, 15);
        // class 2 against the rest by argmax: tp 2, fn 0, fp 1, tn 3
        Assert.Equal(1.0, m.Sensitivity);
        Assert.Equal(0.75, m.Specificity, 15);
        Assert.True(double.IsNaN(m.Threshold));

        var none = ObjectiveEvaluator.Evaluate(new Objective(Metrics.BalancedAccuracy, null, null), MulticlassMetricsTests.Labels, MulticlassMetricsTests.Probs, -1);
        Assert.Equal(2.0 / 3, none.Objective, 15);
        Assert.True(double.IsNaN(none.Sensitivity));
        Assert.True(double.IsNaN(none.Specificity));
    }

    [Fact]
    public void Should_ThresholdPositiveColumn_When_MulticlassHasOperatingPoint()
    {
        // given class 2 vs rest with scores 0.1 0.3 0.3 0.6 | 0.6 0.7 (positives last two):
        // 0.7 → sens ½ spec 1; 0.6 → sens 1 spec ¾ (meets 0.75)
        var objective = new Objective(Metrics.SensitivityAtSpecificity, new OperatingPoint("sensitivity", "specificity", 0.75), "c2");
        var m = ObjectiveEvaluator.Evaluate(objective, MulticlassMetricsTests.Labels, MulticlassMetricsTests.Probs, 2);
        Assert.Equal(1.0, m.Objective);
        Assert.Equal(0.6, m.Threshold);
        Assert.Equal(0.75, m.Specificity, 15);
        Assert.Equal(0.9375, m.Auc, 15);
        Assert.Equal(4.0 / 6, m.Accuracy, 15);
    }

    [Fact]
    public void Should_ReturnNaNMetrics_When_ModelOutputsNaN()
    {
        double[][] probs = [[0.5, 0.5], [double.NaN, double.NaN]];
        var objective = new Objective(Metrics.Auc, null, null);
        var m = ObjectiveEvaluator.Evaluate(objective, [0, 1], probs, 1);
        Assert.True(double.IsNaN(m.Objective));
        Assert.False(objective.Better(m.Objective, null));
        Assert.Equal("auc", m.ObjectiveName);
    }

    [Fact]
    public void Should_ExplainError_When_ObjectiveIsInconsistent()
    {
        Assert.Throws<ClinforgeException>(() => ObjectiveEvaluator.Evaluate(new Objective(Metrics.SensitivityAtSpecificity, null, null), Labels9, Probs9, 1));
        Assert.Throws<ClinforgeException>(() => ObjectiveEvaluator.Evaluate(new Objective("f2", null, null), Labels9, Probs9, 1));
        Assert.Throws<ClinforgeException>(() => ObjectiveEvaluator.Evaluate(
            new Objective(Metrics.SpecificityAtSensitivity, SensAtSpec80, null), Labels9, Probs9, 1));
        Assert.Throws<ClinforgeException>(() => ObjectiveEvaluator.Evaluate(
            new Objective(Metrics.SensitivityAtSpecificity, SensAtSpec80, null), MulticlassMetricsTests.Labels, MulticlassMetricsTests.Probs, -1));
    }
}
