using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Class mentions are matched through case, separators, plurals, spelling and the synonym lexicon.</summary>
public sealed class ClassMatchingTests
{
    [Theory]
    [InlineData("Tell MEL from NV", "melanoma", "nevus", "melanoma", "MEL … NV")]
    [InlineData("Spot melanomas among moles", "MEL", "NV", "MEL", "melanomas … moles")]
    [InlineData("Separate melanoma from naevi", "melanoma", "nevus", "melanoma", "melanoma … naevi")]
    [InlineData("Detect basal cell carcinoma", "BCC", "NV", "BCC", "basal cell carcinoma")]
    [InlineData("Find PTX on supine films", "no_pneumothorax", "pneumothorax", "pneumothorax", "PTX")]
    [InlineData("Detect fx on wrist films", "normal", "fracture", "fracture", "fx")]
    [InlineData("Screen for TB", "healthy", "tuberculosis", "tuberculosis", "TB")]
    [InlineData("Is there a pleural effusion?", "no_effusion", "effusion", "effusion", "pleural effusion")]
    [InlineData("Find malignancy", "benign", "malignant", "malignant", "malignancy")]
    [InlineData("Skin cancer or mole?", "melanoma", "nevus", "melanoma", "cancer … mole")]
    [InlineData("Tell melanoma from nevus", "malignant", "benign", "malignant", "melanoma … nevus")]
    [InlineData("Tell Melanoma-Like from NEVUS_LIKE lesions", "melanoma_like", "nevus_like", "melanoma_like", "Melanoma-Like … NEVUS_LIKE")]
    [InlineData("Healthy or tumour?", "normal", "tumor", "tumor", "Healthy … tumour")]
    public void Should_MatchClassMentions_When_RequestUsesSynonymsOrVariants(
        string request, string first, string second, string positive, string classWords)
    {
        // When
        var spec = Parse(request, first, second);

        // Then
        Assert.Equal([first, second], spec.Classes);
        Assert.Equal(positive, spec.PositiveClass);
        Assert.Equal(classWords, spec.Provenance["classes"]);
        Assert.DoesNotContain(spec.Questions, q => q.Field == "positive_class");
    }

    [Fact]
    public void Should_KeepDatasetOrder_When_RequestNamesClassesInAnotherOrder()
    {
        // When
        var spec = Parse("Pneumonia versus normal", "normal", "pneumonia");

        // Then
        Assert.Equal(["normal", "pneumonia"], spec.Classes);
        Assert.Equal("pneumonia", spec.PositiveClass);
    }

    [Fact]
    public void Should_GuessSecondClassAndAsk_When_NothingSaysWhichClassIsPositive()
    {
        // When
        var spec = Parse("Build a classifier for these images", "type_a", "type_b");

        // Then
        Assert.Equal("type_b", spec.PositiveClass);
        Assert.Equal("default", spec.Provenance["positive_class"]);
        var question = Assert.Single(spec.Questions, q => q.Field == "positive_class");
        Assert.Equal("type_b", question.Default);
        Assert.Contains("type_a or type_b", question.Question);
    }

    [Fact]
    public void Should_SingleOutEveryListedClass_When_RequestSaysEspeciallyWithAList()
    {
        // When
        var spec = Parse("Classify skin lesions, especially melanoma and BCC.", "BCC", "MEL", "NV", "BKL");

        // Then
        Assert.Equal(["MEL", "BCC"], spec.PriorityClasses);
        Assert.Equal("especially melanoma and BCC", spec.Provenance["priority_classes"]);
        Assert.Null(spec.PositiveClass);
        Assert.Equal(Metrics.MacroAuc, spec.PrimaryMetric);
    }

    [Theory]
    [InlineData("Above all, do not miss melanoma.", ErrorPreference.Sensitivity)]
    [InlineData("Sort the lesions, particularly melanoma.", ErrorPreference.Balanced)]
    [InlineData("Sort the lesions; melanoma matters most.", ErrorPreference.Balanced)]
    [InlineData("Sort the lesions; melanoma is the main priority.", ErrorPreference.Balanced)]
    public void Should_PrioritiseMelanoma_When_ClinicianSinglesItOut(string request, ErrorPreference preference)
    {
        // When
        var spec = Parse(request, "BCC", "MEL", "NV", "BKL");

        // Then
        Assert.Equal(["MEL"], spec.PriorityClasses);
        Assert.Equal(preference, spec.ErrorPreference);
        Assert.Equal(Metrics.MacroAuc, spec.PrimaryMetric);
        Assert.Null(spec.OperatingPoint);
        Assert.Contains("MEL", spec.Restatement);
    }

    [Fact]
    public void Should_HaveNoPriority_When_ClinicianDoesNotSingleOutAClass()
    {
        // When
        var spec = Parse("Sort skin lesions into the four types", "BCC", "MEL", "NV", "BKL");

        // Then
        Assert.Empty(spec.PriorityClasses);
        Assert.Equal("default", spec.Provenance["priority_classes"]);
    }

    [Fact]
    public void Should_MatchDermaMnistClassNames_When_RequestUsesEverydayWords()
    {
        // Given the long DermaMNIST label names
        string[] classes =
        [
            "actinic_keratoses_and_intraepithelial_carcinoma", "basal_cell_carcinoma", "benign_keratosis_like_lesions",
            "dermatofibroma", "melanoma", "melanocytic_nevi", "vascular_lesions",
        ];

        // When
        var spec = Parse("Classify skin lesions; above all don't miss melanoma or BCC, and actinic keratosis too.", classes);

        // Then
        Assert.Equal(["melanoma", "basal_cell_carcinoma", "actinic_keratoses_and_intraepithelial_carcinoma"], spec.PriorityClasses);
        Assert.Equal("melanoma … BCC … actinic keratosis", spec.Provenance["classes"]);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Equal(Metrics.MacroAuc, spec.PrimaryMetric);
    }

    [Fact]
    public void Should_AskInsteadOfThrowing_When_ClassNamesAreOnlyNumbers()
    {
        // Given labels without names (e.g. an unknown .npz): the condition cannot be checked against them

        // When
        var spec = Parse("Don't miss pneumonia", "0", "1");

        // Then
        Assert.Equal("1", spec.PositiveClass);
        Assert.Equal(ErrorPreference.Sensitivity, spec.ErrorPreference);
        Assert.Contains(spec.Questions, q => q.Field == "positive_class" && q.Default == "1");
    }
}
