namespace Clinforge.Evaluation;

/// <summary>
/// Whether a debiasing run met the debiasing targets against its baseline (trial 0), read from the
/// run's <see cref="ShortcutSummary"/>: the magnitude of the partial correlation between prediction and
/// confounder probability reduced by at least 40%, the share of false positives that carry the
/// confounder at least halved, and test AUC not lower than the baseline's by more than 0.02. Point
/// estimates, as the targets are stated; the intervals are printed beside them.
/// </summary>
/// <param name="PartialReduction">(|baseline| − |refined|) / |baseline| of the test partial correlation: a sign flip is not a reduction.</param>
/// <param name="PartialMet">Reduction ≥ 40%.</param>
/// <param name="FalsePositiveShareRatio">Refined over baseline false-positive share in confounder-present negatives.</param>
/// <param name="FalsePositiveMet">Ratio ≤ 0.5.</param>
/// <param name="AucDifference">Refined − baseline test AUC, paired.</param>
/// <param name="AucMet">Difference ≥ −0.02.</param>
public sealed record ShortcutTargets(double PartialReduction, bool PartialMet, double FalsePositiveShareRatio, bool FalsePositiveMet,
    PairedDifference AucDifference, bool AucMet)
{
    /// <summary>The targets' reduction of the partial correlation (the seed study: 0.48 → 0.26, −47%).</summary>
    public const double PartialReductionTarget = 0.40;
    /// <summary>The targets' ratio of false-positive shares (the seed study: 60% → 31%).</summary>
    public const double FalsePositiveRatioTarget = 0.5;
    /// <summary>The largest test AUC loss the targets allow.</summary>
    public const double AucLossAllowed = 0.02;

    /// <summary>The targets for a run that kept a debiasing change; null when the final model is the baseline.</summary>
    public static ShortcutTargets? Evaluate(ShortcutSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (summary.Models.Count < 2 || summary.AucDifference is not { } auc) return null;
        var (b, r) = (summary.Models[0], summary.Models[1]);
        double reduction = Math.Abs(b.PartialCorrelation) is var mb && mb > 0 ? (mb - Math.Abs(r.PartialCorrelation)) / mb : double.NaN;
        double ratio = b.FalsePositiveShare > 0 ? r.FalsePositiveShare / b.FalsePositiveShare : double.NaN;
        return new ShortcutTargets(reduction, reduction >= PartialReductionTarget, ratio, ratio <= FalsePositiveRatioTarget,
            auc, auc.Difference >= -AucLossAllowed);
    }
}
