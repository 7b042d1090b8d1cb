using Microsoft.Extensions.AI;

namespace Clinforge.Tests;

/// <summary>
/// Replays recorded language-model answers (no LLM is reachable from the test machines) and records
/// what was sent, so tests can check both the handling of replies and that nothing private leaves.
/// </summary>
internal sealed class RecordedChatClient(Func<string> answer) : IChatClient
{
    public List<ChatMessage> Sent { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Sent.AddRange(messages);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer())));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
