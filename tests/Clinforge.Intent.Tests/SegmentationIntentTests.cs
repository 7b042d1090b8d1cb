using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>A segmentation request on mask data gets mask classes, an overlap objective and only mask questions.</summary>
public sealed class SegmentationIntentTests
{
    private static readonly string[] Binary = ["foreground"];
    private static readonly string[] LabelMap = ["label 1", "label 2"];

    [Fact]
    public void Should_OutlineOneVesselClassByDice_When_RequestAsksToOutlineRetinalVesselsOnBinaryMasks()
    {
        // given a request that names vessels and states no error preference, on binary masks
        // when
        var spec = SegmentationIntent.Parse(Parser, "Outline the retinal vessels", Binary);

        // then: one class named from the request, mean Dice, no classification operating point or question
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.True(spec.Localize);
        Assert.Equal(["vessel"], spec.Classes);
        Assert.Equal("vessel", spec.PositiveClass);
        Assert.Empty(spec.PriorityClasses);
        Assert.Equal(SegmentationMetricNames.Dice, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.Empty(spec.Requirements);
        Assert.Equal("retinal vessels", spec.Provenance["classes"]);
        Assert.DoesNotContain(spec.Questions, q => q.Question.Contains("specificity", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(spec.Questions, q => q.Field == "classes");
        Assert.Equal("Outline the retinal vessels on each image, pixel by pixel; validation objective mean Dice per image.", spec.Restatement);
        var preference = Assert.Single(spec.Questions, q => q.Field == "error_preference");
        Assert.Contains("missing part of the vessel, or outlining too much", preference.Question, StringComparison.Ordinal);
        Assert.Equal("balanced", preference.Default);
    }

    [Fact]
    public void Should_UseMeanPixelSensitivity_When_RequestSaysNotToMissAnyPartOfTheLesion()
    {
        // given a request that puts misses first
        // when
        var spec = SegmentationIntent.Parse(Parser, "Delineate the lesion; don't miss any part of it", Binary);

        // then: recall first is mean pixel sensitivity, never sensitivity at a specificity
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.Equal(["lesion"], spec.Classes);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(SegmentationMetricNames.Sensitivity, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.DoesNotContain(spec.Questions, q => q.Field is "operating_point" or "primary_metric" or "error_preference");
        Assert.DoesNotContain(spec.Questions, q => q.Question.Contains("specificity", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("mean pixel sensitivity per image", spec.Restatement, StringComparison.Ordinal);
        Assert.DoesNotContain("specificity", spec.Restatement, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Should_UseTheLabelNamesAndAskToNameThem_When_MasksAreALabelMap()
    {
        // given a request naming one structure, on masks with two labels
        // when
        var spec = SegmentationIntent.Parse(Parser, "Segment the tumour on each MRI slice", LabelMap);

        // then: the classes are the labels (one structure name cannot name two), no positive class, and a question
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.Equal(["label 1", "label 2"], spec.Classes);
        Assert.Null(spec.PositiveClass);
        Assert.Equal(SegmentationMetricNames.Dice, spec.PrimaryMetric);
        var q = Assert.Single(spec.Questions, q => q.Field == "classes");
        Assert.Contains("label 1 and label 2", q.Question, StringComparison.Ordinal);
        Assert.Contains("tumour", q.Question, StringComparison.Ordinal);
        Assert.Contains("Name them", q.Question, StringComparison.Ordinal);
        Assert.Equal("label 1, label 2", q.Default);
        Assert.Contains("averaged over the labels", spec.Restatement, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RenameTheLabels_When_ClinicianAnswersTheClassesQuestion()
    {
        // given the label-map spec and its "classes" question
        var spec = SegmentationIntent.Parse(Parser, "Segment the tumour on each MRI slice", LabelMap);

        // when the clinician names the labels, keeps the default, or gives the wrong number of names
        var named = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "tumour core, oedema" });
        var kept = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "label 1, label 2" });
        var wrong = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "tumour" }));

        // then the names replace the labels in order and the restatement uses them; a wrong count is refused
        Assert.Equal(["tumour core", "oedema"], named.Classes);
        Assert.DoesNotContain(named.Questions, q => q.Field == "classes");
        Assert.Contains("Outline tumour core and oedema on each image", named.Restatement, StringComparison.Ordinal);
        Assert.Equal(["label 1", "label 2"], kept.Classes);
        Assert.Contains("2 different names", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_KeepAMaskObjective_When_MaskSpecGetsErrorPreferenceMetricOrOperatingPointAnswers()
    {
        // given the vessel spec (mean Dice)
        var spec = SegmentationIntent.Parse(Parser, "Outline the retinal vessels", Binary);

        // when the clinician answers sensitivity, then balanced, asks for IoU, and tries a specificity operating point
        var sensitive = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["error_preference"] = "sensitivity" });
        var balanced = SpecAnswers.Apply(sensitive, new Dictionary<string, string> { ["error_preference"] = "balanced" });
        var iou = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["primary_metric"] = SegmentationMetricNames.Iou });
        var auc = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["primary_metric"] = Metrics.Auc }));
        var point = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["operating_point"] = "specificity=0.8" }));

        // then mask metrics only, never a classification operating point
        Assert.Equal(SegmentationMetricNames.Sensitivity, sensitive.PrimaryMetric);
        Assert.Null(sensitive.OperatingPoint);
        Assert.Contains("missing part of the vessel costs more than outlining too much", sensitive.Restatement, StringComparison.Ordinal);
        Assert.Equal(SegmentationMetricNames.Dice, balanced.PrimaryMetric);
        Assert.Null(balanced.OperatingPoint);
        Assert.Equal(SegmentationMetricNames.Iou, iou.PrimaryMetric);
        Assert.Contains("mean IoU per image", iou.Restatement, StringComparison.Ordinal);
        Assert.Contains(SegmentationMetricNames.Dice, auc.Message, StringComparison.Ordinal);
        Assert.Contains("error_preference", point.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_DropStatedRateFloorsAndSayWhy_When_RequestStatesASensitivity()
    {
        // given a request with an image-level rate floor
        // when
        var spec = SegmentationIntent.Parse(Parser, "Segment the polyps with at least 95% sensitivity.", Binary);

        // then the floor is gone from the spec, and the provenance says it was dropped
        Assert.Equal(["polyp"], spec.Classes);
        Assert.Empty(spec.Requirements);
        Assert.Null(spec.OperatingPoint);
        Assert.Contains("dropped for masks", spec.Provenance["requirements"], StringComparison.Ordinal);
        Assert.Contains("95%", spec.Provenance["requirements"], StringComparison.Ordinal);
        Assert.DoesNotContain(spec.Questions, q => q.Question.Contains("specificity", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Should_AskWhatTheMasksOutline_When_RequestNamesNoStructure()
    {
        // given a request that names no structure, on binary masks
        var spec = SegmentationIntent.Parse(Parser, "Segment these images pixel by pixel.", Binary);

        // when the clinician answers the question
        var named = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["classes"] = "gland" });

        // then the class is called "structure" until named, then takes the answered name
        Assert.Equal([SegmentationIntent.DefaultStructure], spec.Classes);
        Assert.Equal(SegmentationIntent.DefaultStructure, Assert.Single(spec.Questions, q => q.Field == "classes").Default);
        Assert.Equal(["gland"], named.Classes);
        Assert.Equal("gland", named.PositiveClass);
        Assert.StartsWith("Outline the gland on each image", named.Restatement, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_MapToSegmentation_When_ApplyMeetsAClassificationSpec()
    {
        // given a classification reading of a request (the data decides the kind: it has masks)
        var classification = Parse("Find the polyps; don't miss any.", "normal", "polyp");
        Assert.Equal(TaskKind.Classification, classification.Task);
        Assert.Contains(classification.Questions, q => q.Field == "operating_point");

        // when
        var spec = SegmentationIntent.Apply(classification, Binary);

        // then the task follows the masks and the classification-only questions are gone
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.Equal("the data has masks (segmentation labels)", spec.Provenance["task"]);
        Assert.Equal(SegmentationMetricNames.Sensitivity, spec.PrimaryMetric);
        Assert.DoesNotContain(spec.Questions, q => SegmentationIntent.ClassificationOnlyQuestions.Contains(q.Field));
    }

    [Theory]
    [InlineData("measure how big the effusion is", "effusion")]
    [InlineData("How big is the lesion?", "lesion")]
    [InlineData("Measure the size of the tumour", "tumour")]
    [InlineData("Outline the effusion", "effusion")]
    [InlineData("Delineate the tumour margins", "tumour")]
    [InlineData("Segment the nodules", "nodule")]
    public void Should_ReadSegmentation_When_RequestAsksForOutlineOrSize(string request, string finding)
    {
        // when parsed normally against a folder of classes
        var spec = Parse(request, "normal", finding);

        // then
        Assert.Equal(TaskKind.Segmentation, spec.Task);
    }

    [Theory]
    [InlineData("Is the lesion big?", "lesion")]
    [InlineData("Tell me whether the effusion is large.", "effusion")]
    [InlineData("Classify pneumonia vs normal", "pneumonia")]
    [InlineData("Is there a big effusion on the film?", "effusion")]
    [InlineData("How big a dataset do I need to tell effusion from normal?", "effusion")]
    public void Should_StayClassification_When_RequestAsksYesOrNo(string request, string finding)
    {
        // when parsed normally
        var spec = Parse(request, "normal", finding);

        // then
        Assert.Equal(TaskKind.Classification, spec.Task);
        Assert.NotEqual(SegmentationMetricNames.Dice, spec.PrimaryMetric);
    }

    [Fact]
    public void Should_RefuseAsRegression_When_SizeIsAskedInUnits()
    {
        // when / then: a number in centimetres is a measurement Clinforge cannot output; an outline is the nearest
        var error = Assert.Throws<UnsupportedRequestException>(() => Parse("How big is the lesion in cm?", "normal", "lesion"));
        Assert.Equal("regression", error.Answer.Kind);
    }

    [Fact]
    public void Should_KeepTheClassificationObjective_When_ASegmentationRequestIsParsedAgainstFolderClasses()
    {
        // given a segmentation request parsed against class folders (a classifier may still develop it)
        // when
        var spec = Parse("Outline the effusion", "normal", "effusion");

        // then the parser's classification-shaped objective stays until SegmentationIntent adapts it
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);
        Assert.Contains("outlines it on each image", spec.Restatement, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Outline the melanoma lesions", "lesion")]
    [InlineData("Segment the diabetic retinopathy lesions", "lesion")]
    [InlineData("Outline the BCC on each photo", "bcc")]
    public void Should_NotRefuseTheCondition_When_RequestNamesAConditionTheMasksCannotName(string request, string name)
    {
        // when: the masks name no condition, so the condition the request names is the structure, not a missing class
        var spec = SegmentationIntent.Parse(Parser, request, Binary);

        // then
        Assert.Equal([name], spec.Classes);
    }

    [Theory]
    [InlineData("Outline the retinal vessels", "vessel", "retinal vessels")]
    [InlineData("Delineate the lesion; don't miss any part of it", "lesion", "lesion")]
    [InlineData("Segment the tumours on each MRI slice", "tumour", "tumours")]
    [InlineData("measure how big the effusion is", "effusion", "effusion")]
    [InlineData("Outline the optic disc on fundus photographs", "optic disc", "optic disc")]
    [InlineData("Segment polyps in colonoscopy frames", "polyp", "polyps")]
    [InlineData("In the lung CT, segment the nodules", "nodule", "nodules")]
    [InlineData("Outline the liver tumour", "tumour", "liver tumour")]
    [InlineData("Segment the liver", "liver", "liver")]
    [InlineData("Segment both lungs on chest X-rays", "lung", "lungs")]
    [InlineData("Outline each skin lesion", "skin lesion", "skin lesion")]
    [InlineData("Segment the cell nuclei", "nucleus", "cell nuclei")]
    [InlineData("Segment the diabetic retinopathy lesions", "lesion", "diabetic retinopathy lesions")]
    [InlineData("Outline the BCC on each photo", "bcc", "BCC")]
    public void Should_NameTheStructure_When_RequestNamesOne(string request, string name, string source)
    {
        // when
        var (n, s) = SegmentationIntent.StructureName(request);

        // then
        Assert.Equal(name, n);
        Assert.Equal(source, s);
    }

    [Fact]
    public void Should_DefaultToStructure_When_RequestNamesNone()
    {
        // when
        var (name, source) = SegmentationIntent.StructureName("Segment these images.");

        // then
        Assert.Equal(SegmentationIntent.DefaultStructure, name);
        Assert.StartsWith("default", source, StringComparison.Ordinal);
    }
}
