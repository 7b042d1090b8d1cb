using System.Text.Json;
using System.Text.Json.Nodes;
using Clinforge.Core;
using Microsoft.Extensions.AI;

namespace Clinforge.Intent;

/// <summary>
/// The optional LLM backend of the semantic parser, over any Microsoft.Extensions.AI
/// <see cref="IChatClient"/>. It sends only the request text, the class names and, when known, images
/// per class and CSV column names; asks for JSON constrained by a schema in the task_spec.json field
/// names (<see cref="ReplySchema"/>), and validates the reply against the dataset's vocabulary with
/// <see cref="SpecAnswers.Apply"/>. The reply may also say the request is "unsupported" (a task
/// Clinforge cannot do: then it is refused with the LLM's reasons) or "ambiguous" (its question is put
/// to the clinician). The rule parser runs first but does not block the LLM: when the rules refuse, the
/// LLM is still asked, and a valid reading from it is used with the rules' objection as an open
/// question. When the LLM is unreachable, slow, or replies with anything invalid, the rule reading (or
/// the rules' refusal) stands, with a note saying why, so the workflow never depends on the LLM.
/// </summary>
public sealed class LlmIntentParser : IIntentParser
{
    /// <summary>Provenance prefix of a field the LLM set.</summary>
    public const string LlmProvenance = "llm: ";

    /// <summary>Provenance key that says which parser produced the spec.</summary>
    public const string ParserField = "parser";

    private static readonly string _instructions = """
        You turn a clinician's request about a medical image dataset into a task specification.
        Reply with one JSON object and nothing else, with exactly these fields:
          "task": "classification" | "detection" | "segmentation"  (detection when findings must be marked or boxed, segmentation when outlined or measured)
          "positive_class": one of the given class names, or null for a multi-class task with no single target
          "priority_classes": list of given class names the clinician singled out
          "error_preference": "sensitivity" (missing a case costs more) | "specificity" (false alarms cost more) | "balanced"
          "operating_point": null, or {"constraint": "sensitivity" | "specificity", "value": number between 0 and 1} when a figure is stated
          "localize": true when findings must be shown on the image
          "confounders": list of things the model must not rely on (e.g. "chest drains", "rulers")
          "supervision": null, or a short note on annotations the clinician mentions (e.g. "boxes on a subset of the images")
          "budget": null, or "quick" | "overnight" | "thorough"
          "evidence": object mapping each field you set from the request to the exact words of the request it came from
          "status": "ok" | "unsupported" | "ambiguous"
             unsupported: the request asks for something other than classification, detection or segmentation of 2-D images
             (a number such as an age or a size, survival or time to an event, written text, video, 3-D volumes, new images);
             then also give "understood" (what it asks for), "reason" (why it is not classification, detection or segmentation)
             and "nearest" (the nearest classification, detection or segmentation task)
             ambiguous: the request can be read in ways that change the objective; give your best reading and "question" (what to ask the clinician)
        Use only the given class names, spelled exactly as given.
        """;

    private readonly IChatClient _client;
    private readonly IIntentParser _rules;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the parser.</summary>
    /// <param name="client">The chat client (OpenAI, an OpenAI-compatible server, Ollama, ...).</param>
    /// <param name="rules">The offline parser used first and as the fallback.</param>
    /// <param name="timeout">How long to wait for the LLM before falling back.</param>
    public LlmIntentParser(IChatClient client, IIntentParser rules, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(rules);
        _client = client;
        _rules = rules;
        _timeout = timeout;
    }

    /// <inheritdoc/>
    public TaskSpec Parse(string request, IReadOnlyList<string> datasetClasses) => Parse(request, datasetClasses, null);

    /// <inheritdoc/>
    public TaskSpec Parse(string request, IReadOnlyList<string> datasetClasses, DatasetContext? context)
    {
        TaskSpec? byRules = null;
        ClinforgeException? refusal = null;
        try
        {
            byRules = _rules.Parse(request, datasetClasses);
        }
        catch (ClinforgeException e) when (!string.IsNullOrWhiteSpace(request) && datasetClasses.Count > 0)
        {
            // The rules' refusal does not block the LLM: it may read the request better.
            refusal = e;
        }
        var baseline = byRules ?? Baseline(request, datasetClasses);
        // A grouped reading ("nevus" = common + atypical) names classes the data does not have; the LLM answers about those.
        var classes = baseline.Classes;
        string reply;
        try
        {
            reply = Ask(request, classes, context);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException))
        {
            if (refusal is not null) throw refusal;
            // Any failure of the backend (network, timeout, provider error) leaves the rules in charge.
            var why = e is OperationCanceledException or TimeoutException ? $"no reply within {_timeout.TotalSeconds:0} s" : $"unavailable ({e.GetBaseException().GetType().Name})";
            return Fallback(byRules!, why);
        }
        TaskSpec spec;
        try
        {
            spec = FromReply(baseline, reply);
        }
        catch (Exception e) when (e is (ClinforgeException and not UnsupportedRequestException) or JsonException or InvalidOperationException or FormatException)
        {
            if (refusal is not null) throw refusal;
            return Fallback(byRules!, "invalid reply: " + e.Message);
        }
        if (refusal is null) return spec;
        var objection = new OpenQuestion("rules",
            $"The offline rules would have refused this request ({refusal.Message}); this is the LLM's reading. Check it before the run starts.", "llm");
        return spec with { Questions = [.. spec.Questions, objection] };
    }

    /// <summary>The spec every field of which is at its default, for the LLM to fill when the rules refused.</summary>
    private static TaskSpec Baseline(string request, IReadOnlyList<string> classes)
    {
        var provenance = SpecAnswers.Fields.ToDictionary(f => f, _ => RuleBasedParser.DefaultProvenance, StringComparer.Ordinal);
        return new TaskSpec
        {
            Request = request,
            Classes = classes.ToList(),
            PositiveClass = classes.Count == 2 ? classes[1] : null,
            PrimaryMetric = classes.Count > 2 ? Metrics.MacroAuc : Metrics.Auc,
            Provenance = provenance,
        };
    }

    /// <summary>
    /// The message sent to the LLM: the request, the class names and, when known, images per class,
    /// the CSV's column names and the format. No image, path or identifier leaves the machine.
    /// </summary>
    public static string UserMessage(string request, IReadOnlyList<string> classes, DatasetContext? context)
    {
        var user = new JsonObject
        {
            ["request"] = request,
            ["classes"] = new JsonArray(classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
        };
        if (context is not null)
        {
            user["images_per_class"] = new JsonObject(context.CountsPerClass.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
            if (context.Columns.Count > 0) user["csv_columns"] = new JsonArray(context.Columns.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());
            user["format"] = context.Format;
        }
        return user.ToJsonString();
    }

    /// <summary>
    /// The JSON schema of the reply (structured output): task_spec.json's answerable fields, with the
    /// class names as an enum so a provider that enforces schemas cannot invent a class. The reply is
    /// validated again after it arrives, since not every provider enforces the schema.
    /// </summary>
    public static JsonElement ReplySchema(IReadOnlyList<string> classes)
    {
        JsonArray Enum(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        JsonObject Nullable(JsonObject schema) => new() { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
        var className = new JsonObject { ["type"] = "string", ["enum"] = Enum(classes) };
        var text = new JsonObject { ["type"] = "string" };
        var fields = new[] { "task", "positive_class", "priority_classes", "error_preference", "operating_point", "localize", "confounders", "supervision", "budget" };
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["task"] = new JsonObject { ["type"] = "string", ["enum"] = Enum(["classification", "detection", "segmentation"]) },
                ["positive_class"] = Nullable(className.DeepClone().AsObject()),
                ["priority_classes"] = new JsonObject { ["type"] = "array", ["items"] = className.DeepClone() },
                ["error_preference"] = new JsonObject { ["type"] = "string", ["enum"] = Enum(["sensitivity", "specificity", "balanced"]) },
                ["operating_point"] = Nullable(new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["constraint"] = new JsonObject { ["type"] = "string", ["enum"] = Enum(["sensitivity", "specificity"]) },
                        ["value"] = new JsonObject { ["type"] = "number", ["exclusiveMinimum"] = 0, ["exclusiveMaximum"] = 1 },
                    },
                    ["required"] = Enum(["constraint", "value"]),
                }),
                ["localize"] = new JsonObject { ["type"] = "boolean" },
                ["confounders"] = new JsonObject { ["type"] = "array", ["items"] = text.DeepClone() },
                ["supervision"] = Nullable(text.DeepClone().AsObject()),
                ["budget"] = Nullable(new JsonObject { ["type"] = "string", ["enum"] = Enum(["quick", "overnight", "thorough"]) }),
                ["status"] = new JsonObject { ["type"] = "string", ["enum"] = Enum(["ok", "unsupported", "ambiguous"]) },
                ["understood"] = Nullable(text.DeepClone().AsObject()),
                ["reason"] = Nullable(text.DeepClone().AsObject()),
                ["nearest"] = Nullable(text.DeepClone().AsObject()),
                ["question"] = Nullable(text.DeepClone().AsObject()),
                ["evidence"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject(fields.Select(f => KeyValuePair.Create(f, (JsonNode?)Nullable(text.DeepClone().AsObject())))),
                },
            },
            ["required"] = Enum(["task", "error_preference"]),
        };
        return JsonSerializer.SerializeToElement(schema);
    }

    private string Ask(string request, IReadOnlyList<string> classes, DatasetContext? context)
    {
        List<ChatMessage> messages = [new(ChatRole.System, _instructions), new(ChatRole.User, UserMessage(request, classes, context))];
        using var cts = new CancellationTokenSource(_timeout);
        var options = new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(ReplySchema(classes), "task_spec", "The clinician's request as a Clinforge task specification"),
            Temperature = 0,
        };
        var task = _client.GetResponseAsync(messages, options, cts.Token);
        return task.WaitAsync(_timeout, cts.Token).GetAwaiter().GetResult().Text;
    }

    private static TaskSpec FromReply(TaskSpec byRules, string reply)
    {
        var json = StripFence(reply);
        var node = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not a JSON object");
        var status = (node["status"] as JsonValue)?.GetValue<string>() ?? "ok";
        if (status == "unsupported")
        {
            string Said(string field, string otherwise) =>
                node[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetValue<string>()) ? v.GetValue<string>() : otherwise;
            throw new UnsupportedRequestException(new UnsupportedRequest("llm",
                Said("understood", "a task other than classification, detection or segmentation"),
                node["evidence"]?["task"] is JsonValue w && w.GetValueKind() == JsonValueKind.String && byRules.Request.Contains(w.GetValue<string>(), StringComparison.OrdinalIgnoreCase) ? w.GetValue<string>() : byRules.Request,
                Said("reason", "Clinforge trains classifiers, detectors and segmenters of 2-D images only."),
                Said("nearest", "a classifier, detector or segmenter for what the images show.")));
        }
        if (status is not ("ok" or "ambiguous")) throw new ClinforgeException($"unknown status '{status}'");
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, value) in node)
        {
            if (field is "evidence" or "status" or "understood" or "reason" or "nearest" or "question") continue;
            if (!SpecAnswers.Fields.Contains(field, StringComparer.Ordinal) || field == "primary_metric")
                throw new ClinforgeException($"unexpected field '{field}'");
            answers[field] = field == "operating_point" ? OperatingPointText(value) : Text(value);
        }
        if (!answers.ContainsKey("task") || !answers.ContainsKey("error_preference"))
            throw new ClinforgeException("the reply lacks task or error_preference");
        if (answers.TryGetValue("operating_point", out var opText) && opText == "none") answers.Remove("operating_point");
        // A binary task always has a positive class; a null here means the LLM left it to the rules.
        if (answers.TryGetValue("positive_class", out var positive) && positive == "none" && byRules.Classes.Count == 2) answers.Remove("positive_class");
        var spec = SpecAnswers.Apply(byRules, answers, "LLM reply");

        // Provenance quotes the request only where the LLM's evidence really is in it.
        var evidence = node["evidence"] as JsonObject;
        var provenance = new Dictionary<string, string>(spec.Provenance, StringComparer.Ordinal);
        foreach (var field in answers.Keys)
        {
            var words = evidence?[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            provenance[field] = words is not null && byRules.Request.Contains(words, StringComparison.OrdinalIgnoreCase)
                ? LlmProvenance + words
                : LlmProvenance.TrimEnd(' ', ':');
            if (field == "task" && !answers.ContainsKey("localize")) provenance["localize"] = provenance["task"];
        }
        provenance[ParserField] = "llm";
        spec = spec with { Provenance = provenance };
        if (status == "ambiguous")
        {
            var question = node["question"] is JsonValue q && q.GetValueKind() == JsonValueKind.String ? q.GetValue<string>() : "The request can be read in more than one way; is this reading right?";
            spec = spec with { Questions = [.. spec.Questions, new OpenQuestion("llm", question, "as read")] };
        }
        return spec with { Restatement = Restatement.For(spec) };
    }

    private static TaskSpec Fallback(TaskSpec byRules, string why)
    {
        var provenance = new Dictionary<string, string>(byRules.Provenance, StringComparer.Ordinal)
        {
            [ParserField] = $"rules (LLM not used: {why})",
        };
        var note = new OpenQuestion(ParserField,
            $"The LLM parser was not used ({why}); this is the offline rule-based reading. Check it before the run starts.", "rules");
        return byRules with { Provenance = provenance, Questions = [.. byRules.Questions, note] };
    }

    private static string Text(JsonNode? value) => value switch
    {
        null => "none",
        JsonArray list => list.Count == 0 ? "none" : string.Join(",", list.Select(x => x?.GetValue<string>() ?? "")),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number => v.ToJsonString(),
        _ => throw new ClinforgeException($"unexpected value {value.ToJsonString()}"),
    };

    private static string OperatingPointText(JsonNode? value) => value switch
    {
        null => "none",
        JsonObject o => $"{o["constraint"]?.GetValue<string>()}={o["value"]?.ToJsonString()}",
        _ => throw new ClinforgeException("operating_point must be null or {\"constraint\": ..., \"value\": ...}"),
    };

    // Some models wrap JSON in a Markdown code fence even when asked not to.
    private static string StripFence(string reply)
    {
        var s = reply.Trim();
        if (!s.StartsWith("```", StringComparison.Ordinal)) return s;
        var start = s.IndexOf('\n');
        var end = s.LastIndexOf("```", StringComparison.Ordinal);
        return start >= 0 && end > start ? s[(start + 1)..end] : s;
    }
}
