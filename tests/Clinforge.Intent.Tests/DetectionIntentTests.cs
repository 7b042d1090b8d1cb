using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>A request for fractures gets one fracture class even when the data names body parts.</summary>
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

    [Fact]
    public void Should_RecordTheAnswerAndSayClassesAreKeptApart_When_ClinicianAnswersKeepBodyPartsApart()
    {
        // given: the seed request on bone-fracture data, with its open "classes" question
        var spec = DetectionIntent.Parse(Parser, Seed, BoneFracture);

        // when: the clinician answers "body parts", or keeps the default
        var apart = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "body parts" });
        var merged = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "one class: fracture" });

        // then: the finding still names the task; the answer is recorded (the initializer trains the data's classes
        // from it) and explained as per-class detection, the question closed; the merged answer says one class
        Assert.Equal(["fracture"], apart.Classes);
        Assert.Equal(SpecAnswers.PerSourceClassRequested, apart.ClassHandling);
        Assert.Equal("answer: body parts", apart.Provenance["classes"]);
        Assert.DoesNotContain(apart.Questions, q => q.Field == "classes");
        Assert.Contains("learns each of the data's classes separately", SpecAnswers.ClassHandlingNote(apart), StringComparison.Ordinal);
        Assert.Contains("per class", apart.Restatement, StringComparison.Ordinal);
        Assert.DoesNotContain("metadata", apart.Restatement, StringComparison.Ordinal);
        Assert.Equal("merged", merged.ClassHandling);
        Assert.Contains("one 'fracture' class", merged.Restatement, StringComparison.Ordinal);
        Assert.DoesNotContain("per class", merged.Restatement, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_AskOnlyDetectionQuestions_When_SeedRequestIsParsedForDetection()
    {
        // given: the seed request ("less likely to be missed"), which the classification parser reads as
        // sensitivity at a default 80% specificity and asks about that operating point
        var classification = Parser.Parse(Seed, ["normal", "fracture"]);
        Assert.Contains(classification.Questions, q => q.Field == "operating_point");

        // when
        var spec = DetectionIntent.Parse(Parser, Seed, BoneFracture);

        // then: no specificity operating point, no positive-class or metric question; the objective is F2 at IoU 0.5
        Assert.DoesNotContain(spec.Questions, q => DetectionIntent.ClassificationOnlyQuestions.Contains(q.Field) && q.Field != "classes");
        Assert.DoesNotContain(spec.Questions, q => q.Question.Contains("specificity", StringComparison.OrdinalIgnoreCase));
        Assert.Null(spec.OperatingPoint);
        Assert.Equal(DetectionMetricNames.F2, spec.PrimaryMetric);
        Assert.All(spec.Questions, q => Assert.Contains(q.Field, new[] { "classes", "error_preference", "confounders", "supervision", "budget", "localize" }));
    }

    [Fact]
    public void Should_KeepADetectionObjective_When_DetectionSpecGetsErrorPreferenceOrOperatingPointAnswers()
    {
        // given: the seed detection spec (recall first: F2)
        var spec = DetectionIntent.Parse(Parser, Seed, BoneFracture);

        // when: the clinician answers balanced, then sensitivity; and tries a specificity operating point
        var balanced = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["error_preference"] = "balanced" });
        var sensitive = SpecAnswers.Apply(balanced, new Dictionary<string, string> { ["error_preference"] = "sensitivity" });
        var point = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["operating_point"] = "specificity=0.8" }));

        // then: detection metrics only, never a classification operating point
        Assert.Equal(DetectionMetricNames.Map50, balanced.PrimaryMetric);
        Assert.Null(balanced.OperatingPoint);
        Assert.Equal(DetectionMetricNames.F2, sensitive.PrimaryMetric);
        Assert.Null(sensitive.OperatingPoint);
        Assert.Contains("error_preference", point.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RejectTheAnswer_When_ClassesAnswerIsUnclearOrTaskIsClassification()
    {
        // given: the seed detection spec and a classification spec
        var spec = DetectionIntent.Parse(Parser, Seed, BoneFracture);
        var classification = spec with { Task = TaskKind.Classification };

        // when / then: an unclear answer names the two accepted ones; classification points to class_groups
        var unclear = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "maybe" }));
        Assert.Contains("'body parts'", unclear.Message, StringComparison.Ordinal);
        var wrongTask = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(classification, new Dictionary<string, string> { ["classes"] = "body parts" }));
        Assert.Contains("class_groups", wrongTask.Message, StringComparison.Ordinal);
    }
}
