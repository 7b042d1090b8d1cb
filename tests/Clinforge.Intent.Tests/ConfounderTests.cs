using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Things the model must not rely on are extracted as noun phrases with source "unknown".</summary>
public sealed class ConfounderTests
{
    [Theory]
    [InlineData("Classify pneumothorax, but don't rely on chest drains", "chest drains")]
    [InlineData("Classify pneumothorax; do not rely on chest drains, focus on the lung edge.", "chest drains")]
    [InlineData("Pneumothorax or not. It should not rely on the presence of chest tubes when reading.", "chest tubes")]
    [InlineData("Pneumothorax or not, and don't be fooled by ECG leads.", "ecg leads")]
    [InlineData("Pneumothorax or not; ignore the skin folds", "skin folds")]
    [InlineData("Pneumothorax or not. The chest drains should not be what the model looks at.", "chest drains")]
    [InlineData("Pneumothorax or not; chest drains shouldn't matter", "chest drains")]
    public void Should_ExtractOneConfounder_When_RequestNamesSomethingToIgnore(string request, string expected)
    {
        // When
        var spec = Parse(request, "no_pneumothorax", "pneumothorax");

        // Then
        Assert.Equal([new Confounder(expected, "unknown")], spec.Confounders);
        Assert.NotEqual("default", spec.Provenance["confounders"]);
        Assert.Contains($"It must not rely on {expected}.", spec.Restatement);
    }

    [Fact]
    public void Should_ExtractEveryListedConfounder_When_RequestListsSeveral()
    {
        // When
        var spec = Parse("Don't be fooled by rulers, pen marks or hair in the image. Tell MEL from NV.", "MEL", "NV");

        // Then
        Assert.Equal(
            [new Confounder("rulers", "unknown"), new Confounder("pen marks", "unknown"), new Confounder("hair", "unknown")],
            spec.Confounders);
        Assert.Equal("Don't be fooled by rulers, pen marks or hair", spec.Provenance["confounders"]);
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.EndsWith("It must not rely on rulers, pen marks or hair.", spec.Restatement);
    }

    [Theory]
    [InlineData("Tell melanoma from nevus")]
    [InlineData("Tell melanoma from nevus; don't ignore small melanomas")]
    public void Should_HaveNoConfounders_When_NoneAreNamed(string request)
    {
        // When
        var spec = Parse(request, "melanoma", "nevus");

        // Then
        Assert.Empty(spec.Confounders);
        Assert.Equal("default", spec.Provenance["confounders"]);
    }

    [Fact]
    public void Should_NotTreatConfounderWordsAsTargets_When_ConfounderIsACondition()
    {
        // Given "fractures" is a lexicon condition that the dataset lacks, but it is named as a confounder

        // When
        var spec = Parse("Tell pneumonia from normal; don't be fooled by old rib fractures.", "normal", "pneumonia");

        // Then
        Assert.Equal([new Confounder("old rib fractures", "unknown")], spec.Confounders);
        Assert.Equal("pneumonia", spec.PositiveClass);
    }
}
