namespace Clinforge.Evaluation.Tests;

public sealed class MulticlassMetricsTests
{
    // Three classes, six cases. Argmax predictions: 0 ✓, 1 ✗(0), 1 ✓, 2 ✗(1), 2 ✓, 2 ✓.
    // Confusion (rows true): [1 1 0; 0 1 1; 0 0 2].
    internal static readonly int[] Labels = [0, 0, 1, 1, 2, 2];
    internal static readonly double[][] Probs =
    [
        [0.7, 0.2, 0.1],
        [0.3, 0.4, 0.3],
        [0.2, 0.5, 0.3],
        [0.1, 0.3, 0.6],
        [0.2, 0.2, 0.6],
        [0.2, 0.1, 0.7],
    ];

    [Fact]
    public void Should_ComputeOneVsRestAucs_When_HandWorked()
    {
        // class 0: positives 0.7, 0.3 beat all negatives 0.2 0.1 0.2 0.2 → 1
        // class 1: 0.5⁺ beats 4; 0.3⁺ beats 0.2 0.2 0.1, loses to 0.4 → 7/8
        // class 2: 0.7⁺ beats 4; 0.6⁺ beats 0.1 0.3 0.3, ties 0.6 → 3.5 → 7.5/8
        var perClass = MulticlassMetrics.PerClassAuc(Labels, Probs);
        Assert.Equal([1.0, 0.875, 0.9375], perClass);
        Assert.Equal((1.0 + 0.875 + 0.9375) / 3, MulticlassMetrics.MacroAuc(Labels, Probs), 15);
    }

    [Fact]
    public void Should_SkipAbsentClass_When_AveragingAuc()
    {
        // given only the first four cases (class 2 absent)
        // class 0: 0.7⁺, 0.3⁺ vs 0.2, 0.1 → 1; class 1: 0.5⁺ beats 0.2, 0.4; 0.3⁺ beats 0.2 → ¾
        var labels = Labels[..4];
        var probs = Probs[..4];
        var perClass = MulticlassMetrics.PerClassAuc(labels, probs);
        Assert.True(double.IsNaN(perClass[2]));
        Assert.Equal(0.875, MulticlassMetrics.MacroAuc(labels, probs), 15);
    }

    [Fact]
    public void Should_ComputeArgmaxMetrics_When_HandWorked()
    {
        Assert.Equal(4.0 / 6, MulticlassMetrics.Accuracy(Labels, Probs), 15);
        // recalls ½, ½, 1
        Assert.Equal(2.0 / 3, MulticlassMetrics.BalancedAccuracy(Labels, Probs), 15);
        // F1: class 0 2/(2+0+1) = ⅔; class 1 2/(2+1+1) = ½; class 2 4/(4+1+0) = ⅘ → 59/90
        Assert.Equal(59.0 / 90, MulticlassMetrics.MacroF1(Labels, Probs), 15);
        var cm = MulticlassMetrics.ConfusionMatrix(Labels, Probs, 3);
        Assert.Equal(new[,] { { 1, 1, 0 }, { 0, 1, 1 }, { 0, 0, 2 } }, cm);
    }

    [Fact]
    public void Should_GiveClassVersusRestTable_When_ArgmaxDecides()
    {
        // class 2: tp 2, fp 1 (case 3), fn 0, tn 3
        Assert.Equal(new Confusion(2, 1, 3, 0), MulticlassMetrics.OneVsRest(Labels, Probs, 2));
    }

    [Fact]
    public void Should_PickLowestIndex_When_ArgmaxTied()
    {
        Assert.Equal(1, MulticlassMetrics.Argmax([0.2, 0.4, 0.4]));
    }

    [Fact]
    public void Should_ReturnNaNOrThrow_When_ProbabilitiesNaNOrMalformed()
    {
        double[][] withNaN = [[double.NaN, 0.5, 0.5], [0.1, 0.8, 0.1]];
        Assert.True(double.IsNaN(MulticlassMetrics.Accuracy([0, 1], withNaN)));
        Assert.Throws<ArgumentException>(() => MulticlassMetrics.Accuracy([0, 3], [[0.1, 0.8, 0.1], [0.1, 0.8, 0.1]]));
        Assert.Throws<ArgumentException>(() => MulticlassMetrics.Accuracy([0, 1], [[0.1, 0.9], [0.1, 0.8, 0.1]]));
        Assert.Throws<ArgumentException>(() => MulticlassMetrics.ConfusionMatrix(Labels, Probs, 4));
    }
}
