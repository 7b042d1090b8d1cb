using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Issue 7: a request for fractures gets one fracture class even when the data names body parts.</summary>
public sealed class DetectionIntentTests
{
    private const string Seed = "I need a tool that can look at wrist X-rays and help me find fractures. Ideally, it should mark suspicious fractures on images during my workflow so they are less likely to be missed.";

    private static readonly DetectionSummary BoneFracture = new()
    {
        LabelFormat = "polygon",
        SourceClasses = ["elbow positive", "fingers positive", "forearm fracture", "humerus fracture", "humerus", "shoulder fracture", "wrist positive"],
        Negatives = 2000, PositivesWithBoxes = 1500, PositivesImageLevelOnly = 0, Boxes = 1700,
    };

    [Fact]
    public void Should_MapBodyPartClassesToOneFractureClass_When_SeedRequestMeetsBoneFractureData()
    {
        // given: the seed request and the bone-fracture supervision summary
        // when
        var spec = DetectionIntent.Parse(Parser, Seed, BoneFracture);

        // then
        Assert.Equal(TaskKind.Detection, spec.Task);
        Assert.True(spec.Localize);
        Assert.Equal(["fracture"], spec.Classes);
        Assert.Equal("fracture", spec.PositiveClass);
        var q = Assert.Single(spec.Questions, q => q.Field == "classes");
        Assert.Contains("elbow positive", q.Question, StringComparison.Ordinal);
        Assert.Contains("one 'fracture' class", q.Question, StringComparison.Ordinal);
        Assert.Equal("one class: fracture", q.Default);
        // "less likely to be missed": recall first at the operating point
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(DetectionMetricNames.F2, spec.PrimaryMetric);
    }

    [Fact]
    public void Should_UseMap50_When_RequestStatesNoErrorPreference()
    {
        // given: a request without an error preference
        // when
        var spec = DetectionIntent.Parse(Parser, "Draw boxes around lung nodules on these CT slices.", BoneFracture with { SourceClasses = ["nodule"] });

        // then
        Assert.Equal(["nodule"], spec.Classes);
        Assert.DoesNotContain(spec.Questions, q => q.Field == "classes");
        Assert.Equal(DetectionMetricNames.Map50, spec.PrimaryMetric);
    }
}
