using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Clinforge.Core;
using Microsoft.Extensions.AI;

namespace Clinforge.Development;

/// <summary>
/// Answers a clinician's free question about a run with a chat model, grounded in the journal: the
/// model receives only the recorded rounds (change, reason, source, validation result, decision) and
/// the operating-point decision, and is told to answer from them alone. The answer is checked — every
/// round it names must exist — and always followed by the template answer built from the journal
/// (<see cref="Explainer"/>), so the clinician can see the record the words rest on. Unreachable,
/// empty or ungrounded answers fall back to the template, saying so.
/// </summary>
public sealed partial class LlmExplainer(IChatClient client, TimeSpan? timeout = null)
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(60);

    private const string Instructions = """
        You explain to a clinician what an automated model-development run did. Answer the question in two to
        five plain sentences, using only the recorded rounds and decisions given as JSON. Refer to rounds as
        "round N". If the record does not contain the answer, say that it was not recorded. Do not speculate
        about results that were not measured, and never mention test-set numbers: only validation results are recorded.
        """;

    /// <summary>The answer to <paramref name="question"/>, or the template answer when no question is asked or the model cannot be used.</summary>
    public string Answer(IReadOnlyList<TrialRecord> trials, Objective objective, int? round, string? question, TradeOffDecision? tradeOff = null)
    {
        var template = Explainer.Answer(trials, objective, round, question, tradeOff);
        if (question is null || trials.Count == 0) return template;
        string? why;
        try
        {
            using var cts = new CancellationTokenSource(_timeout);
            var messages = new List<ChatMessage> { new(ChatRole.System, Instructions), new(ChatRole.User, Facts(trials, objective, round, question, tradeOff)) };
            var text = client.GetResponseAsync(messages, new ChatOptions { Temperature = 0 }, cts.Token).WaitAsync(_timeout, cts.Token).GetAwaiter().GetResult().Text?.Trim();
            why = Ungrounded(text, trials);
            if (why is null) return $"{text}\n\n(From the journal: {template})";
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException))
        {
            why = e is OperationCanceledException or TimeoutException ? $"no answer within {_timeout.TotalSeconds:0} s" : $"the language model was unavailable ({e.GetBaseException().GetType().Name})";
        }
        return $"{template}\n\n(Answered from the journal's templates: {why}.)";
    }

    /// <summary>What the model sees: the question and the journal's rounds; no pixels, paths or identifiers.</summary>
    public static string Facts(IReadOnlyList<TrialRecord> trials, Objective objective, int? round, string question, TradeOffDecision? tradeOff)
    {
        var rounds = new JsonArray(trials.Select(t => (JsonNode?)new JsonObject
        {
            ["round"] = t.Number,
            ["move"] = t.Move,
            ["change"] = t.Change,
            ["reason"] = t.Reason,
            ["source"] = t.Source,
            ["status"] = t.Status.ToString().ToLowerInvariant(),
            ["validation_objective"] = t.Objective,
            ["best_before"] = t.BestBefore,
            ["kept"] = t.Accepted,
            ["diagnosis"] = t.Diagnosis,
        }).ToArray());
        var facts = new JsonObject
        {
            ["question"] = question,
            ["about_round"] = round,
            ["objective_on_validation"] = objective.Describe(),
            ["minimum_improvement_to_keep_a_change"] = objective.MinImprovement,
            ["rounds"] = rounds,
        };
        if (tradeOff is not null) facts["operating_point_decision"] = JsonSerializer.SerializeToNode(tradeOff, Json.Options);
        return facts.ToJsonString(new JsonSerializerOptions(Json.Options) { WriteIndented = false });
    }

    /// <summary>Why an answer cannot be shown as grounded (empty, or naming a round that does not exist), or null when it can.</summary>
    public static string? Ungrounded(string? text, IReadOnlyList<TrialRecord> trials)
    {
        if (string.IsNullOrWhiteSpace(text)) return "the language model gave an empty answer";
        var named = RoundPattern().Matches(text).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct();
        var missing = named.Where(n => trials.All(t => t.Number != n)).ToList();
        return missing.Count > 0 ? $"its answer named round {string.Join(", ", missing)}, which is not in the journal" : null;
    }

    [GeneratedRegex(@"\bround\s+(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex RoundPattern();
}
