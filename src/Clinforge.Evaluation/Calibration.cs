namespace Clinforge.Evaluation;

/// <summary>One bin of a reliability diagram: its score range, size, mean score and observed positive rate.</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanScore, double FractionPositive);

/// <summary>
/// Calibration of probabilities of a binary outcome: reliability bins, expected calibration error and
/// Brier score. Scores must be probabilities in [0, 1]; a NaN score makes the summaries NaN.
/// </summary>
public static class Calibration
{
    /// <summary>
    /// Equal-width reliability diagram over [0, 1] (DeGroot &amp; Fienberg 1983; Niculescu-Mizil &amp;
    /// Caruana 2005): bin b holds scores in [b/B, (b+1)/B), the last bin also holds 1. Empty bins are
    /// kept with Count 0 and NaN means.
    /// </summary>
    public static IReadOnlyList<CalibrationBin> ReliabilityBins(IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores, int bins = 10)
    {
        Validate(binaryLabels, scores, bins);
        var count = new int[bins];
        var scoreSum = new double[bins];
        var positiveSum = new int[bins];
        for (var i = 0; i < scores.Count; i++)
        {
            if (double.IsNaN(scores[i])) continue;
            var b = Math.Min((int)(scores[i] * bins), bins - 1);
            count[b]++;
            scoreSum[b] += scores[i];
            positiveSum[b] += binaryLabels[i];
        }
        var result = new CalibrationBin[bins];
        for (var b = 0; b < bins; b++)
        {
            result[b] = new CalibrationBin(
                (double)b / bins, (double)(b + 1) / bins, count[b],
                count[b] == 0 ? double.NaN : scoreSum[b] / count[b],
                count[b] == 0 ? double.NaN : (double)positiveSum[b] / count[b]);
        }
        return result;
    }

    /// <summary>
    /// Expected calibration error (Naeini, Cooper &amp; Hauskrecht 2015; Guo et al. 2017):
    /// Σ_b (n_b/N)·|fraction positive_b − mean score_b| over equal-width bins. NaN for no cases or a NaN score.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores, int bins = 10)
    {
        Validate(binaryLabels, scores, bins);
        if (scores.Count == 0 || Check.AnyNaN(scores)) return double.NaN;
        var ece = 0.0;
        foreach (var bin in ReliabilityBins(binaryLabels, scores, bins))
            if (bin.Count > 0) ece += (double)bin.Count / scores.Count * Math.Abs(bin.FractionPositive - bin.MeanScore);
        return ece;
    }

    /// <summary>Brier score (Brier 1950): mean of (score − label)². NaN for no cases or a NaN score.</summary>
    public static double Brier(IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores)
    {
        Validate(binaryLabels, scores, bins: 1);
        if (scores.Count == 0 || Check.AnyNaN(scores)) return double.NaN;
        var sum = 0.0;
        for (var i = 0; i < scores.Count; i++)
        {
            var d = scores[i] - binaryLabels[i];
            sum += d * d;
        }
        return sum / scores.Count;
    }

    private static void Validate(IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores, int bins)
    {
        Check.Binary(binaryLabels, scores);
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least one bin is needed.");
        for (var i = 0; i < scores.Count; i++)
            if (scores[i] < 0 || scores[i] > 1)
                throw new ArgumentOutOfRangeException(nameof(scores), scores[i], $"scores[{i}] is {scores[i]}; calibration needs probabilities in [0, 1].");
    }
}
