namespace Clinforge.Intent.Tests;

/// <summary>The parser measured on the written corpus (corpus.jsonl): every field must reach 95%.</summary>
public sealed class CorpusTests
{
    private static readonly string _corpus = Path.Combine(AppContext.BaseDirectory, "corpus.jsonl");

    [Fact]
    public void Should_ReachNinetyFivePercentPerField_When_RuleParserRunsOnCorpus()
    {
        // given the corpus of at least 80 written requests
        var cases = CorpusEvaluator.Load(_corpus);
        Assert.True(cases.Count >= 80, $"the corpus has {cases.Count} requests; at least 80 are required");

        // when the rule-based parser is evaluated on it
        var report = CorpusEvaluator.Evaluate(cases, new RuleBasedParser());

        // then every checked field is at least 95% correct
        var weak = report.Fields.Where(f => f.Accuracy < 0.95).ToList();
        Assert.True(weak.Count == 0, CorpusEvaluator.Format(report));
        Assert.Contains(report.Fields, f => f.Field == "task" && f.Total >= 80);
    }

    [Fact]
    public void Should_CountFailure_When_ParserDisagreesWithExpectation()
    {
        // given a case whose expected task is wrong on purpose
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """
            {"request": "Outline the pneumothorax.", "classes": ["normal", "pneumothorax"], "expect": {"task": "classification", "positive_class": "pneumothorax"}}
            """);
        try
        {
            // when evaluated
            var report = CorpusEvaluator.Evaluate(CorpusEvaluator.Load(path), new RuleBasedParser());

            // then the task field fails and the positive class passes
            var failure = Assert.Single(report.Failures);
            Assert.Equal("task", failure.Field);
            Assert.Equal("\"segmentation\"", failure.Actual);
            Assert.Equal(1.0, report.Fields.Single(f => f.Field == "positive_class").Accuracy);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Should_NameFileAndLine_When_CorpusLineIsMalformed()
    {
        // given a corpus whose second line lacks the classes
        var path = Path.GetTempFileName();
        File.WriteAllLines(path,
        [
            """{"request": "Tell melanoma from nevus.", "classes": ["nevus", "melanoma"], "expect": {}}""",
            """{"request": "Tell melanoma from nevus.", "expect": {}}""",
        ]);
        try
        {
            // when loaded
            var error = Assert.Throws<ClinforgeException>(() => CorpusEvaluator.Load(path));

            // then the message names the file and line 2
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
