using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// Applies the clinician's answers (field → value, as from <c>develop --answers FILE</c> or an
/// interactive prompt) to a parsed spec. Pure: it validates every answer against the spec's classes,
/// keeps the objective consistent with the answered fields, records <c>"answer: …"</c> as each
/// field's provenance, removes the questions it answered and rewrites the restatement.
/// </summary>
public static class SpecAnswers
{
    /// <summary>Prefix of the provenance of an answered field.</summary>
    public const string AnswerProvenance = "answer: ";

    /// <summary>Provenance prefix of a field whose open question was left to its default.</summary>
    public const string DefaultKeptProvenance = "default kept (question not answered): ";

    /// <summary>Fields an answer may set.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "class_groups", "classes", "task", "positive_class", "priority_classes", "error_preference", "primary_metric",
        "operating_point", "localize", "confounders", "confounder_max_loss", "supervision", "budget",
    ];

    private static readonly string[] _metrics =
    [
        Metrics.Auc, Metrics.MacroAuc, Metrics.SensitivityAtSpecificity, Metrics.SpecificityAtSensitivity,
        Metrics.BalancedAccuracy, Metrics.Accuracy,
    ];

    /// <summary>
    /// Returns the spec with the answers applied, in the order of <see cref="Fields"/> (so an error
    /// preference is applied before an operating point that refines it).
    /// </summary>
    /// <param name="spec">The parsed spec.</param>
    /// <param name="answers">Field name (snake_case, as in task_spec.json) → answer text.</param>
    /// <param name="source">Where the answers came from (a file path), named in every error.</param>
    public static TaskSpec Apply(TaskSpec spec, IReadOnlyDictionary<string, string> answers, string source = "answers")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(answers);
        var unknown = answers.Keys.Where(k => !Fields.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new ClinforgeException(
                $"{source}: unknown field(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Answerable fields: {string.Join(", ", Fields)}.");
        }

        var provenance = new Dictionary<string, string>(spec.Provenance, StringComparer.Ordinal);
        var result = spec;
        foreach (var field in Fields)
        {
            if (!answers.TryGetValue(field, out var raw)) continue;
            var value = (raw ?? "").Trim();
            result = ApplyOne(result, field, value, source);
            provenance[field] = AnswerProvenance + value;
            if (field == "task") provenance["localize"] = AnswerProvenance + value;
            // The objective follows these answers, so its provenance does too.
            if (field is "error_preference" or "operating_point") provenance["primary_metric"] = AnswerProvenance + value;
        }
        var answered = answers.Keys.ToHashSet(StringComparer.Ordinal);
        result = result with
        {
            Provenance = provenance,
            Questions = result.Questions.Where(q => !answered.Contains(q.Field)).ToList(),
        };
        return result with { Restatement = Restatement.For(result) + ClassHandlingNote(result) };
    }

    /// <summary>Answer to the detection "classes" question that keeps the data's classes apart.</summary>
    public const string PerSourceClassRequested = TaskSpec.PerSourceClassRequested;

    /// <summary>
    /// The plain-language consequence of the detection "classes" answer, appended to the restatement:
    /// what the clinician asked for and what the detector does with it.
    /// </summary>
    public static string ClassHandlingNote(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Task != TaskKind.Detection || spec.Classes.Count == 0) return "";
        return spec.ClassHandling switch
        {
            "merged" => $" Every box in the data counts as one '{spec.Classes[0]}' class, as answered.",
            PerSourceClassRequested => $" You asked to keep the data's classes (e.g. body parts) apart: the detector learns each of the data's classes separately, gives every marked box its class, and reports the test metrics per class (AP, recall, precision, F1) beside the overall mean.",
            _ => "",
        };
    }

    /// <summary>
    /// Reads an answers file: a JSON object of field → value, where a value is a string, a number, a
    /// boolean or a list of strings (joined with commas); errors name the file.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Load(string path)
    {
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: answers file not found.");
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })?.AsObject()
                  ?? throw new ClinforgeException($"{path}: empty; write a JSON object such as {{\"error_preference\": \"sensitivity\"}}.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ClinforgeException($"{path}: not a JSON object of field → value ({e.Message}). Example: {{\"positive_class\": \"melanoma\", \"operating_point\": 0.9}}.");
        }
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, node) in obj)
        {
            answers[field] = node switch
            {
                null => "none",
                JsonArray list => string.Join(",", list.Select(x => x?.ToString() ?? "")),
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
                _ => throw new ClinforgeException($"{path}: field '{field}': give a string, number, boolean or list of strings."),
            };
        }
        return answers;
    }

    /// <summary>
    /// Accepts the defaults of every open question (a non-interactive run): the spec's values stay,
    /// and each asked field's provenance records that its default was kept, and what it was.
    /// </summary>
    public static TaskSpec AcceptDefaults(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var provenance = new Dictionary<string, string>(spec.Provenance, StringComparer.Ordinal);
        foreach (var q in spec.Questions) provenance[q.Field] = DefaultKeptProvenance + q.Default;
        return spec with { Provenance = provenance };
    }

    private static TaskSpec ApplyOne(TaskSpec spec, string field, string value, string source)
    {
        ClinforgeException Bad(string why) => new($"{source}: field '{field}' = '{value}': {why}");
        switch (field)
        {
            case "class_groups":
                if (value.StartsWith("grouped", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase)) return spec;
                if (!IsNone(value) && !value.Equals("no", StringComparison.OrdinalIgnoreCase)) throw Bad("answer 'grouped' to keep the grouping or 'none' to keep the data's classes apart.");
                return Ungrouped(spec);
            case "classes":
                // Segmentation (SegmentationIntent): the masks name their labels by value; the clinician names them.
                if (SegmentationIntent.IsMaskSpec(spec)) return MaskClassesNamed(spec, value, Bad);
                // Detection (DetectionIntent): the request names one finding while the data may name body parts.
                if (spec.Task != TaskKind.Detection) throw Bad("the 'classes' question is asked for detection and segmentation data only; for classification answer 'class_groups'.");
                var v = value.ToLowerInvariant();
                if (v.StartsWith("one", StringComparison.Ordinal) || v is "merged" or "merge" or "no" or "none" or "single" || v == spec.Classes[0].ToLowerInvariant() || v == spec.Classes[0].ToLowerInvariant() + "s")
                    return spec with { ClassHandling = "merged" };
                if (v.Contains("body", StringComparison.Ordinal) || v.Contains("apart", StringComparison.Ordinal) || v.Contains("separate", StringComparison.Ordinal)
                    || v.Contains("per ", StringComparison.Ordinal) || v is "yes" or "keep" or "source" or "data")
                    return spec with { ClassHandling = PerSourceClassRequested };
                throw Bad($"answer 'one class' to treat every box as '{spec.Classes[0]}', or 'body parts' to keep the data's classes apart (one detector class per class of the data, with per-class metrics).");
            case "task":
                var task = value.ToLowerInvariant() switch
                {
                    "classification" => TaskKind.Classification,
                    "detection" => TaskKind.Detection,
                    "segmentation" => TaskKind.Segmentation,
                    _ => throw Bad("must be classification, detection or segmentation."),
                };
                return spec with { Task = task, Localize = task != TaskKind.Classification };
            case "positive_class":
                if (IsNone(value))
                {
                    if (spec.Classes.Count == 2) throw Bad("a binary task needs a positive class; name one of " + string.Join(", ", spec.Classes) + ".");
                    return spec with { PositiveClass = null };
                }
                return spec with { PositiveClass = ClassNamed(spec, value, Bad) };
            case "priority_classes":
                return spec with
                {
                    PriorityClasses = IsNone(value) ? [] : SplitList(value).Select(v => ClassNamed(spec, v, Bad)).Distinct().ToList(),
                };
            case "confounder_max_loss":
                if (spec.Confounders.Count == 0) throw Bad("asked only when the request names something the model must not rely on.");
                if (value.Trim().ToLowerInvariant() is "none" or "no" or "primary" or "metric first" or "auc first")
                    return spec with { ConfounderMaxLoss = 0 };
                if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var loss) || loss is < 0 or > 0.1)
                    throw Bad("give the largest loss of the primary metric allowed for less reliance on the confounder, between 0 and 0.10 (e.g. 0.02), or 'none'.");
                return spec with { ConfounderMaxLoss = loss };
            case "error_preference":
                var preference = value.ToLowerInvariant() switch
                {
                    "sensitivity" => ErrorPreference.Sensitivity,
                    "specificity" => ErrorPreference.Specificity,
                    "balanced" => ErrorPreference.Balanced,
                    _ => throw Bad("must be sensitivity, specificity or balanced."),
                };
                return WithPreference(spec, preference);
            case "primary_metric":
                if (SegmentationIntent.IsMaskSpec(spec))
                {
                    if (!SegmentationMetricNames.All.Contains(value, StringComparer.Ordinal)) throw Bad($"a segmentation objective is one of {string.Join(", ", SegmentationMetricNames.All)}.");
                    return spec with { PrimaryMetric = value };
                }
                if (spec.Task == TaskKind.Detection)
                {
                    if (value is not (DetectionMetricNames.Map50 or DetectionMetricNames.F2)) throw Bad($"a detection objective is {DetectionMetricNames.Map50} or {DetectionMetricNames.F2}.");
                    return spec with { PrimaryMetric = value };
                }
                if (!_metrics.Contains(value, StringComparer.Ordinal)) throw Bad("must be one of " + string.Join(", ", _metrics) + ".");
                return spec with { PrimaryMetric = value };
            case "operating_point":
                // A detector's operating point is a score threshold chosen on validation (F2 or F1 at IoU 0.5), not a specificity floor.
                if (spec.Task == TaskKind.Detection && !IsNone(value))
                    throw Bad("a detector has no sensitivity/specificity operating point: its score threshold is chosen on validation. Answer error_preference 'sensitivity' to favour finding every case (F2), or 'balanced' (mAP@50).");
                if (spec.Task == TaskKind.Detection) return spec;
                // A mask is scored by per-pixel overlap per image; there is no image-level decision to hold a rate at.
                if (SegmentationIntent.IsMaskSpec(spec) && !IsNone(value))
                    throw Bad($"a segmentation model has no sensitivity/specificity operating point: it is scored by overlap per image. Answer error_preference 'sensitivity' to favour covering all of the structure ({SegmentationMetricNames.Sensitivity}), or 'balanced' ({SegmentationMetricNames.Dice}).");
                if (SegmentationIntent.IsMaskSpec(spec)) return spec;
                return WithOperatingPoint(spec, value, Bad);
            case "localize":
                if (!bool.TryParse(value, out var localize)) throw Bad("must be true or false.");
                return spec with { Localize = localize };
            case "confounders":
                return spec with
                {
                    Confounders = IsNone(value) ? [] : SplitList(value).Select(n => new Confounder(n, "unknown")).ToList(),
                };
            case "supervision":
                return spec with { Supervision = IsNone(value) ? null : value };
            case "budget":
                return spec with { Budget = IsNone(value) ? null : value };
            default:
                throw Bad("not an answerable field.");
        }
    }

    // The objective follows the preference, as the parser chooses it: binary tasks get an operating
    // point on the side the clinician fears; multi-class tasks keep macro AUC.
    private static TaskSpec WithPreference(TaskSpec spec, ErrorPreference preference)
    {
        var rules = IntentRules.Default;
        // Detection (DetectionIntent): recall first is F2 at IoU 0.5; otherwise mAP@50; no specificity floor.
        if (spec.Task == TaskKind.Detection)
            return spec with { ErrorPreference = preference, PrimaryMetric = preference == ErrorPreference.Sensitivity ? DetectionMetricNames.F2 : DetectionMetricNames.Map50, OperatingPoint = null };
        // Segmentation (SegmentationIntent): missing part of the structure costing more is mean pixel sensitivity; otherwise mean Dice.
        if (SegmentationIntent.IsMaskSpec(spec))
            return spec with { ErrorPreference = preference, PrimaryMetric = preference == ErrorPreference.Sensitivity ? SegmentationMetricNames.Sensitivity : SegmentationMetricNames.Dice, OperatingPoint = null };
        if (spec.PositiveClass is null) return spec with { ErrorPreference = preference };
        return preference switch
        {
            ErrorPreference.Sensitivity => spec with
            {
                ErrorPreference = preference,
                PrimaryMetric = Metrics.SensitivityAtSpecificity,
                OperatingPoint = new OperatingPoint("sensitivity", "specificity", rules.DefaultSpecificityFloor),
            },
            ErrorPreference.Specificity => spec with
            {
                ErrorPreference = preference,
                PrimaryMetric = Metrics.SpecificityAtSensitivity,
                OperatingPoint = new OperatingPoint("specificity", "sensitivity", rules.DefaultSensitivityFloor),
            },
            _ => spec with { ErrorPreference = preference, PrimaryMetric = Metrics.Auc, OperatingPoint = null },
        };
    }

    // "0.85" keeps the constraint and sets its value; "specificity=0.85" (or ":") names the constraint
    // too; "none" keeps a multi-class objective without one.
    /// <summary>
    /// The spec over the data's own classes: a merged class the clinician named becomes its members (as
    /// priorities when it was one), the positive class survives only if it was a class of the data, and a
    /// task that is no longer binary is measured by macro AUC (one-vs-rest for a surviving positive class).
    /// </summary>
    private static TaskSpec Ungrouped(TaskSpec spec)
    {
        if (spec.ClassGroups.Count == 0) return spec;
        IEnumerable<string> Members(string c) => spec.ClassGroups.TryGetValue(c, out var m) ? m : [c];
        var classes = spec.Classes.SelectMany(Members).ToList();
        bool positiveSurvives = spec.PositiveClass is { } p && Members(p).Count() == 1;
        var priorities = spec.PriorityClasses.SelectMany(Members).Distinct().ToList();
        if (spec.PositiveClass is { } merged && !positiveSurvives) priorities = [.. priorities.Union(Members(merged))];
        return spec with
        {
            Classes = classes,
            ClassGroups = new Dictionary<string, IReadOnlyList<string>>(),
            PositiveClass = positiveSurvives ? spec.PositiveClass : null,
            PriorityClasses = priorities,
            OperatingPoint = positiveSurvives ? spec.OperatingPoint : null,
            PrimaryMetric = positiveSurvives ? spec.PrimaryMetric : Metrics.MacroAuc,
            Requirements = positiveSurvives ? spec.Requirements : [],
        };
    }

    // The segmentation "classes" answer: one name per mask label, in label order ("vessel" for a binary
    // mask; "tumour core, oedema" for a label map of two labels); the first names a binary mask's positive class.
    private static TaskSpec MaskClassesNamed(TaskSpec spec, string value, Func<string, ClinforgeException> bad)
    {
        var names = SplitList(value).ToList();
        if (names.Count != spec.Classes.Count || names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count)
        {
            throw bad(spec.Classes.Count == 1
                ? "give one name for what the masks outline (e.g. 'vessel')."
                : $"give {spec.Classes.Count} different names, one per mask label in label order, separated by commas (now {string.Join(", ", spec.Classes)}).");
        }
        return spec with { Classes = names, PositiveClass = names.Count == 1 ? names[0] : null };
    }

    private static TaskSpec WithOperatingPoint(TaskSpec spec, string value, Func<string, ClinforgeException> bad)
    {
        if (IsNone(value))
        {
            if (spec.OperatingPoint is not null) throw bad("the objective needs an operating point; give a value such as 0.8 or specificity=0.8.");
            return spec;
        }
        var parts = value.Split('=', ':');
        var constraint = parts.Length == 2 ? parts[0].Trim().ToLowerInvariant() : spec.OperatingPoint?.Constraint;
        var number = parts.Length == 2 ? parts[1].Trim() : value;
        if (constraint is null) throw bad("this objective has no operating point; write e.g. specificity=0.8 to add one.");
        if (constraint is not ("sensitivity" or "specificity")) throw bad("the constraint must be sensitivity or specificity.");
        if (spec.PositiveClass is null) throw bad("an operating point needs a positive class; answer positive_class first.");
        if (!double.TryParse(number.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) throw bad("not a number.");
        if (number.EndsWith('%') || v > 1) v /= 100;
        if (v is <= 0 or >= 1) throw bad("must lie strictly between 0 and 1 (or 0% and 100%).");
        var maximize = constraint == "specificity" ? "sensitivity" : "specificity";
        // The answered floor replaces any stated floor on the same rate and becomes the first requirement.
        var requirements = spec.Requirements.Count == 0
            ? spec.Requirements
            : [new Requirement(constraint, Math.Round(v, 4)), .. spec.Requirements.Where(r => r.Metric != constraint)];
        return spec with
        {
            OperatingPoint = new OperatingPoint(maximize, constraint, Math.Round(v, 4)),
            Requirements = requirements,
            PrimaryMetric = constraint == "specificity" ? Metrics.SensitivityAtSpecificity : Metrics.SpecificityAtSensitivity,
        };
    }

    private static string ClassNamed(TaskSpec spec, string name, Func<string, ClinforgeException> bad) =>
        spec.Classes.FirstOrDefault(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase))
        ?? throw bad($"no such class; the dataset's classes are {string.Join(", ", spec.Classes)}.");

    private static bool IsNone(string value) => value.Length == 0 || value.Equals("none", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
