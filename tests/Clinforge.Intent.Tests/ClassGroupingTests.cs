using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>A class word that covers several of the data's classes ("nevus" = common + atypical nevus).</summary>
public sealed class ClassGroupingTests
{
    private static readonly string[] s_derm = ["atypical_nevus", "common_nevus", "melanoma"];

    [Fact]
    public void Should_GroupAndAsk_When_OneWordNamesSeveralDataClasses()
    {
        // Given data with two kinds of nevus and a request that says "nevus"
        var spec = Parse("Help me tell melanoma from nevus; don't miss a single melanoma", s_derm);

        // Then the task is binary melanoma vs nevus, nevus groups both kinds, and the clinician is asked
        Assert.Equal(["nevus", "melanoma"], spec.Classes);
        Assert.Equal(["atypical_nevus", "common_nevus"], spec.ClassGroups["nevus"]);
        Assert.Equal(["melanoma"], spec.ClassGroups["melanoma"]);
        Assert.Equal("melanoma", spec.PositiveClass);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        var q = Assert.Single(spec.Questions, q => q.Field == "class_groups");
        Assert.StartsWith("grouped: nevus = atypical_nevus + common_nevus", q.Default);
        Assert.Equal("nevus", spec.Provenance["class_groups"]);
        Assert.Contains("nevus groups the data's atypical nevus and common nevus", spec.Restatement);
    }

    [Fact]
    public void Should_KeepClassesApart_When_TheRequestNamesAMemberOnItsOwn()
    {
        // Given a request that cares about atypical nevus specifically
        var spec = Parse("Tell melanoma from nevus, and flag atypical nevus too", s_derm);
        // Then nothing is merged
        Assert.Empty(spec.ClassGroups);
        Assert.Equal(s_derm, spec.Classes);
    }

    [Fact]
    public void Should_NotMergeKindsOfABroaderWord_When_TheRequestSaysCancer()
    {
        // Given an 4-class skin dataset and "cancer", which covers MEL and BCC only as kinds of it
        var spec = Parse("Help me find skin cancer", "BCC", "MEL", "NV", "BKL");
        // Then the classes stay the data's own
        Assert.Empty(spec.ClassGroups);
        Assert.Equal(4, spec.Classes.Count);
    }

    [Fact]
    public void Should_RestoreTheDataClasses_When_TheClinicianAnswersNone()
    {
        // Given the grouped spec
        var spec = Parse("Help me tell melanoma from nevus; don't miss a single melanoma", s_derm);
        // When the clinician keeps the classes apart
        var apart = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["class_groups"] = "none" });
        // Then three classes, melanoma still the positive class measured one-vs-rest, the question answered
        Assert.Empty(apart.ClassGroups);
        Assert.Equal(["atypical_nevus", "common_nevus", "melanoma"], apart.Classes.Order());
        Assert.Equal("melanoma", apart.PositiveClass);
        Assert.DoesNotContain(apart.Questions, q => q.Field == "class_groups");
        Assert.Equal(spec, SpecAnswers.Apply(spec, new Dictionary<string, string> { ["class_groups"] = "grouped" }) with { Provenance = spec.Provenance, Questions = spec.Questions, Restatement = spec.Restatement });
        Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["class_groups"] = "maybe" }));
    }
}
