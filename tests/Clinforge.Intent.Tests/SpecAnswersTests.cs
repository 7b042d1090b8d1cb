namespace Clinforge.Intent.Tests;

/// <summary>Answers from <c>--answers FILE</c> applied to a parsed spec, validated against its classes.</summary>
public sealed class SpecAnswersTests
{
    [Fact]
    public void Should_SetPositiveClassAndRecordAnswer_When_QuestionAnswered()
    {
        // given a request that names neither class as the target, so the parser asks
        var spec = ParserFixture.Parse("Tell these two apart.", "left_sided", "right_sided");
        Assert.Contains(spec.Questions, q => q.Field == "positive_class");

        // when the clinician answers it
        var answered = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["positive_class"] = "Left_Sided" }, "answers.json");

        // then the class is set as named in the data, the provenance says "answer", and the question is gone
        Assert.Equal("left_sided", answered.PositiveClass);
        Assert.Equal("answer: Left_Sided", answered.Provenance["positive_class"]);
        Assert.DoesNotContain(answered.Questions, q => q.Field == "positive_class");
        Assert.Contains("left sided", answered.Restatement, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_AskHowMuchAucMayBeGivenUp_When_TheRequestNamesAConfounder()
    {
        // given the request naming chest drains
        var spec = ParserFixture.Parse("Classify pneumothorax, but do not let the model rely on chest drains.", "no_pneumothorax", "pneumothorax");

        // then the trade-off is asked up front with the default allowance, and nothing is decided yet
        var q = Assert.Single(spec.Questions, q => q.Field == "confounder_max_loss");
        Assert.Equal("0.02", q.Default);
        Assert.Contains("chest drains", q.Question, StringComparison.Ordinal);
        Assert.Null(spec.ConfounderMaxLoss);

        // when the clinician allows 0.03, or puts AUC first
        var allows = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["confounder_max_loss"] = "0.03" }, "answers.json");
        var aucFirst = SpecAnswers.Apply(spec, new Dictionary<string, string> { ["confounder_max_loss"] = "none" }, "answers.json");

        // then the answer is in the spec, its provenance and the restatement
        Assert.Equal(0.03, allows.ConfounderMaxLoss);
        Assert.Equal("answer: 0.03", allows.Provenance["confounder_max_loss"]);
        Assert.EndsWith("For that I may give up at most 0.03 AUC on validation.", allows.Restatement, StringComparison.Ordinal);
        Assert.Equal(0, aucFirst.ConfounderMaxLoss);
        Assert.EndsWith("AUC comes first.", aucFirst.Restatement, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.5")]
    [InlineData("-0.01")]
    [InlineData("a little")]
    public void Should_RefuseNamingTheFileAndField_When_TheAllowedLossIsNotAProportionUpToATenth(string value)
    {
        // given a confounder request
        var spec = ParserFixture.Parse("Classify pneumothorax, but don't rely on chest drains.", "no_pneumothorax", "pneumothorax");

        // when answered with an unusable allowance, then the message names the file, the field and the value
        var e = Assert.Throws<ClinforgeException>(() => SpecAnswers.Apply(spec, new Dictionary<string, string> { ["confounder_max_loss"] = value }, "answers.json"));
        Assert.Contains("answers.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("confounder_max_loss", e.Message, StringComparison.Ordinal);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_MoveObjectiveWithPreference_When_ErrorPreferenceAndOperatingPointAnswered()
    {
        // given a balanced binary spec
        var spec = ParserFixture.Parse("Tell melanoma from nevus.", "nevus", "melanoma");
        Assert.Equal(Metrics.Auc, spec.PrimaryMetric);

        // when the clinician asks for sensitivity at 90% specificity
        var answered = SpecAnswers.Apply(spec, new Dictionary<string, string>
        {
            ["error_preference"] = "sensitivity",
            ["operating_point"] = "90%",
        });

        // then the objective is sensitivity at specificity 0.9
        Assert.Equal(ErrorPreference.Sensitivity, answered.ErrorPreference);
        Assert.Equal(Metrics.SensitivityAtSpecificity, answered.PrimaryMetric);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.9), answered.OperatingPoint);
        Assert.Equal("answer: 90%", answered.Provenance["operating_point"]);
        Assert.Equal("answer: 90%", answered.Provenance["primary_metric"]);
    }

    [Fact]
    public void Should_NameFileAndField_When_AnswerNamesUnknownClass()
    {
        // given a spec over melanoma and nevus
        var spec = ParserFixture.Parse("Tell melanoma from nevus.", "nevus", "melanoma");

        // when an answer names a class the data lacks
        var error = Assert.Throws<ClinforgeException>(() =>
            SpecAnswers.Apply(spec, new Dictionary<string, string> { ["priority_classes"] = "melanoma,bcc" }, "/tmp/answers.json"));

        // then the message names the file, the field and the real classes
        Assert.Contains("/tmp/answers.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("'priority_classes'", error.Message, StringComparison.Ordinal);
        Assert.Contains("nevus, melanoma", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("colour", "sensitivity", "unknown field")]
    [InlineData("error_preference", "maybe", "sensitivity, specificity or balanced")]
    [InlineData("operating_point", "100%", "strictly between 0 and 1")]
    [InlineData("localize", "perhaps", "true or false")]
    [InlineData("task", "regression", "classification, detection or segmentation")]
    public void Should_Refuse_When_AnswerIsInvalid(string field, string value, string expected)
    {
        // given a binary spec
        var spec = ParserFixture.Parse("Don't miss melanoma.", "nevus", "melanoma");

        // when an invalid answer is applied
        var error = Assert.Throws<ClinforgeException>(() =>
            SpecAnswers.Apply(spec, new Dictionary<string, string> { [field] = value }, "a.json"));

        // then the message says what is allowed
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("a.json:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ReadListsNumbersAndBooleans_When_AnswersFileLoaded()
    {
        // given an answers file with a list, a boolean and a list of confounders
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{"priority_classes": ["mel", "bcc"], "localize": true, "confounders": ["rulers", "pen marks"]}""");
        try
        {
            // when loaded and applied to a seven-class spec
            var answers = SpecAnswers.Load(path);
            var spec = ParserFixture.Parse("Classify skin lesions.", "akiec", "bcc", "bkl", "df", "mel", "nv", "vasc");
            var answered = SpecAnswers.Apply(spec, answers, path);

            // then the values arrive as text and set the fields
            Assert.Equal("mel,bcc", answers["priority_classes"]);
            Assert.Equal(["mel", "bcc"], answered.PriorityClasses);
            Assert.True(answered.Localize);
            Assert.Equal(["rulers", "pen marks"], answered.Confounders.Select(c => c.Name));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Should_NameFile_When_AnswersFileIsNotJson()
    {
        // given a file that is not JSON
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "positive_class = melanoma");
        try
        {
            // when loaded
            var error = Assert.Throws<ClinforgeException>(() => SpecAnswers.Load(path));

            // then the message names the file and shows the expected form
            Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("positive_class", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Should_RecordKeptDefaults_When_RunIsNonInteractive()
    {
        // given a spec with an open question about the operating point
        var spec = ParserFixture.Parse("Don't miss melanoma.", "nevus", "melanoma");
        var question = Assert.Single(spec.Questions, q => q.Field == "operating_point");

        // when the defaults are accepted
        var kept = SpecAnswers.AcceptDefaults(spec);

        // then the values stay and the provenance records the kept default
        Assert.Equal(spec.OperatingPoint, kept.OperatingPoint);
        Assert.Equal(SpecAnswers.DefaultKeptProvenance + question.Default, kept.Provenance["operating_point"]);
        Assert.Equal(spec.Questions.Count, kept.Questions.Count);
    }
}
