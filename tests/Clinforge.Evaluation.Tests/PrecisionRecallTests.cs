namespace Clinforge.Evaluation.Tests;

public sealed class PrecisionRecallTests
{
    [Fact]
    public void Should_GiveHandComputedCurveAndAp_When_ScoresDistinct()
    {
        // given scores (desc) 0.9 P, 0.8 N, 0.7 P, 0.6 N, 0.5 P
        int[] labels = [1, 0, 1, 0, 1];
        double[] scores = [0.9, 0.8, 0.7, 0.6, 0.5];

        // when the curve and AP are computed
        var curve = PrecisionRecall.Curve(labels, scores);
        var ap = PrecisionRecall.AveragePrecision(labels, scores);

        // then precision at each cut is TP/(TP+FP): 1/1, 1/2, 2/3, 2/4, 3/5; AP = (1/3)(1 + 2/3 + 3/5) = 0.7555…
        Assert.Equal(5, curve.Count);
        double[] recall = [1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0, 1];
        double[] precision = [1, 0.5, 2 / 3.0, 0.5, 0.6];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(recall[i], curve[i].Recall, 12);
            Assert.Equal(precision[i], curve[i].Precision, 12);
            Assert.Equal(scores[i], curve[i].Threshold);
        }
        Assert.Equal((1 + 2 / 3.0 + 0.6) / 3, ap, 12);
    }

    [Fact]
    public void Should_StepOnceForTies_When_ScoresTied()
    {
        // given a tie of one positive and one negative at 0.5 below a lone positive at 0.9
        int[] labels = [1, 1, 0];
        double[] scores = [0.9, 0.5, 0.5];

        var curve = PrecisionRecall.Curve(labels, scores);

        // then the tied cut adds both at once: (0.5, 1) then (1, 2/3); AP = 0.5·1 + 0.5·2/3
        Assert.Equal(2, curve.Count);
        Assert.Equal((0.5, 1.0), (curve[0].Recall, curve[0].Precision));
        Assert.Equal(2 / 3.0, curve[1].Precision, 12);
        Assert.Equal(0.5 + 1 / 3.0, PrecisionRecall.AveragePrecision(labels, scores), 12);
    }

    [Fact]
    public void Should_BeNaN_When_OneClassAbsent()
    {
        Assert.Empty(PrecisionRecall.Curve([0, 0], [0.1, 0.2]));
        Assert.True(double.IsNaN(PrecisionRecall.AveragePrecision([1, 1], [0.1, 0.2])));
    }
}
