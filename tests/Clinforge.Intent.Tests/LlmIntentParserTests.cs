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
    public void Should_AskTheLlmAndNoteTheRulesObjection_When_RulesRefuse()
    {
        // given a recorded reply that reads a localisation request the rules would refuse
        var client = new RecordedChatClient("""{"status": "ok", "task": "detection", "positive_class": "melanoma", "error_preference": "balanced"}""");
        var parser = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5));

        // when the request names a condition the data lacks
        var spec = parser.Parse("Find pneumonia.", _classes);

        // then the LLM was asked, its reading is used, and the rules' objection is an open question
        Assert.Single(client.Sent, m => m.Role == ChatRole.User);
        Assert.Equal(TaskKind.Detection, spec.Task);
        var objection = Assert.Single(spec.Questions, q => q.Field == "rules");
        Assert.Contains("'pneumonia'", objection.Question, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseLikeRules_When_RulesRefuseAndTheLlmReplyIsInvalid()
    {
        // given an invalid reply
        var client = new RecordedChatClient("not json");
        var parser = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5));

        // when the rules refuse, the rules' refusal stands
        var error = Assert.Throws<ClinforgeException>(() => parser.Parse("Find pneumonia.", _classes));
        Assert.Contains("'pneumonia'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseWithTheLlmsReasons_When_ReplySaysUnsupported()
    {
        // given a recorded reply that says the request is unsupported
        var client = new RecordedChatClient("""
            {"status": "unsupported", "understood": "the lesion's diameter in millimetres", "reason": "that is a measurement, not a class",
             "nearest": "tell lesions over 6 mm from smaller ones", "evidence": {"task": "diameter in millimetres"}}
            """);
        var parser = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5));

        // when parsed
        var error = Assert.Throws<UnsupportedRequestException>(() => parser.Parse("How wide is each mole, diameter in millimetres?", _classes));

        // then the answer carries the LLM's understanding, reason and nearest task, with exit code 3
        Assert.Equal("the lesion's diameter in millimetres", error.Answer.Understood);
        Assert.Equal("tell lesions over 6 mm from smaller ones", error.Answer.Nearest);
        Assert.Equal("diameter in millimetres", error.Answer.Words);
        Assert.Equal(UnsupportedRequest.ExitCode, error.ExitCode);
    }

    [Fact]
    public void Should_PutTheLlmsQuestion_When_ReplySaysAmbiguous()
    {
        // given a recorded reply that reads the request but finds it ambiguous
        var client = new RecordedChatClient("""
            {"status": "ambiguous", "task": "classification", "positive_class": "melanoma", "error_preference": "balanced",
             "question": "Should missing a melanoma count more than a false alarm?"}
            """);

        // when parsed
        var spec = new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5)).Parse("Melanoma or nevus, be careful.", _classes);

        // then the question is open and the reading is used
        Assert.Contains(spec.Questions, q => q.Field == "llm" && q.Question.Contains("missing a melanoma", StringComparison.Ordinal));
        Assert.Equal("melanoma", spec.PositiveClass);
    }

    [Fact]
    public void Should_LetTheSchemaSayUnsupportedOrAmbiguous_When_AskingTheLlm()
    {
        // when the schema is built
        var schema = LlmIntentParser.ReplySchema(_classes);

        // then status offers ok, unsupported and ambiguous, with the fields a refusal or a question needs
        var status = schema.GetProperty("properties").GetProperty("status").GetProperty("enum");
        Assert.Equal(["ok", "unsupported", "ambiguous"], status.EnumerateArray().Select(e => e.GetString()));
        foreach (var field in new[] { "understood", "reason", "nearest", "question" })
            Assert.True(schema.GetProperty("properties").TryGetProperty(field, out _), field);
    }

    [Fact]
    public void Should_SendCountsAndColumnNamesAndASchema_When_TheDataIsKnown()
    {
        // given a recording client and what is known about a CSV dataset
        var client = new RecordedChatClient("""{"task": "classification", "error_preference": "balanced"}""");
        var context = new DatasetContext(new Dictionary<string, int> { ["nevus"] = 400, ["melanoma"] = 100 }, ["image", "diagnosis", "patient_id", "scanner"], "csv");

        // when parsed with the context
        new LlmIntentParser(client, new RuleBasedParser(), TimeSpan.FromSeconds(5)).Parse(Request, _classes, context);

        // then counts and column names are sent (names only), and the reply is constrained by a JSON schema whose class enum is the data's
        var user = Assert.Single(client.Sent, m => m.Role == ChatRole.User);
        Assert.Contains("\"images_per_class\":{\"nevus\":400,\"melanoma\":100}", user.Text);
        Assert.Contains("\"csv_columns\":[\"image\",\"diagnosis\",\"patient_id\",\"scanner\"]", user.Text);
        var format = Assert.IsType<ChatResponseFormatJson>(client.Options!.ResponseFormat);
        Assert.Equal("task_spec", format.SchemaName);
        var schema = format.Schema!.Value;
        var positive = schema.GetProperty("properties").GetProperty("positive_class").GetProperty("anyOf")[0].GetProperty("enum");
        Assert.Equal(["nevus", "melanoma"], positive.EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["task", "error_preference"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Should_ConfigureAnthropic_When_TheVariableNamesIt()
    {
        // given CLINFORGE_LLM=anthropic:MODEL
        var config = LlmConfig.Parse("anthropic:claude-sonnet-4-5")!;
        Assert.Equal(("anthropic", "claude-sonnet-4-5", "ANTHROPIC_API_KEY"), (config.Provider, config.Model, config.KeyVariable));
        // when the key is missing, no client and a reason naming the variable (never a key)
        Assert.Null(config.CreateClient(_ => null, out var reason));
        Assert.Contains("ANTHROPIC_API_KEY", reason);
        // when the key is present, an IChatClient is made without any request being sent
        using var client = config.CreateClient(v => v == "ANTHROPIC_API_KEY" ? "sk-test" : null, out _);
        Assert.NotNull(client);
    }

    /// <summary>Replays one recorded reply (null: never replies) and records what was sent.</summary>
    private sealed class RecordedChatClient(string? reply) : IChatClient
    {
        public List<ChatMessage> Sent { get; } = [];

        public ChatOptions? Options { get; private set; }

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Sent.AddRange(messages);
            Options = options;
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
