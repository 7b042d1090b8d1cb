using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Which error costs more, with negation and scope.</summary>
public sealed class ErrorPreferenceTests
{
    [Theory]
    [InlineData("Tell pneumonia from normal; don't miss pneumonia", "don't miss")]
    [InlineData("Do not miss any pneumonia", "not miss any")]
    [InlineData("We use it to rule out pneumonia", "rule out")]
    [InlineData("A screening tool for pneumonia", "screening")]
    [InlineData("It is better to over-call pneumonia", "better to over-call")]
    [InlineData("A missed case costs far more than a recall", "missed case costs")]
    [InlineData("Pneumonia should be less likely to be missed", "less likely to be missed")]
    [InlineData("Catch every pneumonia", "Catch every")]
    [InlineData("I need high sensitivity", "high sensitivity")]
    [InlineData("I don't mind a few false alarms", "don't mind a few false alarms")]
    public void Should_FavourSensitivity_When_MissesAreWorse(string request, string cue)
    {
        // When
        var spec = Parse(request, "normal", "pneumonia");

        // Then
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Contains(cue, spec.Provenance["error_preference"]);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.80), spec.OperatingPoint);
        Assert.Equal("pneumonia", spec.PositiveClass);
    }

    [Theory]
    [InlineData("Tell melanoma from nevus and avoid unnecessary biopsies", "avoid unnecessary biopsies")]
    [InlineData("We want to avoid unnecessary operations", "avoid unnecessary operations")]
    [InlineData("Confirm melanoma before surgery", "Confirm melanoma before surgery")]
    [InlineData("Precision matters here", "Precision matters")]
    [InlineData("Few false alarms, please", "Few false alarms")]
    [InlineData("It needs high specificity", "high specificity")]
    [InlineData("Help us avoid overdiagnosis of melanoma", "avoid overdiagnosis")]
    [InlineData("We would rather not send people for unnecessary excisions", "unnecessary excisions")]
    public void Should_FavourSpecificity_When_FalseAlarmsAreWorse(string request, string cue)
    {
        // When
        var spec = Parse(request, "melanoma", "nevus");

        // Then
        Assert.Equal(ErrorPreference.Specificity, spec.ErrorPreference);
        Assert.Equal(cue, spec.Provenance["error_preference"]);
        Assert.Equal(Metrics.SpecificityAtSensitivity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("specificity", "sensitivity", 0.90), spec.OperatingPoint);
        Assert.Equal("default", spec.Provenance["operating_point"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal(("operating_point", "0.90"), (question.Field, question.Default));
        Assert.Contains("a false alarm costs more than missing melanoma", spec.Restatement);
        Assert.Contains("keeping sensitivity at or above 90%", spec.Restatement);
    }

    [Fact]
    public void Should_NotFavourSensitivity_When_ClinicianDoesNotCareAboutMissingAFew()
    {
        // When
        var spec = Parse("Tell melanoma from nevus; I don't care about missing a few.", "melanoma", "nevus");

        // Then
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.Equal("don't care about missing", spec.Provenance["error_preference"]);
        Assert.Equal("default", spec.Provenance["primary_metric"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal("error_preference", question.Field);
        Assert.Contains("favour specificity", question.Question);
    }

    [Fact]
    public void Should_FavourSpecificity_When_MissesAreToleratedAndBiopsiesAvoided()
    {
        // When
        var spec = Parse("Tell melanoma from nevus. I don't care about missing a few, but avoid unnecessary biopsies.", "melanoma", "nevus");

        // Then
        Assert.Equal(ErrorPreference.Specificity, spec.ErrorPreference);
        Assert.Equal("avoid unnecessary biopsies", spec.Provenance["error_preference"]);
    }

    [Theory]
    [InlineData("Screening is not the goal; tell pneumonia from normal.")]
    [InlineData("This is not a screening tool.")]
    [InlineData("We are not trying to rule out pneumonia.")]
    [InlineData("High sensitivity is not needed.")]
    public void Should_StayBalanced_When_SensitivityCueIsNegated(string request)
    {
        // When
        var spec = Parse(request, "normal", "pneumonia");

        // Then
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.Equal("default", spec.Provenance["error_preference"]);
        Assert.Equal("error_preference", Assert.Single(spec.Questions).Field);
    }

    [Fact]
    public void Should_StayBalancedAndAsk_When_SensitivityAndSpecificityCuesTie()
    {
        // When
        var spec = Parse("Don't miss pneumonia, but avoid unnecessary treatment.", "normal", "pneumonia");

        // Then
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Equal("Don't miss … avoid unnecessary treatment", spec.Provenance["error_preference"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal("error_preference", question.Field);
        Assert.Contains("which matters more", question.Question);
    }

    [Fact]
    public void Should_StayBalancedWithoutQuestion_When_ClinicianAsksForBalance()
    {
        // When
        var spec = Parse("Tell pneumonia from normal; both errors matter equally, keep it balanced.", "normal", "pneumonia");

        // Then
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Equal("both errors matter … balanced", spec.Provenance["error_preference"]);
        Assert.Equal("both errors matter … balanced", spec.Provenance["primary_metric"]);
        Assert.Empty(spec.Questions);
    }
}
