using Microsoft.Extensions.AI;

namespace Clinforge.Intent.Tests;

/// <summary>
/// The LLM backend, tested with recorded replies through a fake <see cref="IChatClient"/>: no LLM is
/// reachable from the test machine.
/// </summary>
public sealed class LlmIntentParserTests
{
    private static readonly string[] _classes = ["nevus", "melanoma"];
    private const string Request = "Tell melanoma from nevus at 90% specificity; don't rely on rulers.";

    [Fact]
    public void Should_UseLlmReadingWithQuotedEvidence_When_ReplyIsValid()
    {
        // given a recorded valid reply
        var client = new RecordedChatClient("""
            {"task": "classification", "positive_class": "melanoma", "priority_classes": ["melanoma"],
             "error_preference": "sensitivity", "operating_point": {"constraint": "specificity", "value": 0.9},
             "localize": false, "confounders": ["rulers"], "supervision": null, "budget": null,
             "evidence": {"error_preference": "at 90% specificity", "confounders": "don't rely on rulers", "task": "words not in the request"}}
            """);

        // when parsed through the LLM backend
        var spec = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5)).Parse(Request, _classes);

        // then the reply's fields are used, with evidence quoted only when it is in the request
        Assert.Equal("melanoma", spec.PositiveClass);
        Assert.Equal(["melanoma"], spec.PriorityClasses);
        Assert.Equal(new OperatingPoint("sensitivity", "specificity", 0.9), spec.OperatingPoint);
        Assert.Equal(Metrics.SensitivityAtSpecificity, spec.PrimaryMetric);
        Assert.Equal("llm: at 90% specificity", spec.Provenance["error_preference"]);
        Assert.Equal("llm", spec.Provenance["task"]);
        Assert.Equal("llm", spec.Provenance[LlmIntentParser.ParserField]);
    }

    [Fact]
    public void Should_SendOnlyRequestAndClassNames_When_AskingTheLlm()
    {
        // given a recording client
        var client = new RecordedChatClient("""{"task": "classification", "error_preference": "balanced"}""");

        // when a request is parsed
        new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5)).Parse(Request, _classes);

        // then the user message is exactly the request and the class names
        var user = Assert.Single(client.Sent, m => m.Role == ChatRole.User);
        Assert.Equal("""{"request":"Tell melanoma from nevus at 90% specificity; don\u0027t rely on rulers.","classes":["nevus","melanoma"]}""", user.Text);
    }

    [Theory]
    [InlineData("this is not json", "invalid reply")]
    [InlineData("""{"task": "classification", "positive_class": "bcc", "error_preference": "balanced"}""", "no such class")]
    [InlineData("""{"task": "regression", "error_preference": "balanced"}""", "invalid reply")]
    [InlineData("""{"task": "classification", "error_preference": "balanced", "primary_metric": "auc"}""", "unexpected field")]
    public void Should_FallBackToRulesAndSaySo_When_ReplyIsInvalid(string reply, string reason)
    {
        // given a recorded invalid reply
        var client = new RecordedChatClient(reply);

        // when parsed
        var spec = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5)).Parse(Request, _classes);
        var byRules = new RuleBasedParser().Parse(Request, _classes);

        // then the rule reading is returned, with a note and provenance saying why
        Assert.Equal(byRules.OperatingPoint, spec.OperatingPoint);
        Assert.Equal(byRules.Confounders, spec.Confounders);
        Assert.Contains(reason, spec.Provenance[LlmIntentParser.ParserField], StringComparison.Ordinal);
        Assert.StartsWith("rules (LLM not used", spec.Provenance[LlmIntentParser.ParserField], StringComparison.Ordinal);
        Assert.Contains(spec.Questions, q => q.Field == LlmIntentParser.ParserField);
    }

    [Fact]
    public void Should_FallBackToRules_When_LlmDoesNotReplyInTime()
    {
        // given a client that never answers
        var client = new RecordedChatClient(null);

        // when parsed with a short timeout
        var spec = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromMilliseconds(200)).Parse(Request, _classes);

        // then the rules' reading is used and the timeout is named
        Assert.Equal("melanoma", spec.PositiveClass);
        Assert.Contains("no reply within", spec.Provenance[LlmIntentParser.ParserField], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseLikeRules_When_RequestNamesConditionTheDataLacks()
    {
        // given a valid client
        var client = new RecordedChatClient("""{"task": "classification", "error_preference": "balanced"}""");

        // when the request names pneumonia for a skin dataset
        var parser = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5));

        // then it is refused before the LLM is asked
        Assert.Throws<ClinforgeException>(() => parser.Parse("Find pneumonia.", _classes));
        Assert.Empty(client.Sent);
    }

    /// <summary>Replays one recorded reply (null: never replies) and records what was sent.</summary>
    private sealed class RecordedChatClient(string? reply) : IChatClient
    {
        public List<ChatMessage> Sent { get; } = [];

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Sent.AddRange(messages);
            if (reply is null) await Task.Delay(Timeout.Infinite, cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the parser does not stream");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
