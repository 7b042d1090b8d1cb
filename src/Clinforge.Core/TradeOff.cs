namespace Clinforge.Core;

/// <summary>One achievable operating point of the chosen model on validation.</summary>
/// <param name="Key">Short name used to choose it (e.g. "sensitivity_first").</param>
/// <param name="Description">What the point keeps and what it gives up, in words.</param>
/// <param name="Threshold">Score threshold on the positive class.</param>
/// <param name="Sensitivity">Validation sensitivity at the threshold.</param>
/// <param name="Specificity">Validation specificity at the threshold.</param>
/// <param name="OperatingPoint">The rule that reproduces this point on any model (null: Youden's threshold).</param>
public sealed record OperatingOption(string Key, string Description, double Threshold, double Sensitivity, double Specificity, OperatingPoint? OperatingPoint);

/// <summary>
/// final/trade_off.json: the stated floors could not all be met on validation by the chosen model,
/// so the clinician (or, unattended, the stated priority) chose among the achievable points. The
/// final evaluation then sets both models' thresholds with <see cref="Chosen"/>'s rule on their own
/// validation predictions.
/// </summary>
public sealed record TradeOffDecision
{
    public required IReadOnlyList<Requirement> Requirements { get; init; }
    /// <summary>The trial whose validation predictions were used.</summary>
    public required int Trial { get; init; }
    public required IReadOnlyList<OperatingOption> Options { get; init; }
    public required OperatingOption Chosen { get; init; }
    /// <summary>"clinician" (asked and answered) or "stated priority" (unattended).</summary>
    public required string ChosenBy { get; init; }
    public required string Reason { get; init; }
    /// <summary>
    /// What had to be decided, in words (e.g. that the floors conflict, or that the margin for new
    /// patients costs most of the specificity); null in decisions written before it was recorded,
    /// which were all conflicting floors.
    /// </summary>
    public string? Question { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
}
