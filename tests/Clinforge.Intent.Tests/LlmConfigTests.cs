namespace Clinforge.Intent.Tests;

/// <summary>CLINFORGE_LLM parsing and the choice of parser; no request is sent in these tests.</summary>
public sealed class LlmConfigTests
{
    [Theory]
    [InlineData("openai:gpt-4o-mini", "openai", "gpt-4o-mini", null)]
    [InlineData("openai-compatible:http://localhost:8000/v1:llama-3.1-8b", "openai-compatible", "llama-3.1-8b", "http://localhost:8000/v1")]
    [InlineData("openai-compatible:http://gpu-box:1234/v1:qwen2.5:7b", "openai-compatible", "qwen2.5:7b", "http://gpu-box:1234/v1")]
    [InlineData("ollama:llama3.1", "ollama", "llama3.1", null)]
    public void Should_ReadProviderModelAndEndpoint_When_ValueIsWellFormed(string value, string provider, string model, string? endpoint)
    {
        // when the value is parsed
        var config = LlmConfig.Parse(value)!;

        // then provider, model and endpoint are read, colons in URLs and models included
        Assert.Equal(provider, config.Provider);
        Assert.Equal(model, config.Model);
        Assert.Equal(endpoint, config.Endpoint?.ToString().TrimEnd('/'));
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("anthropic-ish:claude")]
    [InlineData("openai-compatible:localhost")]
    public void Should_RefuseWithExamples_When_ValueIsMalformed(string value)
    {
        // when a malformed value is parsed
        var error = Assert.Throws<ClinforgeException>(() => LlmConfig.Parse(value));

        // then the message names the variable and shows examples
        Assert.Contains("CLINFORGE_LLM", error.Message, StringComparison.Ordinal);
        Assert.Contains("openai:gpt-4o-mini", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_UseRulesAndSayWhyWithoutKey_When_OpenAiKeyIsMissing()
    {
        // given CLINFORGE_LLM=openai:... and no key
        var env = new Dictionary<string, string> { ["CLINFORGE_LLM"] = "openai:gpt-4o-mini" };
        var said = new List<string>();

        // when the parser is chosen
        var parser = IntentParsers.FromEnvironment(env.GetValueOrDefault, said.Add);

        // then the rules are used and the reason is said
        Assert.IsType<RuleBasedParser>(parser);
        Assert.Contains("OPENAI_API_KEY is not set", Assert.Single(said), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_UseLlmParserAndNeverPrintKey_When_KeyIsSet()
    {
        // given a configured backend with a key
        var env = new Dictionary<string, string> { ["CLINFORGE_LLM"] = "openai:gpt-4o-mini", ["OPENAI_API_KEY"] = "sk-secret-123" };
        var said = new List<string>();

        // when the parser is chosen
        var parser = IntentParsers.FromEnvironment(env.GetValueOrDefault, said.Add);

        // then it is the LLM parser and the key appears nowhere in what was said
        Assert.IsType<LlmIntentParser>(parser);
        Assert.DoesNotContain(said, s => s.Contains("sk-secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_UseRulesSilently_When_VariableIsUnset()
    {
        // when nothing is configured
        var said = new List<string>();
        var parser = IntentParsers.FromEnvironment(_ => null, said.Add);

        // then the offline parser is used
        Assert.IsType<RuleBasedParser>(parser);
        Assert.Empty(said);
    }
}
