namespace Clinforge.Evaluation.Tests;

public sealed class ConfoundTests
{
    // 3 positives (two with the confounder) and 5 negatives (two with it); the confounded negatives score high.
    private static readonly int[] Labels = [1, 1, 1, 0, 0, 0, 0, 0];
    private static readonly double[] Confounder = [1, 0, 1, 1, 1, 0, 0, 0];
    private static readonly double[] Scores = [0.9, 0.6, 0.8, 0.7, 0.55, 0.2, 0.1, 0.3];

    [Fact]
    public void Should_SummariseFourCellsByHand_When_Analysed()
    {
        var a = Confound.Analyze(Labels, Scores, Confounder, resamples: 400, seed: 17);

        // negatives without: {0.1, 0.2, 0.3} → mean 0.2, Q1 0.15 (type 7: 0.1 + 0.5·0.1), median 0.2, Q3 0.25
        var c = a.Cells.Single(x => x.Label == 0 && !x.Confounder);
        Assert.Equal(3, c.Count);
        Assert.Equal(0.2, c.Mean, 12); Assert.Equal(0.15, c.Q1, 12); Assert.Equal(0.2, c.Median, 12); Assert.Equal(0.25, c.Q3, 12);
        // negatives with: {0.55, 0.7} → mean 0.625, Q1 0.5875, Q3 0.6625
        c = a.Cells.Single(x => x.Label == 0 && x.Confounder);
        Assert.Equal(0.625, c.Mean, 12); Assert.Equal(0.5875, c.Q1, 12); Assert.Equal(0.6625, c.Q3, 12);
        // positives without: {0.6}; with: {0.8, 0.9}
        Assert.Equal((1, 0.6), (a.Cells.Single(x => x.Label == 1 && !x.Confounder).Count, a.Cells.Single(x => x.Label == 1 && !x.Confounder).Median));
        Assert.Equal(0.85, a.Cells.Single(x => x.Label == 1 && x.Confounder).Mean, 12);
    }

    [Fact]
    public void Should_PutAllFalsePositivesInConfoundedNegatives_When_YoudenThreshold()
    {
        var a = Confound.Analyze(Labels, Scores, Confounder, resamples: 400, seed: 17);

        // Youden: at 0.6 sensitivity 3/3, specificity 4/5 → J 0.8 (at 0.55 J = 1 − 2/5 = 0.6)
        Assert.Equal(0.6, a.Threshold);
        // the one false positive (0.7) carries the confounder: share 1.0 vs 2/5 of negatives
        Assert.Equal((1, 1), (a.FalsePositives, a.FalsePositivesWithConfounder));
        Assert.Equal(1.0, a.FalsePositiveShare);
        Assert.Equal(0.4, a.NegativeShare, 12);
    }

    [Fact]
    public void Should_MatchIndependentCorrelations_When_Computed()
    {
        var a = Confound.Analyze(Labels, Scores, Confounder, resamples: 400, seed: 17);

        // values computed independently (plain Python: Pearson of the raw values, and of the
        // residuals after subtracting each label's mean): 0.805716197153229 and 0.9123802840950858
        Assert.Equal(0.805716197153229, a.RawCorrelation.Value, 12);
        Assert.Equal(0.9123802840950858, a.PartialCorrelation.Value, 12);
        Assert.True(a.RawCorrelation.Lower <= a.RawCorrelation.Value && a.RawCorrelation.Value <= a.RawCorrelation.Upper, $"{a.RawCorrelation}");
        Assert.True(a.PartialCorrelation.Lower <= a.PartialCorrelation.Upper && a.PartialCorrelation.Upper <= 1 + 1e-12, $"{a.PartialCorrelation}");
    }

    [Fact]
    public void Should_GiveTextbookPearson_When_PerfectlyLinear()
    {
        Assert.Equal(1.0, Confound.Pearson([1, 2, 3], [2, 4, 6]), 12);
        Assert.Equal(-1.0, Confound.Pearson([1, 2, 3], [3, 2, 1]), 12);
        Assert.True(double.IsNaN(Confound.Pearson([1, 1, 1], [1, 2, 3])));
        // within-label centring removes a pure label effect: b = label, so the partial correlation is undefined
        Assert.True(double.IsNaN(Confound.PartialOnLabel([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], [0, 0, 1, 1])));
    }

    [Fact]
    public void Should_UseGivenThreshold_When_Supplied()
    {
        var a = Confound.Analyze(Labels, Scores, Confounder, resamples: 50, seed: 1, threshold: 0.5);
        // 0.7 and 0.55 are ≥ 0.5: two false positives, both confounded
        Assert.Equal((0.5, 2, 2), (a.Threshold, a.FalsePositives, a.FalsePositivesWithConfounder));
    }
}
