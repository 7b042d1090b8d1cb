namespace Clinforge.Evaluation.Tests;

/// <summary>
/// Reference values: erfc and Φ evaluated in 80-digit decimal arithmetic from the erf Maclaurin series
/// at the exact binary value of each argument (agreeing with libm's erfc to the last digit); quantiles
/// from CPython's statistics.NormalDist.inv_cdf, which is Wichura's AS 241, an algorithm independent
/// of the Acklam + Halley one under test.
/// </summary>
public sealed class NormalTests
{
    [Theory]
    [InlineData(0.1, 0.887537083981715)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(0.9999, 0.15734072195124052)] // last point of the series branch
    [InlineData(1.0, 0.15729920705028513)] // first point of the continued fraction
    [InlineData(2.0, 0.004677734981047266)]
    [InlineData(2.5, 0.0004069520174449589)]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.537459794428035e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(-1.0, 1.8427007929497148)]
    [InlineData(-3.0, 1.9999779095030015)]
    public void Should_MatchHighPrecisionErfc_When_EvaluatedAcrossBothBranches(double x, double expected)
    {
        // given x; when
        var actual = Normal.Erfc(x);
        // then: relative error far below the 1e-7 required
        Assert.True(Math.Abs(actual - expected) <= 1e-13 * expected, $"erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(1.96, 0.9750021048517795)]
    [InlineData(-1.96, 0.024997895148220435)]
    [InlineData(0.0, 0.5)]
    [InlineData(-5.0, 2.866515718791939e-07)]
    [InlineData(3.2, 0.9993128620620841)]
    public void Should_MatchHighPrecisionCdf_When_GivenZ(double z, double expected)
    {
        var actual = Normal.Cdf(z);
        Assert.True(Math.Abs(actual - expected) <= 1e-13 * expected, $"Φ({z}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(0.975, 1.9599639845400536)]
    [InlineData(0.025, -1.9599639845400538)]
    [InlineData(0.8, 0.8416212335729144)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.02, -2.0537489106318225)]
    [InlineData(1e-10, -6.361340902404056)]
    [InlineData(0.999999, 4.753424308817089)]
    public void Should_MatchAs241Quantile_When_GivenProbability(double p, double expected)
    {
        var actual = Normal.Quantile(p);
        Assert.Equal(expected, actual, 1e-11);
    }

    [Fact]
    public void Should_ReturnInfinitiesAndNaN_When_ProbabilityAtOrOutsideBounds()
    {
        Assert.Equal(double.NegativeInfinity, Normal.Quantile(0));
        Assert.Equal(double.PositiveInfinity, Normal.Quantile(1));
        Assert.True(double.IsNaN(Normal.Quantile(1.5)));
        Assert.True(double.IsNaN(Normal.Erfc(double.NaN)));
    }

    [Fact]
    public void Should_GiveTwoSidedPOfFivePercent_When_ZIs1Point96()
    {
        // 2·(1 − 0.9750021048517796) = 0.0499957902964…
        Assert.Equal(0.04999579029644087, Normal.TwoSidedP(1.96), 1e-15);
        Assert.Equal(Normal.TwoSidedP(1.96), Normal.TwoSidedP(-1.96));
        Assert.Equal(1.0, Normal.TwoSidedP(0));
    }
}
