using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>Every rate floor the request states, kept for the trade-off negotiation.</summary>
public sealed class RequirementTests
{
    [Fact]
    public void Should_KeepBothFloors_When_TheRequestStatesSensitivityAndSpecificity()
    {
        // Given a request with two floors
        var spec = Parse("Screen for pneumonia with a sensitivity of at least 95% and a specificity of at least 90%", "normal", "pneumonia");

        // Then both are requirements, the first also fixes the operating point, and the words are kept
        Assert.Equal([new Requirement("sensitivity", 0.95), new Requirement("specificity", 0.90)], spec.Requirements);
        Assert.Equal(new OperatingPoint("specificity", "sensitivity", 0.95), spec.OperatingPoint);
        Assert.Contains("sensitivity of at least 95%", spec.Provenance["requirements"]);
        Assert.Contains("specificity of at least 90%", spec.Provenance["requirements"]);
        // and the restatement warns that both may not be reachable
        Assert.Contains("sensitivity at least 95% and specificity at least 90%", spec.Restatement);
        Assert.Contains("ask", spec.Restatement);
    }

    [Fact]
    public void Should_RecordOneFloor_When_OnlyTheOperatingPointIsGiven()
    {
        // Given "sensitivity at 80% specificity"
        var spec = Parse("Maximise sensitivity at 80% specificity for melanoma", "melanoma", "nevus");
        // Then one requirement (the constraint), no negotiation sentence
        Assert.Equal([new Requirement("specificity", 0.8)], spec.Requirements);
        Assert.DoesNotContain("I will show you what is achievable", spec.Restatement);
    }

    [Fact]
    public void Should_RecordNoFloor_When_TheRequestHasNoNumbers()
    {
        var spec = Parse("Don't miss pneumonia", "normal", "pneumonia");
        Assert.Empty(spec.Requirements);
        Assert.Equal("default", spec.Provenance["requirements"]);
    }

    [Fact]
    public void Should_ReplaceTheFloor_When_TheClinicianAnswersANewOperatingPoint()
    {
        // Given two stated floors
        var spec = Parse("Screen for pneumonia with a sensitivity of at least 95% and a specificity of at least 90%", "normal", "pneumonia");
        // When the clinician answers a lower sensitivity floor
        var answered = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["operating_point"] = "sensitivity=0.9" });
        // Then the requirements follow the answer and keep the other floor
        Assert.Equal([new Requirement("sensitivity", 0.9), new Requirement("specificity", 0.9)], answered.Requirements);
    }
}
