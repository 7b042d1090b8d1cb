using Clinforge.Core;
using Clinforge.Development;
using Microsoft.Extensions.AI;

namespace Clinforge.Tests;

/// <summary>
/// No language model can be reached from the test machines, so these tests replay recorded answers
/// (valid, malformed, invalid recipe, no answer) through a fake <see cref="IChatClient"/>.
/// </summary>
public sealed class LlmProposerTests
{
    private static DevelopmentState State()
    {
        var spec = DevelopmentTests.Spec();
        var card = DevelopmentTests.Card(60, 440) with { Source = "/secret/patients/site-A" };
        var r0 = Initializer.Plan(spec, card, 3);
        var t0 = new TrialRecord(0, "initial", "recipe v0 from the initializer", "start", null, TrialStatus.Succeeded, 0.71, true, null, null, DateTimeOffset.UnixEpoch);
        return new DevelopmentState(spec, card, [(t0, r0, null)], r0, null);
    }

    private static string Recorded(string model = "resnet", double lr = 0.0005) =>
        "```json\n" + Json.Serialize(new
        {
            move = "lower_lr_more_augmentation",
            change = "learning rate 0.001 → 0.0005",
            reason = "Validation is noisy; a smaller step may settle better.",
            source = "Bengio 2012",
            recipe = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(60, 440), 3) is var r
                ? r with { Model = r.Model with { Name = model }, Optimizer = r.Optimizer with { LearningRate = lr } } : null,
        }) + "\n```";

    [Fact]
    public void Should_UseTheValidatedChange_When_TheModelAnswersWithAValidRecipe()
    {
        // Given a recorded valid answer
        var client = new RecordedChatClient(() => Recorded());
        // When proposing
        var p = new LlmProposer(client, new PlaybookProposer()).Propose(State())!;
        // Then its change is used, labelled as the model's, with a valid recipe
        Assert.Equal("llm:lower_lr_more_augmentation", p.Move);
        Assert.Equal(0.0005, p.Recipe.Optimizer.LearningRate);
        Assert.Contains("proposed by the language model", p.Reason);
        Assert.Empty(RecipeSchema.Problems(p.Recipe));
        // and what was sent holds counts and results but no path or identifier
        var sent = string.Join("\n", client.Sent.Select(m => m.Text));
        Assert.Contains("melanoma 60", sent);
        Assert.Contains("0.7100", sent);
        Assert.DoesNotContain("/secret", sent);
    }

    [Fact]
    public void Should_SendTheConfusionAndCalibration_When_TheBestTrialHasThem()
    {
        // Given a best trial whose validation metrics carry an ECE and a confusion matrix
        var state = State();
        var metrics = new TrialMetrics
        {
            Status = TrialStatus.Succeeded,
            Best = new ValidationMetrics(0.71, "auc", 0.71, 0.7, 0.7, 0.6, 0.8, 0.5, 0.137) { Confusion = [[40, 20], [5, 55]] },
        };
        var client = new RecordedChatClient(() => Recorded());
        // When proposing
        new LlmProposer(client, new PlaybookProposer()).Propose(state with { BestMetrics = metrics });
        // Then the message holds the same evidence the playbook reads, and names the ensemble and search knobs
        var sent = string.Join("\n", client.Sent.Select(m => m.Text));
        Assert.Contains("expected calibration error 0.137", sent);
        Assert.Contains("40 20 | 5 55", sent);
        Assert.Contains("ensemble_size", sent);
        Assert.Contains("successive halving", sent);
    }

    [Fact]
    public void Should_FallBackToThePlaybookAndSaySo_When_TheAnswerIsMalformed()
    {
        var p = new LlmProposer(new RecordedChatClient(() => "Sure! I think you should {lower the lr"), new PlaybookProposer()).Propose(State())!;
        Assert.DoesNotContain("llm", p.Move);
        Assert.Contains("LLM proposal not used", p.Reason);
        Assert.Contains("not valid JSON", p.Reason);
    }

    [Fact]
    public void Should_RejectTheRecipe_When_ItNamesAModelTheRegistryLacks()
    {
        var p = new LlmProposer(new RecordedChatClient(() => Recorded(model: "vit_giant")), new PlaybookProposer()).Propose(State())!;
        Assert.Contains("recipe was invalid", p.Reason);
        Assert.Contains("vit_giant", p.Reason);
    }

    [Fact]
    public void Should_FallBack_When_TheModelCannotBeReached()
    {
        var p = new LlmProposer(new RecordedChatClient(() => throw new HttpRequestException("connection refused")), new PlaybookProposer()).Propose(State())!;
        Assert.Contains("did not answer", p.Reason);
    }
}
