using Clinforge.Core;

namespace Clinforge.Evaluation.Tests;

public sealed class SmallDataMetricsTests
{
    [Fact]
    public void Should_MatchThePublishedWilsonInterval_When_GivenAProportion()
    {
        // Brown, Cai and DasGupta (2001), and any Wilson calculator: 8 of 10 → [0.490, 0.943]
        var (lo, hi) = Wilson.Interval(8, 10);
        Assert.Equal(0.490, lo, 0.001);
        Assert.Equal(0.943, hi, 0.001);
        // ends are exact, and 6 positives are far coarser than 34
        Assert.Equal(1.0, Wilson.Interval(6, 6).Upper);
        Assert.Equal(0.0, Wilson.Interval(0, 6).Lower);
        Assert.True(Wilson.HalfWidth(0.8, 6) > 2 * Wilson.HalfWidth(0.8, 34));
    }

    [Fact]
    public void Should_GiveOneForPerfectAndAHalfForChance_When_MeasuringThePartialAuc()
    {
        int[] y = [0, 0, 0, 0, 1, 1, 1, 1];
        double[] perfect = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
        Assert.Equal(1.0, PartialAuc.AtHighSpecificity(y, perfect, 0.8), 9);
        Assert.Equal(1.0, PartialAuc.AtHighSensitivity(y, perfect, 0.8), 9);
        // all scores tied: the ROC is the diagonal, the standardised partial AUC is 0.5
        Assert.Equal(0.5, PartialAuc.AtHighSpecificity(y, y.Select(_ => 0.5).ToArray(), 0.8), 9);
        // a ranking that is perfect only at low specificity scores lower in the high-specificity region
        double[] lateMix = [0.1, 0.2, 0.3, 0.95, 0.6, 0.7, 0.8, 0.9];
        Assert.True(PartialAuc.AtHighSpecificity(y, lateMix, 0.8) < BinaryMetrics.Auc(y, lateMix));
    }

    [Fact]
    public void Should_LowerTheThresholdUntilTheLowerBoundMeetsTheFloor_When_ASensitivityFloorIsStated()
    {
        // 100 positives scored 0.01..1.00, 100 negatives 0.005..0.995 (each lower threshold costs specificity); the floor is sensitivity ≥ 0.90
        var objective = new Objective(Metrics.SpecificityAtSensitivity, new OperatingPoint("specificity", "sensitivity", 0.90), "yes");
        var y = Enumerable.Range(0, 200).Select(i => i < 100 ? 1 : 0).ToArray();
        var s = Enumerable.Range(0, 200).Select(i => i < 100 ? (i + 1) / 100.0 : (i - 100 + 0.5) / 100.0).ToArray();
        var point = ObjectiveEvaluator.ChooseThreshold(objective, y, s);
        var margin = ObjectiveEvaluator.ChooseThresholdForNewPatients(objective, y, s);
        // the point estimate catches exactly 90; the margin catches more, and its lower bound meets 0.90
        Assert.Equal(0.11, point.Threshold, 9);
        Assert.True(margin.Threshold < point.Threshold);
        int caught = s.Where((v, i) => y[i] == 1 && v >= margin.Threshold).Count();
        Assert.True(Wilson.Interval(caught, 100, 0.90).Lower >= 0.90);
        Assert.True(Wilson.Interval(caught - 1, 100, 0.90).Lower < 0.90);
        Assert.Contains("lower confidence bound", margin.Rule);
    }

    [Fact]
    public void Should_CatchEveryPositiveAndSaySo_When_TooFewPositivesCanPromiseTheFloor()
    {
        var objective = new Objective(Metrics.SpecificityAtSensitivity, new OperatingPoint("specificity", "sensitivity", 0.95), "yes");
        int[] y = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
        double[] s = [0.9, 0.8, 0.7, 0.6, 0.3, 0.5, 0.4, 0.2, 0.1, 0.05];
        var margin = ObjectiveEvaluator.ChooseThresholdForNewPatients(objective, y, s);
        Assert.Equal(0.3, margin.Threshold, 9);
        Assert.Contains("more positives are needed", margin.Rule);
    }
}
