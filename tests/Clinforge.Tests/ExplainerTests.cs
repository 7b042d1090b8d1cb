using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class ExplainerTests
{
    private static readonly Objective s_auc = new(Metrics.Auc, null, "pneumonia");

    private static IReadOnlyList<TrialRecord> Trials() =>
    [
        new(0, "initial", "recipe v0 from the initializer", "start", null, TrialStatus.Succeeded, 0.90, true, null, null, DateTimeOffset.UnixEpoch),
        new(1, "class_balanced_sampling", "sampler uniform → class-balanced", "The classes are imbalanced (3.0:1 in training).", "Buda et al. 2018", TrialStatus.Succeeded, 0.899, false, 0.90, null, DateTimeOffset.UnixEpoch),
        new(2, "focal_loss", "loss cross-entropy → focal (γ = 2)", "Most training images are easy.", "Lin et al. 2017 (focal loss)", TrialStatus.Succeeded, 0.93, true, 0.90, null, DateTimeOffset.UnixEpoch),
        new(3, "wider_network", "width 16 → 32", "Under-fitting.", "Zagoruyko & Komodakis 2016", TrialStatus.TimedOut, null, false, 0.93, "The trial did not finish in time.", DateTimeOffset.UnixEpoch),
    ];

    [Fact]
    public void Should_ExplainTheKeptChangeWithNumbers_When_AskedWhyFocalLossWasAdded()
    {
        // Given the journal's trials / When asked about focal loss
        var answer = Explainer.Answer(Trials(), s_auc, null, "why did you add focal loss?");
        // Then the answer is about round 2: its reason, source, the before/after values and the decision
        Assert.Contains("Round 2", answer);
        Assert.Contains("Most training images are easy.", answer);
        Assert.Contains("Lin et al. 2017", answer);
        Assert.Contains("0.9000", answer);
        Assert.Contains("0.9300", answer);
        Assert.Contains("kept", answer);
    }

    [Fact]
    public void Should_SayWhyItWasDiscarded_When_AskedAboutARoundByNumber()
    {
        var answer = Explainer.Answer(Trials(), s_auc, null, "Why was round 1 discarded?");
        Assert.Contains("Round 1 tried: sampler uniform → class-balanced", answer);
        Assert.Contains("0.8990", answer);
        Assert.Contains("discarded", answer);
    }

    [Fact]
    public void Should_ReportTheFailureDiagnosis_When_TheRoundTimedOut()
    {
        var answer = Explainer.Answer(Trials(), s_auc, 3, null);
        Assert.Contains("ran out of time", answer);
        Assert.Contains("did not finish in time", answer);
    }

    [Fact]
    public void Should_SummariseAndNameTheFinalModel_When_NoQuestionIsGiven()
    {
        var answer = Explainer.Answer(Trials(), s_auc, null, null);
        Assert.Contains("4 trial(s)", answer);
        Assert.Contains("final model is round 2", answer);
        Assert.Contains("1 failed", answer);
    }

    [Fact]
    public void Should_SayItCannotTell_When_TheQuestionMatchesNoRecordedChange()
    {
        var answer = Explainer.Answer(Trials(), s_auc, null, "why did you use a transformer?");
        Assert.Contains("could not tie", answer);
        Assert.Contains("No trial", Explainer.Answer([], s_auc, null, null));
        Assert.Contains("no round 12", Explainer.Answer(Trials(), s_auc, 12, null));
    }

    [Fact]
    public void Should_ExplainTheOperatingPointDecision_When_AskedAboutTheThreshold()
    {
        // Given a run where the stated floors conflicted and the priority decided
        var chosen = new OperatingOption("sensitivity_first", "keep sensitivity ≥ 95%: specificity falls to 61%", 0.3, 0.95, 0.61, new OperatingPoint("specificity", "sensitivity", 0.95));
        var decision = new TradeOffDecision
        {
            Requirements = [new Requirement("sensitivity", 0.95), new Requirement("specificity", 0.9)],
            Trial = 2,
            Options = [chosen, new OperatingOption("balanced", "Youden", 0.5, 0.85, 0.8, null)],
            Chosen = chosen,
            ChosenBy = "stated priority",
            Reason = "unattended",
            DecidedAt = DateTimeOffset.UtcNow,
        };
        // When the clinician asks about the threshold
        var answer = Explainer.Answer(Trials(), s_auc, null, "why this operating point?", decision);
        // Then the answer gives the conflict, the options and who decided; other questions still go to the rounds
        Assert.Contains("sensitivity of at least 0.95 and specificity of at least 0.9", answer);
        Assert.Contains("balanced (sensitivity 0.850, specificity 0.800)", answer);
        Assert.Contains("your stated priority decided", answer);
        Assert.Contains("focal", Explainer.Answer(Trials(), s_auc, null, "why did you add focal loss?", decision));
    }

    [Fact]
    public void Should_WordTheAnswerWithTheLlmAndKeepTheRecord_When_TheAnswerIsGrounded()
    {
        // Given a recorded LLM answer that names a real round
        var client = new RecordedChatClient(() => "Focal loss was added in round 2 because most training images were easy; it raised validation AUC from 0.900 to 0.930, so it was kept.");
        // When a question is asked
        var answer = new LlmExplainer(client).Answer(Trials(), s_auc, null, "why did you add focal loss?");
        // Then the model's words come first, followed by the journal's own record
        Assert.StartsWith("Focal loss was added in round 2", answer);
        Assert.Contains("(From the journal: Round 2 tried: loss cross-entropy → focal", answer);
        // and only the recorded rounds and the question were sent: no paths or identifiers
        var user = Assert.Single(client.Sent, m => m.Role == Microsoft.Extensions.AI.ChatRole.User).Text;
        Assert.Contains("\"question\":\"why did you add focal loss?\"", user);
        Assert.Contains("\"change\":\"width 16 → 32\"", user);
    }

    [Theory]
    [InlineData("Round 7 added mixup, which helped.", "round 7, which is not in the journal")]
    [InlineData("   ", "empty answer")]
    public void Should_FallBackToTheTemplateAndSaySo_When_TheLlmAnswerIsUngrounded(string reply, string why)
    {
        // Given an answer naming a round that never ran (or nothing at all)
        var answer = new LlmExplainer(new RecordedChatClient(() => reply)).Answer(Trials(), s_auc, null, "why did you add focal loss?");
        // Then the template answer is given, with the reason the LLM's was not used
        Assert.StartsWith("Round 2 tried", answer);
        Assert.Contains(why, answer);
    }
}
