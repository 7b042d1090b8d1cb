using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Every field says where it came from, in the clinician's exact words; the restatement is built, not copied.</summary>
public sealed class ProvenanceAndRestatementTests
{
    public static TheoryData<string, string[]> Requests => new()
    {
        { "tell melanoma from nevus", ["melanoma_like", "nevus_like"] },
        { "Pneumonia screening on children's chest X-rays; don't miss pneumonia.", ["normal", "pneumonia"] },
        { "Find breast cancer on ultrasound", ["malignant", "normal_or_benign"] },
        { "I want an AI model to help diagnose skin lesions. Priority should be given to melanoma.", ["BCC", "MEL", "NV", "BKL"] },
        { "I want to have an AI model to help me distinguish melanoma from nevus. Please try your best to not miss a single case.", ["melanoma", "nevus"] },
        { "Classify pneumothorax, but don't rely on chest drains", ["no_pneumothorax", "pneumothorax"] },
        { "Confirm melanoma before surgery; sensitivity of at least 95%, and ignore rulers or pen marks.", ["melanoma", "nevus"] },
        { "Outline the tumours and measure their area", ["normal", "tumor"] },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Should_QuoteRequestOrSayDefault_When_AnyFieldIsSet(string request, string[] classes)
    {
        // When
        var spec = Parse(request, classes);

        // Then every field has provenance, and each excerpt is verbatim from the request
        Assert.Equal(ParserFixture.ProvenanceFields.Order(), spec.Provenance.Keys.Order());
        foreach (var (field, words) in spec.Provenance)
        {
            Assert.False(string.IsNullOrWhiteSpace(words), field);
            if (words == RuleBasedParser.DefaultProvenance) continue;
            foreach (var excerpt in words.Split(RuleBasedParser.ExcerptSeparator))
            {
                Assert.True(request.Contains(excerpt, StringComparison.Ordinal), $"{field}: '{excerpt}' is not in the request");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Should_RestateInOneOrTwoSentencesWithoutCopying_When_RequestIsParsed(string request, string[] classes)
    {
        // When
        var spec = Parse(request, classes);

        // Then
        Assert.StartsWith("I understood: a model that ", spec.Restatement);
        Assert.DoesNotContain(request, spec.Restatement, StringComparison.OrdinalIgnoreCase);
        var sentences = spec.Restatement.Split(". ", StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(sentences.Length, 1, 2);
        Assert.EndsWith(".", spec.Restatement);
        Assert.Equal(spec.Restatement, Restatement.For(spec));
    }

    [Fact]
    public void Should_TraceEveryFieldToItsWords_When_RequestSetsThemAll()
    {
        // When
        var spec = Parse("Confirm melanoma before surgery; sensitivity of at least 95%, and ignore rulers or pen marks.", "melanoma", "nevus");

        // Then
        Assert.Equal(ErrorPreference.Specificity, spec.ErrorPreference);
        Assert.Equal("Confirm melanoma before surgery", spec.Provenance["error_preference"]);
        Assert.Equal(Metrics.SpecificityAtSensitivity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("specificity", "sensitivity", 0.95), spec.OperatingPoint);
        Assert.Equal("sensitivity of at least 95%", spec.Provenance["operating_point"]);
        Assert.Equal([new Confounder("rulers", "unknown"), new Confounder("pen marks", "unknown")], spec.Confounders);
        Assert.Equal("ignore rulers or pen marks", spec.Provenance["confounders"]);
        Assert.Equal("melanoma", spec.PositiveClass);
        // the words say nothing of how much specificity less reliance on rulers may cost: that alone is asked
        Assert.Equal(["confounder_max_loss"], spec.Questions.Select(q => q.Field));
        Assert.Equal(
            "I understood: a model that tells melanoma from nevus; a false alarm costs more than missing melanoma, so I will maximise specificity while keeping sensitivity at or above 95%. It must not rely on rulers or pen marks.",
            spec.Restatement);
    }
}
