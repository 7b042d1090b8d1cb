namespace Clinforge.Evaluation.Tests;

public sealed class BinaryMetricsTests
{
    // Hand case with a tie across classes:
    //   positives 0.4, 0.8, 0.2; negatives 0.1, 0.4, 0.3.
    //   0.4⁺ beats 0.1 and 0.3 and ties 0.4 → 2.5; 0.8⁺ beats all three → 3; 0.2⁺ beats 0.1 → 1.
    //   AUC = (2.5 + 3 + 1) / (3·3) = 6.5/9.
    private static readonly int[] TieLabels = [0, 0, 1, 1, 0, 1];
    private static readonly double[] TieScores = [0.1, 0.4, 0.4, 0.8, 0.3, 0.2];

    // Nine cases, no ties, swept by hand (threshold: sensitivity, specificity):
    //   +∞: 0, 1 | 0.9: ¼, 1 | 0.8: ¼, 0.8 | 0.7: ½, 0.8 | 0.6: ¾, 0.8 | 0.5: ¾, 0.6
    //   0.4: ¾, 0.4 | 0.3: 1, 0.4 | 0.2: 1, 0.2 | 0.1: 1, 0
    // AUC: 0.9⁺ beats 5, 0.7⁺ 4, 0.6⁺ 4, 0.3⁺ 2 → 15/20.
    private static readonly int[] Labels9 = [1, 0, 1, 1, 0, 0, 1, 0, 0];
    private static readonly double[] Scores9 = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];

    [Fact]
    public void Should_CountTiesAsHalf_When_ComputingAuc()
    {
        Assert.Equal(6.5 / 9, BinaryMetrics.Auc(TieLabels, TieScores), 15);
        Assert.Equal(0.75, BinaryMetrics.Auc(Labels9, Scores9), 15);
    }

    [Fact]
    public void Should_GiveOneZeroAndHalf_When_PerfectInvertedOrAllTied()
    {
        int[] labels = [0, 0, 1, 1];
        Assert.Equal(1.0, BinaryMetrics.Auc(labels, [0.1, 0.2, 0.3, 0.4]));
        Assert.Equal(0.0, BinaryMetrics.Auc(labels, [0.4, 0.3, 0.2, 0.1]));
        Assert.Equal(0.5, BinaryMetrics.Auc(labels, [0.5, 0.5, 0.5, 0.5]));
    }

    [Fact]
    public void Should_ReturnNaN_When_ClassAbsentOrScoreNaN()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auc([1, 1, 1], [0.1, 0.2, 0.3])));
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0, 1], [0.1, double.NaN])));
        Assert.True(double.IsNaN(BinaryMetrics.Auc([], [])));
    }

    [Fact]
    public void Should_EqualPairwiseCount_When_ScoresAreRandomWithManyTies()
    {
        // given 300 cases with scores on a coarse grid (many ties)
        var random = new Random(7);
        var labels = new int[300];
        var scores = new double[300];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = random.Next(3) == 0 ? 1 : 0;
            scores[i] = Math.Round(random.NextDouble() + 0.3 * labels[i], 1);
        }

        // when / then: the O(n²) definition P(X > Y) + ½P(X = Y)
        double wins = 0, pairs = 0;
        for (var i = 0; i < labels.Length; i++)
            for (var j = 0; j < labels.Length; j++)
                if (labels[i] == 1 && labels[j] == 0)
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
        Assert.Equal(wins / pairs, BinaryMetrics.Auc(labels, scores), 12);
    }

    [Fact]
    public void Should_CallScoreAtThresholdPositive_When_BuildingConfusion()
    {
        // given threshold 0.4: called positive are 0.4⁻, 0.4⁺, 0.8⁺
        var c = BinaryMetrics.ConfusionAt(TieLabels, TieScores, 0.4);
        Assert.Equal(new Confusion(Tp: 2, Fp: 1, Tn: 2, Fn: 1), c);
    }

    [Fact]
    public void Should_TraceHandSweep_When_BuildingRocCurve()
    {
        // Tie case, thresholds descending: +∞ (0,0); 0.8 → tp1 (0,⅓); 0.4 → tp2 fp1 (⅓,⅔);
        // 0.3 → fp2 (⅔,⅔); 0.2 → tp3 (⅔,1); 0.1 → fp3 (1,1).
        var roc = BinaryMetrics.RocCurve(TieLabels, TieScores);
        (double, double, double)[] expected =
        [
            (0, 0, double.PositiveInfinity), (0, 1.0 / 3, 0.8), (1.0 / 3, 2.0 / 3, 0.4),
            (2.0 / 3, 2.0 / 3, 0.3), (2.0 / 3, 1, 0.2), (1, 1, 0.1),
        ];
        Assert.Equal(expected.Length, roc.Count);
        for (var k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k].Item1, roc[k].Fpr, 15);
            Assert.Equal(expected[k].Item2, roc[k].Tpr, 15);
            Assert.Equal(expected[k].Item3, roc[k].Threshold);
        }

        // and the trapezoidal area (with the diagonal tie step) is the Mann–Whitney AUC
        var area = 0.0;
        for (var k = 1; k < roc.Count; k++) area += (roc[k].Fpr - roc[k - 1].Fpr) * (roc[k].Tpr + roc[k - 1].Tpr) / 2;
        Assert.Equal(6.5 / 9, area, 14);
    }

    [Theory]
    [InlineData(0.8, 0.75, 0.6)] // 0.6 gives spec 0.8 exactly (4/5)
    [InlineData(0.9, 0.25, 0.9)]
    [InlineData(1.0, 0.25, 0.9)]
    [InlineData(0.5, 0.75, 0.6)] // 0.5 also gives ¾ but spec 0.6 < 0.8: the higher spec wins
    [InlineData(0.0, 1.0, 0.3)] // sens 1 at 0.3, 0.2, 0.1: 0.3 has the highest spec
    public void Should_FindBestSensitivity_When_SpecificityConstrained(double minSpec, double sens, double threshold)
    {
        var (value, t) = BinaryMetrics.SensitivityAtSpecificity(Labels9, Scores9, minSpec);
        Assert.Equal(sens, value, 15);
        Assert.Equal(threshold, t);
    }

    [Theory]
    [InlineData(0.75, 0.8, 0.6)]
    [InlineData(1.0, 0.4, 0.3)]
    [InlineData(0.3, 0.8, 0.6)] // 0.7 (½, 0.8) and 0.6 (¾, 0.8) tie on spec: the higher sens wins
    public void Should_FindBestSpecificity_When_SensitivityConstrained(double minSens, double spec, double threshold)
    {
        var (value, t) = BinaryMetrics.SpecificityAtSensitivity(Labels9, Scores9, minSens);
        Assert.Equal(spec, value, 15);
        Assert.Equal(threshold, t);
    }

    [Fact]
    public void Should_CallNobodyPositive_When_OnlyInfiniteThresholdMeetsSpecificity()
    {
        // given the top score is a negative, specificity 1 needs threshold +∞
        var (value, t) = BinaryMetrics.SensitivityAtSpecificity([0, 1, 0], [0.9, 0.5, 0.1], 1.0);
        Assert.Equal(0.0, value);
        Assert.Equal(double.PositiveInfinity, t);
    }

    [Fact]
    public void Should_MaximiseJ_When_ChoosingYoudenThreshold()
    {
        // J by hand: 0.9 ¼, 0.8 0.05, 0.7 0.3, 0.6 0.55, 0.5 0.35, 0.4 0.15, 0.3 0.4, 0.2 0.2, 0.1 0
        Assert.Equal(0.6, BinaryMetrics.YoudenThreshold(Labels9, Scores9));
        // perfectly separable: the lowest positive score
        Assert.Equal(0.7, BinaryMetrics.YoudenThreshold([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9]));
        Assert.True(double.IsNaN(BinaryMetrics.YoudenThreshold([0, 0], [0.1, 0.3])));
    }

    [Fact]
    public void Should_MatchPublishedStandardError_When_UsingHanleyMcNeil()
    {
        // Hanley & McNeil (1982), CT rating example: A = 0.893 with 51 abnormal and 58 normal
        // patients, SE = 0.032 in the paper; 0.0325116 unrounded.
        Assert.Equal(0.03251158176764658, BinaryMetrics.HanleyMcNeilStandardError(0.893, 51, 58), 12);
    }

    [Fact]
    public void Should_Throw_When_InputsMalformed()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([0, 1], [0.1]));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([0, 2], [0.1, 0.2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.SensitivityAtSpecificity([0, 1], [0.1, 0.2], 1.2));
    }
}
