namespace Clinforge.Evaluation.Tests;

public sealed class ConfounderInspectionTests
{
    [Fact]
    public void Should_CountLabelByConfounder_When_CrossTabulating()
    {
        // given 10 positives (6 with a drain) and 10 negatives (1 with a drain, one at probability 0.4)
        var labels = Enumerable.Repeat(1, 10).Concat(Enumerable.Repeat(0, 10)).ToArray();
        var conf = new double[] { 1, 1, 1, 1, 1, 0.6, 0, 0, 0, 0, 1, 0.4, 0, 0, 0, 0, 0, 0, 0, 0 };

        // when cross-tabulated
        var t = ConfounderInspector.CrossTab("train", labels, conf);

        // then 60% of positives vs 10% of negatives carry it, and the sentence says so
        Assert.Equal((6, 10, 1, 10), (t.PositivesWith, t.Positives, t.NegativesWith, t.Negatives));
        Assert.Equal("train: 60% of positives have drains (6/10) vs 10% of negatives (1/10)", t.Describe("drains"));
    }

    [Fact]
    public void Should_GiveTheHandComputedAuc_When_TheConfounderAlonePredictsTheLabel()
    {
        // given presence 0/1 with 60% of positives and 10% of negatives present
        var labels = Enumerable.Repeat(1, 10).Concat(Enumerable.Repeat(0, 10)).ToArray();
        var conf = Enumerable.Range(0, 20).Select(i => i < 6 || i == 10 ? 1.0 : 0.0).ToArray();

        // when inspected
        var r = ConfounderInspector.Inspect([ConfounderInspector.CrossTab("train", labels, conf)], labels, conf, 200, 1);

        // then AUC = P(score+ > score-) + ½P(tie) = 0.6·0.9 + ½(0.6·0.1 + 0.4·0.9) = 0.75, inside its CI
        Assert.Equal(0.75, r.ConfounderOnlyAuc.Estimate, 10);
        Assert.InRange(0.75, r.ConfounderOnlyAuc.Lower, r.ConfounderOnlyAuc.Upper);
    }
}
