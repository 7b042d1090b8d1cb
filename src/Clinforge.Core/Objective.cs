namespace Clinforge.Core;

/// <summary>
/// The single number the developer loop optimises on validation, derived from the spec: a metric
/// (see <see cref="Metrics"/>), optionally at an operating point, and the smallest change that
/// counts as an improvement (so noise does not accept a change).
/// </summary>
public sealed record Objective(string Metric, OperatingPoint? OperatingPoint, string? PositiveClass, double MinImprovement = 0.002)
{
    /// <summary>Higher is better for every metric we use.</summary>
    public bool Better(double candidate, double? best) =>
        !double.IsNaN(candidate) && (best is null || candidate > best.Value + MinImprovement);

    /// <summary>Human-readable name, e.g. "sensitivity at specificity ≥ 0.80".</summary>
    public string Describe() => OperatingPoint is { } op
        ? $"{op.Maximize} at {op.Constraint} ≥ {op.ConstraintValue:0.00}"
        : Metric.Replace('_', ' ');

    /// <summary>The objective a spec asks for.</summary>
    public static Objective From(TaskSpec spec) => new(spec.PrimaryMetric, spec.OperatingPoint, spec.PositiveClass);
}

/// <summary>
/// Records the one look at the sealed test split. Implemented by the journal; a second look throws
/// unless it is explicitly allowed, and then it is recorded as such.
/// </summary>
public interface ITestLookRecorder
{
    /// <summary>Records a look; throws <see cref="ClinforgeException"/> on a second look unless <paramref name="allowRepeat"/>.</summary>
    void RecordTestLook(string purpose, bool allowRepeat);

    /// <summary>How many times the test split was opened so far.</summary>
    int TestLookCount { get; }
}
