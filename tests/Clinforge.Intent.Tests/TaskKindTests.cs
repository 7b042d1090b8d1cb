using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Classification by default; detection and segmentation only when asked for, and not when the ask is negated.</summary>
public sealed class TaskKindTests
{
    [Theory]
    [InlineData("Mark the fractures on each X-ray", "Mark")]
    [InlineData("Draw boxes around every fracture", "boxes")]
    [InlineData("Show me where the fracture is", "Show me where")]
    [InlineData("Highlight any fracture you see", "Highlight")]
    [InlineData("Point out the fractures for the registrar", "Point out")]
    [InlineData("Localise the fracture", "Localise")]
    [InlineData("Please localize fractures on wrist films", "localize")]
    [InlineData("Find the fracture on the image", "Find the fracture on the image")]
    public void Should_ChooseDetection_When_RequestAsksToShowWhere(string request, string cue)
    {
        // When
        var spec = Parse(request, "normal", "fracture");

        // Then
        Assert.Equal(TaskKind.Detection, spec.Task);
        Assert.True(spec.Localize);
        Assert.Equal(cue, spec.Provenance["task"]);
        Assert.Equal(cue, spec.Provenance["localize"]);
        Assert.Equal("fracture", spec.PositiveClass);
        Assert.Contains("marks where it is on each image", spec.Restatement);
    }

    [Theory]
    [InlineData("Outline the tumours and measure their area", "Outline … measure their area")]
    [InlineData("Delineate the tumor margins", "Delineate")]
    [InlineData("Segment every tumour", "Segment")]
    [InlineData("Measure the tumour volume", "Measure the tumour volume")]
    public void Should_ChooseSegmentation_When_RequestAsksForOutlineOrArea(string request, string cue)
    {
        // When
        var spec = Parse(request, "normal", "tumor");

        // Then
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.True(spec.Localize);
        Assert.Equal(cue, spec.Provenance["task"]);
        Assert.Equal("tumor", spec.PositiveClass);
        Assert.Contains("outlines it on each image", spec.Restatement);
    }

    [Theory]
    [InlineData("Is there pneumonia? Yes/no, no need to point to it.", "Yes/no")]
    [InlineData("Pneumonia or not; I don't need boxes.", "default")]
    [InlineData("Tell pneumonia from normal, no need to localise it", "Tell pneumonia from")]
    [InlineData("Classify pneumonia, don't rely on pen marks", "Classify")]
    [InlineData("I don't want a black box; just say whether there is pneumonia", "whether")]
    public void Should_StayClassification_When_LocalisationIsNegatedOrNotAsked(string request, string cue)
    {
        // When
        var spec = Parse(request, "normal", "pneumonia");

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.False(spec.Localize);
        Assert.Equal(cue, spec.Provenance["task"]);
    }

    [Fact]
    public void Should_PreferSegmentation_When_RequestAsksBothToMarkAndOutline()
    {
        // When
        var spec = Parse("Mark the lesion and outline its border", "nevus", "melanoma");

        // Then
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.True(spec.Localize);
        Assert.Equal("outline", spec.Provenance["task"]);
    }
}
