namespace Clinforge.Evaluation.Tests;

public sealed class CalibrationTests
{
    // labels 0 1 1 0 1, scores 0.05 0.15 0.55 0.65 0.95
    private static readonly int[] Labels = [0, 1, 1, 0, 1];
    private static readonly double[] Scores = [0.05, 0.15, 0.55, 0.65, 0.95];

    [Fact]
    public void Should_WeightBinGaps_When_ComputingEce()
    {
        // two bins: [0, .5) mean score 0.1, positives ½ → gap 0.4, weight ⅖;
        // [.5, 1] mean score 0.71667, positives ⅔ → gap 0.05, weight ⅗. ECE = 0.16 + 0.03.
        Assert.Equal(0.19, Calibration.ExpectedCalibrationError(Labels, Scores, bins: 2), 14);
    }

    [Fact]
    public void Should_AverageSquaredErrors_When_ComputingBrier()
    {
        // (0.05² + 0.85² + 0.45² + 0.65² + 0.05²)/5 = 1.3525/5
        Assert.Equal(0.2705, Calibration.Brier(Labels, Scores), 14);
    }

    [Fact]
    public void Should_GiveZeroEce_When_PerfectlyCalibrated()
    {
        // all scores 0.25 and one case in four positive
        int[] labels = [1, 0, 0, 0];
        double[] scores = [0.25, 0.25, 0.25, 0.25];
        Assert.Equal(0.0, Calibration.ExpectedCalibrationError(labels, scores), 15);
        Assert.Equal((0.75 * 0.75 + 3 * 0.0625) / 4, Calibration.Brier(labels, scores), 15);
    }

    [Fact]
    public void Should_PutOneInLastBin_When_Binning()
    {
        var bins = Calibration.ReliabilityBins([1, 0, 1], [1.0, 0.5, 0.0], bins: 10);
        Assert.Equal(10, bins.Count);
        Assert.Equal(1, bins[9].Count);
        Assert.Equal(1, bins[5].Count);
        Assert.Equal(1, bins[0].Count);
        Assert.Equal(1.0, bins[0].FractionPositive);
        Assert.True(double.IsNaN(bins[3].MeanScore));
    }

    [Fact]
    public void Should_Throw_When_ScoreNotProbability()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Brier([0, 1], [0.1, 1.2]));
    }
}
