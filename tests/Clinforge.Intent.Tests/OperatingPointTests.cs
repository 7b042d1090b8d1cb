using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Explicit figures override the default operating point; multiclass tasks have none.</summary>
public sealed class OperatingPointTests
{
    [Fact]
    public void Should_UseStatedSpecificity_When_RequestSaysAtNinetyPercentSpecificity()
    {
        // When
        var spec = Parse("Tell pneumonia from normal; don't miss pneumonia, at 90% specificity.", "normal", "pneumonia");

        // Then
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.90), spec.OperatingPoint);
        Assert.Equal("at 90% specificity", spec.Provenance["operating_point"]);
        Assert.Equal("at 90% specificity", spec.Provenance["primary_metric"]);
        Assert.DoesNotContain(spec.Questions, q => q.Field == "operating_point");
        Assert.EndsWith("keeping specificity at or above 90%.", spec.Restatement);
    }

    [Fact]
    public void Should_HoldSensitivityFloor_When_RequestAsksForSensitivityOfAtLeastNinetyFivePercent()
    {
        // When
        var spec = Parse("Melanoma vs naevi: I need a sensitivity of at least 95%.", "melanoma", "nevus");

        // Then
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(Metrics.SpecificityAtSensitivity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("specificity", "sensitivity", 0.95), spec.OperatingPoint);
        Assert.Equal("sensitivity of at least 95%", spec.Provenance["operating_point"]);
        Assert.Equal("sensitivity of at least 95%", spec.Provenance["error_preference"]);
        Assert.Equal("melanoma", spec.PositiveClass);
        Assert.Empty(spec.Questions);
        Assert.Contains("I will maximise specificity while keeping sensitivity at or above 95%", spec.Restatement);
    }

    [Theory]
    [InlineData("Don't miss melanoma; specificity ≥ 0.85", 0.85)]
    [InlineData("Don't miss melanoma; keep specificity above 85%", 0.85)]
    [InlineData("Don't miss melanoma at a specificity of 92.5 percent", 0.925)]
    public void Should_ReadTheFigure_When_SpecificityFloorIsWrittenDifferently(string request, double expected)
    {
        // When
        var spec = Parse(request, "melanoma", "nevus");

        // Then
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", expected), spec.OperatingPoint);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
    }

    [Fact]
    public void Should_HaveNoOperatingPointAndAsk_When_MulticlassRequestGivesAFigure()
    {
        // When
        var spec = Parse("Sort the lesions, at 90% specificity.", "BCC", "MEL", "NV", "BKL");

        // Then
        Assert.Equal(Metrics.MacroAuc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.Null(spec.PositiveClass);
        Assert.Equal("default", spec.Provenance["operating_point"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal(("operating_point", "none"), (question.Field, question.Default));
    }
}
