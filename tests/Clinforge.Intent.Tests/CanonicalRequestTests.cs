using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>The requests the lead and the seed study use, with every spec field checked.</summary>
public sealed class CanonicalRequestTests
{
    [Fact]
    public void Should_MatchBothLikeClasses_When_RequestTellsMelanomaFromNevus()
    {
        // Given dataset classes with a "_like" suffix
        string[] classes = ["melanoma_like", "nevus_like"];

        // When
        var spec = Parse("tell melanoma from nevus", classes);

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.Equal(classes, spec.Classes);
        Assert.Equal("melanoma_like", spec.PositiveClass);
        Assert.Empty(spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.False(spec.Localize);
        Assert.Empty(spec.Confounders);
        Assert.Null(spec.Supervision);
        Assert.Equal("melanoma … nevus", spec.Provenance["classes"]);
        Assert.Equal("melanoma", spec.Provenance["positive_class"]);
        Assert.Equal("default", spec.Provenance["error_preference"]);
        Assert.Equal("default", spec.Provenance["primary_metric"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal("error_preference", question.Field);
        Assert.Equal("balanced", question.Default);
        Assert.Equal(
            "I understood: a model that tells melanoma like from nevus like; both kinds of error count the same, so I will maximise the area under the ROC curve (AUC).",
            spec.Restatement);
    }

    [Fact]
    public void Should_MaximiseSensitivityForPneumonia_When_ScreeningAndAskedNotToMissPneumonia()
    {
        // Given
        const string request = "Pneumonia screening on children's chest X-rays; don't miss pneumonia.";

        // When
        var spec = Parse(request, "normal", "pneumonia");

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.Equal(["normal", "pneumonia"], spec.Classes);
        Assert.Equal("pneumonia", spec.PositiveClass);
        Assert.Equal(["pneumonia"], spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.80), spec.OperatingPoint);
        Assert.False(spec.Localize);
        Assert.Empty(spec.Confounders);
        Assert.Null(spec.Supervision);
        Assert.Equal("default", spec.Provenance["task"]);
        Assert.Equal("Pneumonia", spec.Provenance["classes"]);
        Assert.Equal("don't miss pneumonia", spec.Provenance["positive_class"]);
        Assert.Equal("don't miss pneumonia", spec.Provenance["priority_classes"]);
        Assert.Equal("screening … don't miss", spec.Provenance["error_preference"]);
        Assert.Equal("screening … don't miss", spec.Provenance["primary_metric"]);
        Assert.Equal("default", spec.Provenance["operating_point"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal("operating_point", question.Field);
        Assert.Contains("Is 80% specificity the right constraint?", question.Question);
        Assert.Equal("0.80", question.Default);
        Assert.Equal(
            "I understood: a model that tells pneumonia from normal; missing pneumonia costs more than a false alarm, so I will maximise sensitivity while keeping specificity at or above 80%.",
            spec.Restatement);
    }

    [Fact]
    public void Should_PickMalignantAsPositive_When_AskedToFindBreastCancerOnUltrasound()
    {
        // Given "cancer" is a synonym of the class "malignant"; "on ultrasound" names a modality, not a place on the image

        // When
        var spec = Parse("Find breast cancer on ultrasound", "malignant", "normal_or_benign");

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.False(spec.Localize);
        Assert.Equal(["malignant", "normal_or_benign"], spec.Classes);
        Assert.Equal("malignant", spec.PositiveClass);
        Assert.Empty(spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.Empty(spec.Confounders);
        Assert.Equal("cancer", spec.Provenance["positive_class"]);
        Assert.Equal("default", spec.Provenance["task"]);
        Assert.Equal("error_preference", Assert.Single(spec.Questions).Field);
        Assert.StartsWith("I understood: a model that tells malignant from normal or benign;", spec.Restatement);
    }

    [Fact]
    public void Should_BuildMulticlassTaskWithMelanomaPriority_When_PriorityIsGivenToMelanoma()
    {
        // Given HAM10000-style class codes
        string[] classes = ["BCC", "MEL", "NV", "BKL"];

        // When
        var spec = Parse("I want an AI model to help diagnose skin lesions. Priority should be given to melanoma.", classes);

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.Equal(classes, spec.Classes);
        Assert.Null(spec.PositiveClass);
        Assert.Equal(["MEL"], spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.MacroAuc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.False(spec.Localize);
        Assert.Empty(spec.Confounders);
        Assert.Equal("diagnose", spec.Provenance["task"]);
        Assert.Equal("melanoma", spec.Provenance["classes"]);
        Assert.Equal("Priority should be given to melanoma", spec.Provenance["priority_classes"]);
        Assert.Equal("default", spec.Provenance["positive_class"]);
        Assert.Equal("default", spec.Provenance["primary_metric"]);
        Assert.Empty(spec.Questions);
        Assert.Equal(
            "I understood: a model that sorts each image into one of 4 classes (BCC, MEL, NV and BKL), paying most attention to MEL; I will maximise the average one-vs-rest area under the ROC curve over the classes (macro AUC).",
            spec.Restatement);
    }

    [Fact]
    public void Should_MaximiseSensitivityAtEightyPercentSpecificity_When_AskedNotToMissASingleCase()
    {
        // Given the seed study's request
        const string request = "I want to have an AI model to help me distinguish melanoma from nevus. Please try your best to not miss a single case.";

        // When
        var spec = Parse(request, "melanoma", "nevus");

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.Equal(["melanoma", "nevus"], spec.Classes);
        Assert.Equal("melanoma", spec.PositiveClass);
        Assert.Empty(spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.80), spec.OperatingPoint);
        Assert.False(spec.Localize);
        Assert.Empty(spec.Confounders);
        Assert.Equal("distinguish", spec.Provenance["task"]);
        Assert.Equal("melanoma", spec.Provenance["positive_class"]);
        Assert.Equal("not miss a single case", spec.Provenance["error_preference"]);
        Assert.Equal("default", spec.Provenance["operating_point"]);
        var question = Assert.Single(spec.Questions);
        Assert.Equal(("operating_point", "0.80"), (question.Field, question.Default));
        Assert.Equal(
            "I understood: a model that tells melanoma from nevus; missing melanoma costs more than a false alarm, so I will maximise sensitivity while keeping specificity at or above 80%.",
            spec.Restatement);
    }

    [Fact]
    public void Should_RecordChestDrainsAsConfounder_When_AskedNotToRelyOnThem()
    {
        // When
        var spec = Parse("Classify pneumothorax, but don't rely on chest drains", "no_pneumothorax", "pneumothorax");

        // Then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.Equal(["no_pneumothorax", "pneumothorax"], spec.Classes);
        Assert.Equal("pneumothorax", spec.PositiveClass);
        Assert.Empty(spec.PriorityClasses);
        Assert.Equal(ErrorPreference.Balanced, spec.ErrorPreference);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.False(spec.Localize);
        Assert.Equal([new Confounder("chest drains", "unknown")], spec.Confounders);
        Assert.Equal("Classify", spec.Provenance["task"]);
        Assert.Equal("don't rely on chest drains", spec.Provenance["confounders"]);
        Assert.Equal("pneumothorax", spec.Provenance["positive_class"]);
        Assert.EndsWith("It must not rely on chest drains.", spec.Restatement);
    }

    [Theory]
    [InlineData("Classify pneumothorax on chest radiographs, but do not let the model rely on chest drains, which are inserted after diagnosis.", "not let the model rely on chest drains")]
    [InlineData("Classify pneumothorax, and don't allow the network to depend on chest drains.", "don't allow the network to depend on chest drains")]
    public void Should_RecordChestDrainsAsConfounder_When_TheModelMustNotBeLetRelyOnThem(string request, string source)
    {
        // When the seed wording ("do not let the model rely on ...") is parsed
        var spec = Parse(request, "no_pneumothorax", "pneumothorax");

        // Then the drains are the confounder, quoted from those words
        Assert.Equal([new Confounder("chest drains", "unknown")], spec.Confounders);
        Assert.Equal(source, spec.Provenance["confounders"]);
    }
}
