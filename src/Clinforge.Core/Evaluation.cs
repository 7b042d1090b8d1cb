namespace Clinforge.Core;

/// <summary>Scores items with a trained trial's model (implemented with TorchSharp in Training; used by the final evaluation).</summary>
public interface IModelScorer
{
    /// <summary>Class probabilities for each item, in item order.</summary>
    double[][] Predict(TrialPaths trial, IReadOnlyList<DataItem> items);
}

/// <summary>A point estimate with its 95% bootstrap interval.</summary>
public sealed record Estimate(double Value, double Lower, double Upper);

/// <summary>
/// Test metrics of one model at the operating point chosen on validation, and what that validation
/// (out-of-fold under cross-validation) led one to expect on new patients at the same threshold:
/// sensitivity and specificity with 95% Wilson intervals (binary tasks; else null).
/// </summary>
public sealed record ModelTestResult(
    int Trial,
    string Label,
    double Threshold,
    string ThresholdRule,
    IReadOnlyDictionary<string, Estimate> Metrics,
    IReadOnlyDictionary<string, Estimate>? Expected = null);

/// <summary>A paired comparison of final versus initial on the same test cases.</summary>
public sealed record PairedComparison(string Metric, double Difference, double Lower, double Upper, double PValue, string Method);

/// <summary>final/evaluation.json: the one look at the test split.</summary>
public sealed record FinalEvaluation
{
    public required DateTimeOffset LookedAt { get; init; }
    public required int TestCases { get; init; }
    public required IReadOnlyDictionary<string, int> TestCounts { get; init; }
    public required string ObjectiveName { get; init; }
    public required string PositiveClass { get; init; }
    public required ModelTestResult Initial { get; init; }
    public required ModelTestResult Final { get; init; }
    public required IReadOnlyList<PairedComparison> Comparisons { get; init; }
    public required int BootstrapResamples { get; init; }
    public required int BootstrapSeed { get; init; }
    public int TestLooks { get; init; } = 1;
}

/// <summary>
/// An example test image shown in the report (report/examples/examples.json): a true or false
/// positive or negative of the final model at the operating point, with its file under report/examples
/// and, when one could be computed, a Grad-CAM overlay for the positive class (<see cref="Saliency"/>).
/// </summary>
public sealed record ExampleImage(string Kind, string Id, string Label, double Probability, string File, string? Saliency = null);

/// <summary>One subgroup of a metadata column on the test split: the final model's metrics with 95% CIs.</summary>
public sealed record SubgroupEstimate(string Group, int Count, int Positives, Estimate Auc, Estimate Sensitivity, Estimate Specificity);

/// <summary>
/// final/subgroups.json: for each metadata column that defines a handful of groups (sex, age band,
/// site, body part), the final model's test metrics per group, at the operating threshold chosen on
/// validation. Descriptive: groups are small and several are compared, so intervals are wide.
/// </summary>
public sealed record SubgroupTable(string Column, string Grouping, IReadOnlyList<SubgroupEstimate> Rows);
