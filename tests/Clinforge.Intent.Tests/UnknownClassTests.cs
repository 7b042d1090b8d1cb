using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>A request that names a condition the data lacks fails with a message that says what to do.</summary>
public sealed class UnknownClassTests
{
    [Fact]
    public void Should_ThrowNamingWordAndClasses_When_RequestedConditionIsNotInDataset()
    {
        // When
        var error = Assert.Throws<ClinforgeException>(() => Parse("detect pneumothorax", "normal", "pneumonia"));

        // Then
        Assert.Contains("'pneumothorax'", error.Message);
        Assert.Contains("normal, pneumonia", error.Message);
        Assert.Contains("Rephrase the request", error.Message);
        Assert.Contains("point Clinforge at a dataset", error.Message);
        Assert.NotEqual(0, error.ExitCode);
    }

    [Theory]
    [InlineData("Find TB on chest films", "'TB'")]
    [InlineData("Don't miss a PTX", "'PTX'")]
    [InlineData("Tell pneumonia from effusions", "'effusions'")]
    public void Should_QuoteTheClinicianWords_When_SynonymMatchesNoClass(string request, string quoted)
    {
        // When
        var error = Assert.Throws<ClinforgeException>(() => Parse(request, "normal", "pneumonia"));

        // Then
        Assert.Contains(quoted, error.Message);
    }

    [Theory]
    [InlineData("I want a good model for these chest images, and please be careful with children.")]
    [InlineData("Tell pneumonia from normal, not pneumothorax.")]
    [InlineData("Pneumonia only, other than tuberculosis which we handle elsewhere.")]
    [InlineData("Help me read these films; any abnormality matters to me.")]
    public void Should_NotThrow_When_RequestNamesNoMissingTarget(string request)
    {
        // When
        var spec = Parse(request, "normal", "pneumonia");

        // Then
        Assert.Equal("pneumonia", spec.PositiveClass);
    }

    [Fact]
    public void Should_NotThrow_When_BroaderTermCoversAClass()
    {
        // Given "cancer" is broader than melanoma

        // When
        var spec = Parse("Catch every skin cancer", "MEL", "NV");

        // Then
        Assert.Equal("MEL", spec.PositiveClass);
        Assert.Equal(["MEL"], spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Should_Throw_When_RequestIsEmpty(string request)
    {
        var error = Assert.Throws<ClinforgeException>(() => Parse(request, "normal", "pneumonia"));
        Assert.Contains("request is empty", error.Message);
    }

    [Fact]
    public void Should_Throw_When_DatasetHasNoClasses()
    {
        var error = Assert.Throws<ClinforgeException>(() => Parse("Tell pneumonia from normal"));
        Assert.Contains("no classes", error.Message);
    }

    [Fact]
    public void Should_Throw_When_ClassificationDatasetHasOneClass()
    {
        var error = Assert.Throws<ClinforgeException>(() => Parse("Classify pneumonia", "pneumonia"));
        Assert.Contains("at least two", error.Message);
    }

    [Fact]
    public void Should_AcceptOneClass_When_TaskIsDetection()
    {
        // When
        var spec = Parse("Mark every fracture", "fracture");

        // Then
        Assert.Equal(TaskKind.Detection, spec.Task);
        Assert.Equal("fracture", spec.PositiveClass);
    }
}
