using System.Text.Json.Serialization;

namespace Clinforge.Core;

/// <summary>What kind of output the clinician wants.</summary>
public enum TaskKind { Classification, Detection, Segmentation }

/// <summary>Which error the clinician would rather avoid.</summary>
public enum ErrorPreference { Sensitivity, Specificity, Balanced }

/// <summary>
/// The clinical operating point the objective is measured at: maximise <see cref="Maximize"/> while
/// holding <see cref="Constraint"/> at least <see cref="ConstraintValue"/> (e.g. sensitivity at
/// specificity 0.8). <see cref="PointEstimate"/> is set only when the clinician (or the stated
/// priority) chose to meet a sensitivity floor on the development images alone, giving up the margin
/// for uncertainty on new patients (see the trade-off negotiation); it is left out of the file otherwise.
/// </summary>
public sealed record OperatingPoint(string Maximize, string Constraint, double ConstraintValue,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool PointEstimate = false);

/// <summary>
/// A floor the clinician stated for one rate ("sensitivity of at least 95%"): <see cref="Metric"/> is
/// sensitivity or specificity. Two floors can conflict; the developer then shows what is achievable
/// and asks (trade-off negotiation).
/// </summary>
public sealed record Requirement(string Metric, double Minimum);

/// <summary>A variable the model must not rely on.</summary>
public sealed record Confounder(string Name, string Source);

/// <summary>An open question, with the default used when nobody answers.</summary>
public sealed record OpenQuestion(string Field, string Question, string Default);

/// <summary>
/// The request as understood: what to predict, which classes matter, which errors cost more, how
/// success is measured. Every field's origin is in <see cref="Provenance"/>.
/// </summary>
public sealed record TaskSpec
{
    public int SchemaVersion { get; init; } = 1;
    public required string Request { get; init; }
    public TaskKind Task { get; init; } = TaskKind.Classification;
    /// <summary>Target classes, named as in the data, in the data's label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>
    /// Target classes that merge several of the data's classes (e.g. "nevus" = common_nevus +
    /// atypical_nevus), target name → data class names; empty when every class is the data's own.
    /// <see cref="Classes"/> then holds the target names.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ClassGroups { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    /// <summary>
    /// Detection only: how the data's own class names were handled, as answered to the "classes"
    /// question — "merged" (every box is the requested finding) or <see cref="PerSourceClassRequested"/>
    /// (the clinician asked to keep e.g. body parts apart: the detector then learns one class per source
    /// class, with per-class metrics); null when not asked or not answered (one class).
    /// </summary>
    public string? ClassHandling { get; init; }
    /// <summary>The <see cref="ClassHandling"/> answer that keeps the data's classes apart.</summary>
    public const string PerSourceClassRequested = "per_source_class_requested";
    /// <summary>For binary tasks the class whose detection matters (the "positive"); else null.</summary>
    public string? PositiveClass { get; init; }
    public IReadOnlyList<string> PriorityClasses { get; init; } = [];
    public ErrorPreference ErrorPreference { get; init; } = ErrorPreference.Balanced;
    /// <summary>One of the names in <see cref="Metrics"/>.</summary>
    public required string PrimaryMetric { get; init; }
    public OperatingPoint? OperatingPoint { get; init; }
    /// <summary>Every rate floor the request stated; the first is also <see cref="OperatingPoint"/>'s constraint.</summary>
    public IReadOnlyList<Requirement> Requirements { get; init; } = [];
    public bool Localize { get; init; }
    public IReadOnlyList<Confounder> Confounders { get; init; } = [];
    /// <summary>
    /// How much of the primary metric (on validation) the clinician allows to give up for less
    /// reliance on the named confounders, as answered to the "confounder_max_loss" question; 0 puts the
    /// primary metric first; null = not answered (<see cref="DefaultConfounderMaxLoss"/> applies).
    /// </summary>
    public double? ConfounderMaxLoss { get; init; }
    /// <summary>The allowed loss when unanswered: "test AUC not lower than the baseline's by more than 0.02".</summary>
    public const double DefaultConfounderMaxLoss = 0.02;
    public string? Supervision { get; init; }
    /// <summary>The compute budget the clinician hinted at (quick, overnight, thorough), or null when unsaid.</summary>
    public string? Budget { get; init; }
    /// <summary>Field name → the words of the request it came from, or "default".</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<OpenQuestion> Questions { get; init; } = [];
    /// <summary>Plain-language restatement shown to the clinician.</summary>
    public string Restatement { get; init; } = "";

    /// <summary>
    /// Index of the class whose sensitivity and specificity are reported: the positive class, else
    /// the first priority class, else the second class of a binary task, else -1.
    /// </summary>
    public int ReportedClassIndex(IReadOnlyList<string> classes)
    {
        var name = PositiveClass ?? PriorityClasses.FirstOrDefault();
        if (name is null) return classes.Count == 2 ? 1 : -1;
        for (int i = 0; i < classes.Count; i++) if (classes[i] == name) return i;
        return -1;
    }
}

/// <summary>Names of metrics used as objectives.</summary>
public static class Metrics
{
    public const string Auc = "auc";
    public const string MacroAuc = "macro_auc";
    public const string SensitivityAtSpecificity = "sensitivity_at_specificity";
    public const string SpecificityAtSensitivity = "specificity_at_sensitivity";
    public const string BalancedAccuracy = "balanced_accuracy";
    public const string Accuracy = "accuracy";
}
