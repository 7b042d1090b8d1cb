namespace Clinforge.Intent.Tests;

/// <summary>One-vs-rest requests, supervision and budget hints, and confounders added after diagnosis.</summary>
public sealed class HintAndOneVsRestTests
{
    private static readonly string[] _ham = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"];

    [Fact]
    public void Should_MakeOneVsRestObjective_When_ClassIsSetAgainstEverythingElse()
    {
        // given a seven-class dataset
        // when the clinician sets melanoma against everything else and fears misses
        var spec = ParserFixture.Parse("Melanoma vs everything else; don't miss a melanoma.", _ham);

        // then melanoma is the positive class, measured for sensitivity at 80% specificity
        Assert.Equal("mel", spec.PositiveClass);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.8), spec.OperatingPoint);
        Assert.Equal("Melanoma vs everything else", spec.Provenance["positive_class"]);
        Assert.Contains("from all the other classes", spec.Restatement, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_KeepMacroAuc_When_MultiClassRequestHasNoOneVsRestCue()
    {
        // given a seven-class dataset and a plain request
        var spec = ParserFixture.Parse("Classify skin lesions, especially melanoma.", _ham);

        // then no class is singled out as positive
        Assert.Null(spec.PositiveClass);
        Assert.Equal(Metrics.MacroAuc, spec.PrimaryMetric);
    }

    [Theory]
    [InlineData("Mark fractures; only a handful have boxes.", "boxes on a subset of the images", "only a handful have boxes")]
    [InlineData("Mark fractures. 5% of the images have boxes.", "boxes on a subset of the images", "5% of the images have boxes")]
    public void Should_RecordSupervision_When_RequestSaysFewImagesHaveBoxes(string request, string supervision, string words)
    {
        // when the request mentions partial box supervision
        var spec = ParserFixture.Parse(request, "normal", "fracture");

        // then the spec carries it, with the words it came from
        Assert.Equal(supervision, spec.Supervision);
        Assert.Equal(words, spec.Provenance["supervision"]);
        Assert.Contains("Supervision:", spec.Restatement, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A quick first try at pneumonia please.", "quick")]
    [InlineData("Let it train overnight on pneumonia.", "overnight")]
    [InlineData("Pneumonia; take your time.", "thorough")]
    public void Should_RecordBudget_When_RequestHintsAtTime(string request, string budget)
    {
        // when the request hints at how long training may take
        var spec = ParserFixture.Parse(request, "normal", "pneumonia");

        // then the budget hint is recorded
        Assert.Equal(budget, spec.Budget);
        Assert.NotEqual("default", spec.Provenance["budget"]);
    }

    [Fact]
    public void Should_LeaveBudgetNull_When_RequestSaysNothingAboutTime()
    {
        // when a request has no time words
        var spec = ParserFixture.Parse("Tell pneumonia from normal.", "normal", "pneumonia");

        // then budget and supervision stay unset, by default
        Assert.Null(spec.Budget);
        Assert.Null(spec.Supervision);
        Assert.Equal("default", spec.Provenance["budget"]);
    }

    [Fact]
    public void Should_FindConfounder_When_ItIsPlacedAfterDiagnosis()
    {
        // when the request says the drains come after the diagnosis
        var spec = ParserFixture.Parse("Pneumothorax vs normal. Chest drains are placed after diagnosis.", "normal", "pneumothorax");

        // then the drains are a confounder, named once
        var confounder = Assert.Single(spec.Confounders);
        Assert.Equal("chest drains", confounder.Name);
    }
}
