using System.ClientModel;
using Clinforge.Core;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Clinforge.Intent;

/// <summary>
/// Which LLM backs the parser, read from <c>CLINFORGE_LLM</c>:
/// <c>openai:MODEL</c> (key in <c>OPENAI_API_KEY</c>),
/// <c>anthropic:MODEL</c> (key in <c>ANTHROPIC_API_KEY</c>),
/// <c>openai-compatible:URL:MODEL</c> (vLLM, llama.cpp server, LM Studio; key in
/// <c>CLINFORGE_LLM_API_KEY</c> when the server wants one), or <c>ollama:MODEL</c> (local Ollama's
/// OpenAI-compatible endpoint; <c>OLLAMA_HOST</c> overrides http://localhost:11434). Keys are read
/// from the environment only when the client is made, and never printed.
/// </summary>
public sealed record LlmConfig(string Provider, string Model, Uri? Endpoint)
{
    /// <summary>The environment variable that selects the backend.</summary>
    public const string Variable = "CLINFORGE_LLM";

    /// <summary>Parses a <c>CLINFORGE_LLM</c> value; null or empty means no LLM.</summary>
    public static LlmConfig? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var v = value.Trim();
        var colon = v.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == v.Length - 1) throw Bad(v, "expected PROVIDER:MODEL");
        var provider = v[..colon].ToLowerInvariant();
        var rest = v[(colon + 1)..];
        switch (provider)
        {
            case "openai":
                return new LlmConfig(provider, rest, null);
            case "ollama":
            case "anthropic":
                return new LlmConfig(provider, rest, null);
            case "openai-compatible":
                // The URL has colons of its own (scheme, port); the model follows the first colon after its last slash.
                var slash = rest.LastIndexOf('/');
                var split = slash < 0 ? -1 : rest.IndexOf(':', slash);
                if (split < 0 || split == rest.Length - 1) throw Bad(v, "expected openai-compatible:http://host:port/v1:MODEL");
                if (!Uri.TryCreate(rest[..split], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw Bad(v, $"'{rest[..split]}' is not an http(s) URL");
                return new LlmConfig(provider, rest[(split + 1)..], uri);
            default:
                throw Bad(v, $"unknown provider '{provider}'; use openai, anthropic, openai-compatible or ollama");
        }
    }

    /// <summary>The environment variable holding this backend's key, or null when none is needed.</summary>
    public string? KeyVariable => Provider switch
    {
        "openai" => "OPENAI_API_KEY",
        "anthropic" => "ANTHROPIC_API_KEY",
        "openai-compatible" => "CLINFORGE_LLM_API_KEY",
        _ => null,
    };

    /// <summary>
    /// Makes the chat client, or null with a reason when it cannot be made (a required key is absent).
    /// No request is sent here.
    /// </summary>
    public IChatClient? CreateClient(Func<string, string?> environment, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var key = KeyVariable is { } name ? environment(name) : null;
        reason = null;
        if (Provider is "openai" or "anthropic" && string.IsNullOrEmpty(key))
        {
            reason = $"{KeyVariable} is not set";
            return null;
        }
        // Anthropic's own SDK exposes Microsoft.Extensions.AI's IChatClient (AnthropicClientExtensions.AsIChatClient).
        if (Provider == "anthropic") return new Anthropic.AnthropicClient { ApiKey = key }.AsIChatClient(Model, defaultMaxOutputTokens: 2048);
        var endpoint = Provider switch
        {
            "ollama" => new Uri((environment("OLLAMA_HOST") is { Length: > 0 } host ? host.TrimEnd('/') : "http://localhost:11434") + "/v1"),
            _ => Endpoint,
        };
        var options = new OpenAIClientOptions();
        if (endpoint is not null) options.Endpoint = endpoint;
        // Local servers accept any key; the OpenAI client insists on one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(key) ? "unused" : key);
        return new OpenAI.Chat.ChatClient(Model, credential, options).AsIChatClient();
    }

    private static ClinforgeException Bad(string value, string why) =>
        new($"{Variable}='{value}': {why}. Examples: openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, openai-compatible:http://localhost:8000/v1:llama-3.1-8b, ollama:llama3.1.");
}

/// <summary>Chooses the parser: the LLM backend when <c>CLINFORGE_LLM</c> is set and usable, else the offline rules.</summary>
public static class IntentParsers
{
    /// <summary>How long the LLM may take before the rules are used instead.</summary>
    public static readonly TimeSpan LlmTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The parser configured by the environment. <paramref name="say"/> receives one line saying
    /// which parser is used and why (never a key).
    /// </summary>
    public static IIntentParser FromEnvironment(Func<string, string?>? environment = null, Action<string>? say = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var rules = new RuleBasedParser();
        var config = LlmConfig.Parse(environment(LlmConfig.Variable));
        if (config is null) return rules;
        var client = config.CreateClient(environment, out var reason);
        if (client is null)
        {
            say?.Invoke($"{LlmConfig.Variable} asks for {config.Provider}:{config.Model}, but {reason}; using the offline rule-based parser.");
            return rules;
        }
        say?.Invoke($"parser: {config.Provider} {config.Model} (validated against the data's classes; the rules take over if it fails).");
        return new LlmIntentParser(client, rules, LlmTimeout);
    }
}
