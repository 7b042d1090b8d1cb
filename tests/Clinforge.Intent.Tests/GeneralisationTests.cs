using System.Text.RegularExpressions;
using static Clinforge.Intent.Tests.ParserFixture;

namespace Clinforge.Intent.Tests;

/// <summary>
/// The parser on requests written the way clinicians write (generalisation.jsonl), split once into a
/// development half and a held-out half that no rule was tuned on, and the edges: unsupported tasks,
/// one-class data, condition words in passing, German, ambiguity.
/// </summary>
public sealed class GeneralisationTests
{
    private static readonly string _corpus = Path.Combine(AppContext.BaseDirectory, "generalisation.jsonl");

    [Fact]
    public void Should_MeetTheTargets_When_RuleParserRunsOnTheHeldOutHalf()
    {
        // given the held-out half of a corpus of at least 200 requests
        var cases = CorpusEvaluator.Load(_corpus);
        Assert.True(cases.Count >= 200, $"the corpus has {cases.Count} requests; at least 200 are required");
        var heldOut = cases.Where(c => c.Half == "heldout").ToList();
        Assert.InRange(heldOut.Count, cases.Count / 2 - 1, cases.Count / 2 + 1);

        // when the rule-based parser is evaluated on it
        var report = CorpusEvaluator.Evaluate(heldOut, new RuleBasedParser());

        // then 95% of fields, 90% of non-default fields, every unsupported request refused usefully, no crash
        var summary = CorpusEvaluator.Format(report, showFailures: false);
        Assert.True(report.Overall >= 0.95, summary);
        Assert.True(report.OverallNonDefault >= 0.90, summary);
        Assert.True(report.UnsupportedTotal > 0 && report.UnsupportedRefused == report.UnsupportedTotal, summary);
        Assert.Equal(0, report.Crashes);
        Assert.Equal(0, report.FalseRefusals);
    }

    [Fact]
    public void Should_MeetTheTargets_When_RuleParserRunsOnTheDevelopmentHalf()
    {
        // given the development half
        var dev = CorpusEvaluator.Load(_corpus).Where(c => c.Half == "dev").ToList();

        // when evaluated
        var report = CorpusEvaluator.Evaluate(dev, new RuleBasedParser());

        // then it meets the same targets (failures listed when it does not)
        Assert.True(report.Overall >= 0.95 && report.OverallNonDefault >= 0.90 && report.Crashes == 0, CorpusEvaluator.Format(report));
    }

    [Theory]
    [InlineData("Estimate bone age in years from hand radiographs.", "regression")]
    [InlineData("Predict how long each patient will survive after diagnosis.", "survival")]
    [InlineData("Segment the liver tumour in 3D on the CT volumes and report volumetric Dice.", "volumetric")]
    [InlineData("Write the radiology report for each chest X-ray.", "text")]
    [InlineData("Analyse the colonoscopy videos and tell me the percentage of frames with a polyp.", "video")]
    [InlineData("Knochenalter in Jahren aus Handröntgenbildern schätzen.", "regression")]
    public void Should_RefuseWithUnderstoodWhyAndNearest_When_TaskIsUnsupported(string request, string kind)
    {
        // when a request for a task Clinforge cannot do is parsed
        var error = Assert.Throws<UnsupportedRequestException>(() => Parse(request, "normal", "finding"));

        // then the answer names the kind, quotes the words, says why not and what is nearest, and exits 3
        Assert.Equal(kind, error.Answer.Kind);
        Assert.Contains(error.Answer.Words, request, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrWhiteSpace(error.Answer.Why));
        Assert.False(string.IsNullOrWhiteSpace(error.Answer.Nearest));
        Assert.Contains("I understood", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.ExitCode);
    }

    [Theory]
    [InlineData("Segment the haemorrhage on each 2D slice image; no 3D needed.", "hemorrhage", TaskKind.Segmentation)]
    [InlineData("No need for a report - just classify pneumonia vs normal.", "pneumonia", TaskKind.Classification)]
    [InlineData("Predict the probability of malignancy for each lesion as a percentage.", "melanoma", TaskKind.Classification)]
    public void Should_NotRefuse_When_UnsupportedWordsAreNegatedOrMeanAProbability(string request, string finding, TaskKind task)
    {
        var spec = Parse(request, "normal", finding);
        Assert.Equal(task, spec.Task);
    }

    [Theory]
    [InlineData("Identify pneumothoraces.", "pneumothorax")]
    [InlineData("Can it find the nodules on these films?", "nodule")]
    [InlineData("Spot the fractures.", "fracture")]
    public void Should_ReadAsLocalisationAndAsk_When_DataHasOneClassAndVerbIsUnlisted(string request, string only)
    {
        // when a one-class request uses a verb no task rule lists
        var spec = Parse(request, only);

        // then it is detection, not a "classifier needs two classes" refusal, and the reading is asked
        Assert.Equal(TaskKind.Detection, spec.Task);
        Assert.True(spec.Localize);
        Assert.Contains(spec.Questions, q => q.Field == "task");
    }

    [Theory]
    [InlineData("Mark fractures on the wrist films; many of these patients have osteoporosis and a previous pneumothorax.", "normal", "fracture")]
    [InlineData("Tell melanoma from nevus in patients who previously had a BCC removed.", "nevus", "melanoma")]
    public void Should_NotRefuse_When_AnUnknownConditionIsNamedInPassing(string request, string first, string second)
    {
        var spec = Parse(request, first, second);
        Assert.Equal(second, spec.PositiveClass);
    }

    [Fact]
    public void Should_StillRefuse_When_TheUnknownConditionIsContrastedWithAClass()
    {
        var error = Assert.Throws<ClinforgeException>(() => Parse("Distinguish pneumonia from tuberculosis.", "normal", "pneumonia"));
        Assert.Contains("'tuberculosis'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bitte Melanom von Nävus unterscheiden, kein Melanom darf übersehen werden.", ErrorPreference.Sensitivity)]
    [InlineData("Unnötige Biopsien vermeiden, Melanom vs. Nävus.", ErrorPreference.Specificity)]
    [InlineData("Melanomas must never be missed by this thing.", ErrorPreference.Sensitivity)]
    [InlineData("I'd rather miss the odd melanoma in situ than excise hundreds of benign moles.", ErrorPreference.Specificity)]
    [InlineData("Over-diagnosis is the bigger harm here: tell melanoma from naevus.", ErrorPreference.Specificity)]
    public void Should_ReadTheErrorCost_When_StatedInPassiveComparisonConsequenceOrGerman(string request, ErrorPreference expected)
    {
        var spec = Parse(request, "nevus", "melanoma");
        Assert.Equal(expected, spec.ErrorPreference);
        Assert.Equal("melanoma", spec.PositiveClass);
    }

    [Theory]
    [InlineData("Classify the dermoscopy images; what matters are melanoma and basal cell carcinoma.", new[] { "mel", "bcc" })]
    [InlineData("Sort skin lesions. Melanoma first, then BCC.", new[] { "mel", "bcc" })]
    [InlineData("Classify skin lesions; I don't care about dermatofibromas, but melanoma must not be missed.", new[] { "mel" })]
    [InlineData("Hautläsionen klassifizieren, Priorität hat das Melanom.", new[] { "mel" })]
    public void Should_AttachClassesToPriorities_When_ClauseSaysTheyMatter(string request, string[] expected)
    {
        var spec = Parse(request, "akiec", "bcc", "bkl", "df", "mel", "nv", "vasc");
        Assert.Equal(expected, spec.PriorityClasses);
    }

    [Fact]
    public void Should_AskWhichClass_When_MultiClassPreferenceNamesNone()
    {
        // when a multi-class request says not to miss anything but names no class
        var spec = Parse("Classify the skin lesions and be very careful not to miss anything.", "akiec", "bcc", "bkl", "df", "mel", "nv", "vasc");

        // then no class is favoured silently: the question is asked
        Assert.Empty(spec.PriorityClasses);
        Assert.Contains(spec.Questions, q => q.Field == "priority_classes");
    }

    [Theory]
    [InlineData("Don't learn from the hospital logo in the corner. Pneumonia vs normal.", "hospital logo")]
    [InlineData("Pneumothorax classifier, but it must not cheat off the chest tube.", "chest tube")]
    [InlineData("I don't want it to just recognise the scanner. Pneumonia vs normal.", "scanner")]
    public void Should_FindTheConfounder_When_PhrasedAsWhatNotToLearnFrom(string request, string confounder)
    {
        var spec = Parse(request, "normal", request.Contains("Pneumothorax", StringComparison.Ordinal) ? "pneumothorax" : "pneumonia");
        Assert.Equal(confounder, Assert.Single(spec.Confounders).Name);
    }

    [Fact]
    public void Should_NotSwallowTheTargetClass_When_SplittingConfounders()
    {
        var spec = Parse("Ignore the dermoscope's black vignetting and tell MEL from NV.", "NV", "MEL");
        Assert.Equal("dermoscope's black vignetting", Assert.Single(spec.Confounders).Name);
        Assert.Equal("MEL", spec.PositiveClass);
    }

    [Theory]
    [InlineData("Quick question: can you classify pneumonia vs normal?")]
    [InlineData("We see most pneumonias overnight when the juniors are alone. Pneumonia vs normal.")]
    public void Should_LeaveBudgetUnset_When_TimeWordDescribesTheClinic(string request)
    {
        Assert.Null(Parse(request, "normal", "pneumonia").Budget);
    }

    [Fact]
    public void Should_LoadTheLexiconFromItsJsonResource_When_Default()
    {
        var lexicon = ClinicalLexicon.Default;
        Assert.Contains(lexicon.Concepts, c => c.Id == "melanoma" && c.Terms.Contains("melanom"));
        Assert.Contains(lexicon.UnsupportedTasks, u => u.Kind == "survival");
        var falseAlarm = new Regex(lexicon.CuePattern("false_alarm"));
        Assert.Matches(falseAlarm, "too many false alarms");
        Assert.Matches(new Regex(lexicon.CuePattern("miss")), "it was overlooked");
    }

    [Fact]
    public void Should_NameTheSource_When_LexiconJsonIsInvalid()
    {
        var error = Assert.Throws<ClinforgeException>(() => ClinicalLexicon.FromJson("{not json", "my-lexicon.json"));
        Assert.Contains("my-lexicon.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_CountCrashesAndNonDefaultFields_When_Evaluating()
    {
        // given two cases, one whose parse crashes
        var path = Path.GetTempFileName();
        File.WriteAllLines(path,
        [
            """{"half": "dev", "request": "crash", "classes": ["a", "b"], "expect": {"task": "classification"}}""",
            """{"half": "dev", "request": "Outline the pneumothorax.", "classes": ["normal", "pneumothorax"], "expect": {"task": "segmentation", "budget": null}}""",
        ]);
        try
        {
            // when evaluated with a parser that throws on the first
            var report = CorpusEvaluator.Evaluate(CorpusEvaluator.Load(path), new CrashingParser());

            // then the crash is counted and only the segmentation answer is non-default
            Assert.Equal(1, report.Crashes);
            var task = report.Fields.Single(f => f.Field == "task");
            Assert.Equal((1, 2, 1, 1), (task.Correct, task.Total, task.NonDefaultCorrect, task.NonDefaultTotal));
            Assert.Equal(0, report.Fields.Single(f => f.Field == "budget").NonDefaultTotal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class CrashingParser : IIntentParser
    {
        public TaskSpec Parse(string request, IReadOnlyList<string> datasetClasses) =>
            request == "crash" ? throw new InvalidOperationException("boom") : new RuleBasedParser().Parse(request, datasetClasses);
    }
}
