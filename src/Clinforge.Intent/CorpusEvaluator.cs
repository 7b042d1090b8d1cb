using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// One request of an evaluation corpus, with the spec fields it should produce and, in a corpus split
/// into halves, the half it belongs to ("dev" or "heldout"; null when the corpus is not split).
/// </summary>
public sealed record CorpusCase(int Line, string Request, IReadOnlyList<string> Classes, JsonObject Expect, string? Half = null);

/// <summary>
/// How often one spec field came out as expected, over all cases that check it and over those whose
/// expected value is not the field's default (null, empty, false, classification, balanced, AUC).
/// </summary>
public sealed record FieldScore(string Field, int Correct, int Total, int NonDefaultCorrect = 0, int NonDefaultTotal = 0)
{
    /// <summary>Fraction correct (1 when no case checks the field).</summary>
    public double Accuracy => Total == 0 ? 1 : (double)Correct / Total;

    /// <summary>Fraction correct among non-default expectations (1 when there are none).</summary>
    public double NonDefaultAccuracy => NonDefaultTotal == 0 ? 1 : (double)NonDefaultCorrect / NonDefaultTotal;
}

/// <summary>One field of one corpus case that came out differently from the expectation.</summary>
public sealed record CaseFailure(int Line, string Request, string Field, string Expected, string Actual);

/// <summary>
/// Per-field accuracy of a parser over a corpus, and every failure. <see cref="Crashes"/> counts
/// exceptions other than a clear refusal; <see cref="UnsupportedRefused"/> of
/// <see cref="UnsupportedTotal"/> requests for unsupported tasks were refused with an answer that says
/// what was understood, why not, and the nearest possible task.
/// </summary>
public sealed record CorpusReport(int Cases, IReadOnlyList<FieldScore> Fields, IReadOnlyList<CaseFailure> Failures)
{
    /// <summary>Cases whose parse threw something other than a <see cref="ClinforgeException"/>.</summary>
    public int Crashes { get; init; }

    /// <summary>Unsupported requests refused with a useful answer.</summary>
    public int UnsupportedRefused { get; init; }

    /// <summary>Requests the corpus marks unsupported.</summary>
    public int UnsupportedTotal { get; init; }

    /// <summary>Supported requests refused as unsupported.</summary>
    public int FalseRefusals { get; init; }

    /// <summary>Correct over checked fields, all fields together.</summary>
    public double Overall => Ratio(Fields.Sum(f => f.Correct), Fields.Sum(f => f.Total));

    /// <summary>Correct over checked fields whose expected value is not the default.</summary>
    public double OverallNonDefault => Ratio(Fields.Sum(f => f.NonDefaultCorrect), Fields.Sum(f => f.NonDefaultTotal));

    private static double Ratio(int a, int b) => b == 0 ? 1 : (double)a / b;
}

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
        "operating_point", "localize", "confounders", "supervision", "budget", "unsupported", "questions",
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
                var half = node["half"]?.GetValue<string>();
                if (half is not null && half is not ("dev" or "heldout")) throw new JsonException($"\"half\" must be \"dev\" or \"heldout\", not \"{half}\"");
                cases.Add(new CorpusCase(lineNumber, request, classes, (JsonObject)expect.DeepClone(), half));
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
        var ndCorrect = Fields.ToDictionary(f => f, _ => 0);
        var ndTotal = Fields.ToDictionary(f => f, _ => 0);
        var failures = new List<CaseFailure>();
        int crashes = 0, unsupportedRefused = 0, unsupportedTotal = 0, falseRefusals = 0;
        foreach (var c in cases)
        {
            JsonObject? actual = null;
            string? error = null;
            UnsupportedRequest? refusal = null;
            try
            {
                actual = JsonNode.Parse(Json.Serialize(parser.Parse(c.Request, c.Classes)))!.AsObject();
            }
            catch (UnsupportedRequestException e)
            {
                error = e.Message;
                refusal = e.Answer;
            }
            catch (ClinforgeException e)
            {
                error = e.Message;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A crash is what the corpus measures: it is counted, not rethrown.
                crashes++;
                error = $"crash: {e.GetType().Name}: {e.Message}";
            }
            var expectsError = c.Expect["error"]?.GetValue<bool>() ?? false;
            var expectsUnsupported = c.Expect["unsupported"]?.GetValue<bool>() ?? false;
            if (expectsUnsupported)
            {
                unsupportedTotal++;
                if (IsUseful(refusal)) unsupportedRefused++;
            }
            else if (refusal is not null)
            {
                falseRefusals++;
            }
            foreach (var (field, expected) in c.Expect)
            {
                total[field]++;
                var nonDefault = !IsDefault(expected);
                if (nonDefault) ndTotal[field]++;
                string actualText;
                bool ok;
                if (field == "error")
                {
                    ok = (error is not null && !error.StartsWith("crash:", StringComparison.Ordinal)) == expectsError;
                    actualText = error ?? "no error";
                }
                else if (field == "unsupported")
                {
                    ok = IsUseful(refusal) == expectsUnsupported;
                    actualText = refusal is null ? error ?? "not refused" : refusal.Message;
                }
                else if (actual is null)
                {
                    ok = false;
                    actualText = $"refused: {error}";
                }
                else
                {
                    var value = field == "questions"
                        ? new JsonArray((actual["questions"] as JsonArray ?? []).Select(q => (JsonNode?)JsonValue.Create((string?)q?["field"])).ToArray())
                        : actual[field];
                    ok = Same(field, expected, value);
                    actualText = Show(value);
                }
                if (ok)
                {
                    correct[field]++;
                    if (nonDefault) ndCorrect[field]++;
                }
                else
                {
                    failures.Add(new CaseFailure(c.Line, c.Request, field, Show(expected), actualText));
                }
            }
        }
        var scores = Fields.Where(f => total[f] > 0).Select(f => new FieldScore(f, correct[f], total[f], ndCorrect[f], ndTotal[f])).ToList();
        return new CorpusReport(cases.Count, scores, failures)
        {
            Crashes = crashes,
            UnsupportedRefused = unsupportedRefused,
            UnsupportedTotal = unsupportedTotal,
            FalseRefusals = falseRefusals,
        };
    }

    // A useful refusal says what was understood, why it cannot be done, and what can be done instead.
    private static bool IsUseful(UnsupportedRequest? r) =>
        r is not null && !string.IsNullOrWhiteSpace(r.Understood) && !string.IsNullOrWhiteSpace(r.Why) && !string.IsNullOrWhiteSpace(r.Nearest);

    // The value a field takes when no words of the request set it.
    private static bool IsDefault(JsonNode? expected) => expected switch
    {
        null => true,
        JsonArray list => list.Count == 0,
        JsonValue v when v.GetValueKind() is JsonValueKind.False => true,
        JsonValue v when v.GetValueKind() is JsonValueKind.String => v.GetValue<string>() is "classification" or "balanced" or Metrics.Auc or Metrics.MacroAuc,
        _ => false,
    };

    private static bool Same(string field, JsonNode? expected, JsonNode? actual) => field switch
    {
        "priority_classes" => SetOf(expected).SetEquals(SetOf(actual)),
        "confounders" => SameNames(SetOf(expected), SetOf(actual, "name")),
        "questions" => SetOf(expected).IsSubsetOf(SetOf(actual)),
        "operating_point" => SameOperatingPoint(expected, actual),
        "supervision" => expected is null ? actual is null
            : actual is not null && actual.GetValue<string>().Contains(expected.GetValue<string>(), StringComparison.OrdinalIgnoreCase),
        _ => JsonNode.DeepEquals(expected, actual),
    };

    // Confounder names are free text: "hospital" and "which hospital the image came from" name the
    // same thing, so names match when one holds the other's words; each expected name needs its own match.
    private static bool SameNames(HashSet<string> expected, HashSet<string> actual)
    {
        if (expected.Count != actual.Count) return false;
        var left = actual.ToList();
        foreach (var e in expected)
        {
            var hit = left.FindIndex(a => a == e || ContainsWords(a, e) || ContainsWords(e, a));
            if (hit < 0) return false;
            left.RemoveAt(hit);
        }
        return true;
    }

    private static bool ContainsWords(string outer, string inner) =>
        $" {outer} ".Contains($" {inner} ", StringComparison.Ordinal);

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
    public static string Format(CorpusReport report) => Format(report, showFailures: true);

    /// <summary>
    /// The report as plain text: overall and non-default accuracy, refusals and crashes, one line per
    /// field, then (when asked) the failures.
    /// </summary>
    public static string Format(CorpusReport report, bool showFailures)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        string Pct(double x) => (x * 100).ToString("0.0", inv) + "%";
        var fieldsChecked = report.Fields.Sum(f => f.Total);
        var nonDefault = report.Fields.Sum(f => f.NonDefaultTotal);
        var lines = new List<string>
        {
            $"{report.Cases} requests",
            $"  all fields          {Pct(report.Overall),6}  ({report.Fields.Sum(f => f.Correct)}/{fieldsChecked})",
            $"  non-default fields  {Pct(report.OverallNonDefault),6}  ({report.Fields.Sum(f => f.NonDefaultCorrect)}/{nonDefault})",
        };
        if (report.UnsupportedTotal > 0 || report.FalseRefusals > 0)
            lines.Add($"  unsupported refused with an answer: {report.UnsupportedRefused}/{report.UnsupportedTotal}; supported requests refused as unsupported: {report.FalseRefusals}");
        lines.Add($"  crashes: {report.Crashes}");
        lines.Add($"  {"field",-18} {"all",6}            {"non-default",11}");
        lines.AddRange(report.Fields.Select(f =>
            $"  {f.Field,-18} {Pct(f.Accuracy),6} ({f.Correct}/{f.Total})".PadRight(40)
            + (f.NonDefaultTotal > 0 ? $"{Pct(f.NonDefaultAccuracy),6} ({f.NonDefaultCorrect}/{f.NonDefaultTotal})" : "     —")));
        if (showFailures && report.Failures.Count > 0)
        {
            lines.Add($"{report.Failures.Count} failure(s):");
            lines.AddRange(report.Failures.Select(f =>
                $"  line {f.Line} [{f.Field}] expected {f.Expected}, got {f.Actual}\n    \"{f.Request}\""));
        }
        else if (report.Failures.Count > 0)
        {
            lines.Add($"{report.Failures.Count} failure(s), not shown.");
        }
        return string.Join(Environment.NewLine, lines);
    }
}
