namespace Clinforge.Core;

/// <summary>
/// How a detection trial's validation images were used (in metrics.json): the epoch and the score
/// threshold were chosen on <see cref="SelectionImages"/> of them, and the objective the trial reports
/// (<see cref="TrialMetrics.Best"/>) was measured on the other <see cref="JudgedImages"/>, at that epoch
/// with that threshold. With <see cref="Fallback"/> set the validation set was too small to halve and
/// every image did both (the optimism of choosing and measuring on the same images remains).
/// </summary>
/// <param name="ValidationImages">Fully supervised validation images.</param>
/// <param name="SelectionImages">Images the epoch and the operating point were chosen on.</param>
/// <param name="JudgedImages">Images the reported objective was measured on (the detections in val_detections.json).</param>
/// <param name="Fallback">Why the images were not halved, or null when they were.</param>
public sealed record DetectionJudging(int ValidationImages, int SelectionImages, int JudgedImages, string? Fallback)
{
    /// <summary>The selection half's metrics at the kept epoch (what chose it), for information.</summary>
    public ValidationMetrics? Selection { get; init; }

    /// <summary>
    /// The whole validation set's metrics at the kept epoch, each with its own best threshold (the number
    /// reported before the images were halved; optimistic), for information.
    /// </summary>
    public ValidationMetrics? WholeValidation { get; init; }
}
