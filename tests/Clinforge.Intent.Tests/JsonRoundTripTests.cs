using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>The produced spec survives task_spec.json unchanged (Clinforge.Core.Json conventions).</summary>
public sealed class JsonRoundTripTests
{
    [Fact]
    public void Should_RoundTripEveryField_When_SpecIsWrittenAndReadWithCoreJson()
    {
        // Given a spec with an operating point, a priority, a confounder and a question
        var spec = Parse(
            "Pneumonia screening on children's chest X-rays; don't miss pneumonia, and don't rely on chest drains.",
            "normal", "pneumonia");

        // When
        var json = Json.Serialize(spec);
        var back = Json.Deserialize<TaskSpec>(json, "task_spec.json");

        // Then
        Assert.Contains("\"error_preference\": \"sensitivity\"", json);
        Assert.Contains("\"primary_metric\": \"sensitivity_at_specificity\"", json);
        Assert.Contains("\"constraint_value\": 0.8", json);
        Assert.Equal(spec.SchemaVersion, back.SchemaVersion);
        Assert.Equal(spec.Request, back.Request);
        Assert.Equal(spec.Task, back.Task);
        Assert.Equal(spec.Classes, back.Classes);
        Assert.Equal(spec.PositiveClass, back.PositiveClass);
        Assert.Equal(spec.PriorityClasses, back.PriorityClasses);
        Assert.Equal(spec.ErrorPreference, back.ErrorPreference);
        Assert.Equal(spec.PrimaryMetric, back.PrimaryMetric);
        Assert.Equal(spec.OperatingPoint, back.OperatingPoint);
        Assert.Equal(spec.Localize, back.Localize);
        Assert.Equal(spec.Confounders, back.Confounders);
        Assert.Equal(spec.Supervision, back.Supervision);
        Assert.Equal(spec.Provenance, back.Provenance);
        Assert.Equal(spec.Questions, back.Questions);
        Assert.Equal(spec.Restatement, back.Restatement);
        Assert.Equal(json, Json.Serialize(back));
    }

    [Fact]
    public void Should_RoundTripNullOperatingPoint_When_TaskIsMulticlassDetection()
    {
        // Given
        var spec = Parse("Mark every lesion, especially melanoma", "BCC", "MEL", "NV");

        // When
        var back = Json.Deserialize<TaskSpec>(Json.Serialize(spec), "task_spec.json");

        // Then
        Assert.Equal(TaskKind.Detection, back.Task);
        Assert.True(back.Localize);
        Assert.Null(back.OperatingPoint);
        Assert.Null(back.PositiveClass);
        Assert.Equal(["MEL"], back.PriorityClasses);
        Assert.Equal(Metrics.MacroAuc, back.PrimaryMetric);
        Assert.Equal(spec.Provenance, back.Provenance);
    }
}
