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
    IReadOnlyList<ModelConfound> Models);
