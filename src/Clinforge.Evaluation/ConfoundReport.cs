namespace Clinforge.Evaluation;

/// <summary>Label × confounder counts in one split (how strong the shortcut in the data is).</summary>
public sealed record ConfounderCounts(string Split, int PositivesWith, int Positives, int NegativesWith, int Negatives);

/// <summary>One model's confound analysis on the test split.</summary>
public sealed record ModelConfound(string Model, int Trial, ConfoundAnalysis Analysis);

/// <summary>
/// final/confound.json: for a confounder the clinician named and the data records (a metadata
/// column), the shortcut in the development data (cross-tabs, and how well the confounder alone
/// predicts the label) and the confound analysis of the initial and final models on the test split.
/// </summary>
public sealed record ConfoundReport(
    string Confounder,
    string Column,
    IReadOnlyList<ConfounderCounts> Counts,
    double ConfounderOnlyAuc,
    double ConfounderOnlyAucLower,
    double ConfounderOnlyAucUpper,
    IReadOnlyList<ModelConfound> Models,
    ShortcutSummary? Shortcut = null);

/// <summary>
/// The debiasing part of final/confound.json, present when the run refined the model with
/// debiasing moves: how the confounder was labelled, the auxiliary classifier's validation metrics,
/// baseline and refined models with test AUC and validation dependence, and a verdict that claims no
/// more than the intervals show.
/// </summary>
public sealed record ShortcutSummary(
    string AcceptanceRule,
    int Annotated,
    int Predicted,
    AuxiliarySummary? Auxiliary,
    IReadOnlyList<ShortcutModelRow> Models,
    string? Injected,
    string Verdict)
{
    /// <summary>Refined minus baseline test AUC, paired bootstrap over the same test cases (null when the baseline was kept).</summary>
    public PairedDifference? AucDifference { get; init; }
}

/// <summary>A paired difference (refined − baseline) with its 95% bootstrap interval and two-sided p-value.</summary>
public sealed record PairedDifference(double Difference, double Lower, double Upper, double PValue);

/// <summary>The auxiliary confounder classifier on the annotated validation images.</summary>
public sealed record AuxiliarySummary(int TrainImages, int ValImages, double ValAuc, double ValAucLower, double ValAucUpper, double Sensitivity, double Specificity);

/// <summary>One model (baseline = trial 0, refined = the kept trial) on the test split, with its validation dependence.</summary>
public sealed record ShortcutModelRow(string Model, int Trial, string Debias, double TestAuc, double TestAucLower, double TestAucUpper,
    double? ValPartialCorrelation, double PartialCorrelation, double PartialLower, double PartialUpper)
{
    /// <summary>Share of the model's test false positives (at its validation-chosen threshold) that carry the confounder.</summary>
    public double FalsePositiveShare { get; init; } = double.NaN;
    /// <summary>95% stratified bootstrap interval of <see cref="FalsePositiveShare"/>: lower end.</summary>
    public double FalsePositiveShareLower { get; init; } = double.NaN;
    /// <summary>Upper end of that interval.</summary>
    public double FalsePositiveShareUpper { get; init; } = double.NaN;
    /// <summary>False positives behind the share (a share of 3 false positives says little).</summary>
    public int FalsePositives { get; init; }
    /// <summary>Share of all test negatives that carry the confounder: the share a model that ignores it would show.</summary>
    public double NegativeShare { get; init; } = double.NaN;
}
