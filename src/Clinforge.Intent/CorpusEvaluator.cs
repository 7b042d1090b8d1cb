using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>One request of an evaluation corpus, with the spec fields it should produce.</summary>
public sealed record CorpusCase(int Line, string Request, IReadOnlyList<string> Classes, JsonObject Expect);

/// <summary>How often one spec field came out as expected.</summary>
public sealed record FieldScore(string Field, int Correct, int Total)
{
    /// <summary>Fraction correct (1 when no case checks the field).</summary>
    public double Accuracy => Total == 0 ? 1 : (double)Correct / Total;
}

/// <summary>One field of one corpus case that came out differently from the expectation.</summary>
public sealed record CaseFailure(int Line, string Request, string Field, string Expected, string Actual);

/// <summary>Per-field accuracy of a parser over a corpus, and every failure.</summary>
public sealed record CorpusReport(int Cases, IReadOnlyList<FieldScore> Fields, IReadOnlyList<CaseFailure> Failures);

/// <summary>
/// Measures a parser against a JSONL corpus: one object per line with <c>request</c>, <c>classes</c>
/// and <c>expect</c> (a partial task_spec.json in its own snake_case names; only the fields present
/// are checked, so a case states only what its words decide). <c>"error": true</c> in expect means the
/// parser must refuse the request. Lists whose order carries no meaning (priority classes,
/// confounder names) are compared as sets.
/// </summary>
public static class CorpusEvaluator
{
    /// <summary>Fields in the order they are reported.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "error", "task", "positive_class", "priority_classes", "error_preference", "primary_metric",
        "operating_point", "localize", "confounders", "supervision", "budget",
    ];

    /// <summary>Reads a corpus file; errors name the file and line.</summary>
    public static IReadOnlyList<CorpusCase> Load(string path)
    {
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: corpus file not found.");
        var cases = new List<CorpusCase>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
            try
            {
                var node = JsonNode.Parse(line)?.AsObject() ?? throw new JsonException("empty line");
                var request = node["request"]?.GetValue<string>() ?? throw new JsonException("missing \"request\"");
                var classes = node["classes"]?.AsArray().Select(c => c!.GetValue<string>()).ToList()
                              ?? throw new JsonException("missing \"classes\"");
                var expect = node["expect"]?.AsObject() ?? throw new JsonException("missing \"expect\"");
                var unknown = expect.Select(kv => kv.Key).Where(k => !Fields.Contains(k)).ToList();
                if (unknown.Count > 0) throw new JsonException($"unknown expected field(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Fields)}");
                cases.Add(new CorpusCase(lineNumber, request, classes, (JsonObject)expect.DeepClone()));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new ClinforgeException($"{path}, line {lineNumber}: {e.Message}. Each line must be {{\"request\": ..., \"classes\": [...], \"expect\": {{...}}}}.");
            }
        }
        if (cases.Count == 0) throw new ClinforgeException($"{path}: the corpus has no cases.");
        return cases;
    }

    /// <summary>Runs the parser on every case and scores each expected field.</summary>
    public static CorpusReport Evaluate(IReadOnlyList<CorpusCase> cases, IIntentParser parser)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(parser);
        var correct = Fields.ToDictionary(f => f, _ => 0);
        var total = Fields.ToDictionary(f => f, _ => 0);
        var failures = new List<CaseFailure>();
        foreach (var c in cases)
        {
            JsonObject? actual = null;
            string? error = null;
            try
            {
                actual = JsonNode.Parse(Json.Serialize(parser.Parse(c.Request, c.Classes)))!.AsObject();
            }
            catch (ClinforgeException e)
            {
                error = e.Message;
            }
            var expectsError = c.Expect["error"]?.GetValue<bool>() ?? false;
            foreach (var (field, expected) in c.Expect)
            {
                total[field]++;
                string actualText;
                bool ok;
                if (field == "error")
                {
                    ok = (error is not null) == expectsError;
                    actualText = error ?? "no error";
                }
                else if (actual is null)
                {
                    ok = false;
                    actualText = $"refused: {error}";
                }
                else
                {
                    var value = actual[field];
                    ok = Same(field, expected, value);
                    actualText = Show(value);
                }
                if (ok) correct[field]++;
                else failures.Add(new CaseFailure(c.Line, c.Request, field, Show(expected), actualText));
            }
        }
        var scores = Fields.Where(f => total[f] > 0).Select(f => new FieldScore(f, correct[f], total[f])).ToList();
        return new CorpusReport(cases.Count, scores, failures);
    }

    private static bool Same(string field, JsonNode? expected, JsonNode? actual) => field switch
    {
        "priority_classes" => SetOf(expected).SetEquals(SetOf(actual)),
        "confounders" => SetOf(expected).SetEquals(SetOf(actual, "name")),
        "operating_point" => SameOperatingPoint(expected, actual),
        "supervision" => expected is null ? actual is null
            : actual is not null && actual.GetValue<string>().Contains(expected.GetValue<string>(), StringComparison.OrdinalIgnoreCase),
        _ => JsonNode.DeepEquals(expected, actual),
    };

    private static bool SameOperatingPoint(JsonNode? expected, JsonNode? actual)
    {
        if (expected is null || actual is null) return expected is null && actual is null;
        return string.Equals((string?)expected["maximize"], (string?)actual["maximize"], StringComparison.Ordinal)
               && string.Equals((string?)expected["constraint"], (string?)actual["constraint"], StringComparison.Ordinal)
               && Math.Abs((double)expected["constraint_value"]! - (double)actual["constraint_value"]!) < 1e-6;
    }

    private static HashSet<string> SetOf(JsonNode? node, string? property = null) =>
        (node as JsonArray ?? [])
        .Select(n => property is null ? n?.GetValue<string>() : (string?)n?[property])
        .Where(s => s is not null)
        .Select(s => s!.Trim().ToLowerInvariant())
        .ToHashSet(StringComparer.Ordinal);

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";

    /// <summary>The report as plain text: one line per field, then the failures.</summary>
    public static string Format(CorpusReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var lines = new List<string> { $"{report.Cases} requests" };
        lines.AddRange(report.Fields.Select(f =>
            $"  {f.Field,-18} {(f.Accuracy * 100).ToString("0.0", CultureInfo.InvariantCulture),5}%  ({f.Correct}/{f.Total})"));
        if (report.Failures.Count > 0)
        {
            lines.Add($"{report.Failures.Count} failure(s):");
            lines.AddRange(report.Failures.Select(f =>
                $"  line {f.Line} [{f.Field}] expected {f.Expected}, got {f.Actual}\n    \"{f.Request}\""));
        }
        return string.Join(Environment.NewLine, lines);
    }
}
