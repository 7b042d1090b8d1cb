using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// Class handling for detection requests: the clinician asks for a finding ("fractures"),
/// the data may name other things (body parts: "elbow positive", "wrist positive"...). Every box
/// becomes one class named after the finding the request asks for, the spec says so in an open
/// question, and the error preference carries over (recall first when findings must not be missed).
/// </summary>
public static partial class DetectionIntent
{
    /// <summary>
    /// Parses a request against a detection dataset: the parser sees the image-level classes "normal"
    /// and the finding the request names (the data's own names are body parts or codes that the
    /// request need not mention), then <see cref="Apply"/> maps the spec to detection.
    /// </summary>
    public static TaskSpec Parse(IIntentParser parser, string request, DetectionSummary detection)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var finding = FindingName(request);
        return Apply(parser.Parse(request, ["normal", finding.Name]), detection);
    }

    /// <summary>
    /// Adapts a parsed spec to a detection dataset: task Detection, one class named from the request,
    /// that class positive, primary metric per the error preference, and a question on the class mapping.
    /// </summary>
    public static TaskSpec Apply(TaskSpec spec, DetectionSummary detection)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(detection);
        var finding = FindingName(spec.Request);
        var provenance = new Dictionary<string, string>(spec.Provenance)
        {
            ["task"] = spec.Task == TaskKind.Detection ? spec.Provenance.GetValueOrDefault("task", "request") : "the data has boxes (detection labels)",
            ["classes"] = finding.Source,
        };
        // Only questions that mean something for a detector survive: the classification parser's
        // positive class, class grouping and sensitivity-at-specificity operating point do not (a
        // detector's operating point is a score threshold chosen on validation, by F2 or F1).
        var questions = spec.Questions.Where(q => !ClassificationOnlyQuestions.Contains(q.Field)).ToList();
        bool recallFirst = spec.ErrorPreference == ErrorPreference.Sensitivity;
        for (int i = 0; i < questions.Count; i++)
        {
            if (questions[i].Field == "error_preference")
                questions[i] = questions[i] with
                {
                    Question = $"Which error costs more: missing a {finding.Name}, or a false mark? Until you say, both count the same (validation objective mAP@50); answer 'sensitivity' to favour finding every {finding.Name} (F2 at IoU 0.5).",
                };
        }
        if (detection.SourceClasses.Count > 1 || (detection.SourceClasses.Count == 1 && !string.Equals(detection.SourceClasses[0], finding.Name, StringComparison.OrdinalIgnoreCase)))
        {
            questions.Add(new OpenQuestion("classes",
                $"The data names {detection.SourceClasses.Count} classes ({string.Join(", ", detection.SourceClasses)}); you asked for {finding.Name}s, so every box is treated as one '{finding.Name}' class. Should any of these be kept apart (e.g. by body part)? Answer 'body parts' to train one class per class of the data, each box marked with its class and the results given per class.",
                $"one class: {finding.Name}"));
        }
        return spec with
        {
            Task = TaskKind.Detection,
            Localize = true,
            Classes = [finding.Name],
            PositiveClass = finding.Name,
            PriorityClasses = [],
            PrimaryMetric = recallFirst ? DetectionMetricNames.F2 : DetectionMetricNames.Map50,
            OperatingPoint = null,
            Provenance = provenance,
            Questions = questions,
            Restatement = $"Mark each suspected {finding.Name} with a box on the image" + (recallFirst
                ? $"; missing a {finding.Name} costs more than a false mark, so the operating point favours recall (validation objective F2 at IoU 0.5)."
                : "; validation objective mAP@50."),
        };
    }

    /// <summary>
    /// Open questions of the classification parser that have no meaning for a detector: which class is
    /// positive (a detector has one finding, or the data's classes), class grouping (the detection
    /// "classes" question replaces it), and the operating point and metric phrased as sensitivity at a
    /// specificity (a detector has no image-level specificity; its threshold is chosen on validation),
    /// and the confounder trade-off (debiasing is built for binary classification only).
    /// </summary>
    public static readonly IReadOnlyList<string> ClassificationOnlyQuestions = ["positive_class", "classes", "class_groups", "priority_classes", "operating_point", "primary_metric", "confounder_max_loss"];

    /// <summary>The finding the request names (fracture, nodule, ...), singular, with the words it came from; "finding" when none.</summary>
    public static (string Name, string Source) FindingName(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var m = FindingPattern().Match(request);
        if (!m.Success) return ("finding", "default: the request names no finding");
        var word = m.Groups[1].Value.ToLowerInvariant();
        return (word, m.Value);
    }

    [GeneratedRegex(@"\b(fracture|nodule|lesion|tumou?r|mass|polyp|opacity|pneumothorax|haemorrhage|hemorrhage|calcification|bleed|abnormality|finding)(?:e?s)?\b", RegexOptions.IgnoreCase)]
    private static partial Regex FindingPattern();
}
