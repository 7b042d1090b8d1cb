namespace Clinforge.Evaluation.Tests;

public sealed class ConfusionTests
{
    [Fact]
    public void Should_ComputeClinicalRates_When_AllCellsFilled()
    {
        // given Tp=8, Fp=2, Tn=18, Fn=4 (12 diseased, 20 healthy)
        var c = new Confusion(Tp: 8, Fp: 2, Tn: 18, Fn: 4);

        // then, by hand:
        Assert.Equal(32, c.Total);
        Assert.Equal(8.0 / 12, c.Sensitivity, 15);
        Assert.Equal(18.0 / 20, c.Specificity, 15);
        Assert.Equal(8.0 / 10, c.Ppv, 15);
        Assert.Equal(18.0 / 22, c.Npv, 15);
        Assert.Equal(16.0 / 22, c.F1, 15); // 2·8 / (2·8 + 2 + 4)
        Assert.Equal(26.0 / 32, c.Accuracy, 15);
        Assert.Equal((8.0 / 12 + 0.9) / 2, c.BalancedAccuracy, 15); // 0.78333…
    }

    [Fact]
    public void Should_ReturnNaN_When_RateUndefined()
    {
        // given no diseased cases and nothing called positive
        var c = new Confusion(0, 0, 5, 0);
        Assert.True(double.IsNaN(c.Sensitivity));
        Assert.True(double.IsNaN(c.Ppv));
        Assert.True(double.IsNaN(c.F1));
        Assert.True(double.IsNaN(c.BalancedAccuracy));
        Assert.Equal(1.0, c.Specificity);
        Assert.Equal(1.0, c.Accuracy);
        Assert.True(double.IsNaN(new Confusion(0, 0, 0, 0).Accuracy));
    }

    [Fact]
    public void Should_Throw_When_CountNegative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Confusion(1, -1, 0, 0));
    }
}
