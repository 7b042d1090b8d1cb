namespace Clinforge.Evaluation;

/// <summary>
/// Metrics of a binary score: labels are 0/1 (1 = the condition), a higher score means more likely 1,
/// and a case is called positive when its score is at or above the threshold. Scores are expected to
/// be finite (probabilities or logits); a NaN score makes the rank-based results NaN.
/// </summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Area under the ROC curve as the Mann–Whitney statistic P(score⁺ &gt; score⁻) + ½·P(tie)
    /// (Hanley &amp; McNeil 1982), computed from mid-ranks in O(n log n). NaN when a class is absent or
    /// any score is NaN.
    /// </summary>
    public static double Auc(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        Check.Binary(labels, scores);
        if (Check.AnyNaN(scores)) return double.NaN;
        var positives = 0;
        for (var i = 0; i < labels.Count; i++) positives += labels[i];
        var negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;

        var ranks = Ranking.MidRanks(scores);
        var rankSum = 0.0;
        for (var i = 0; i < labels.Count; i++)
            if (labels[i] == 1) rankSum += ranks[i];
        // U = R₁ − n₁(n₁+1)/2 (Mann & Whitney 1947); AUC = U / (n₁·n₀).
        return (rankSum - 0.5 * positives * (positives + 1.0)) / ((double)positives * negatives);
    }

    /// <summary>
    /// Hanley &amp; McNeil (1982) standard error of an AUC from the exponential approximation
    /// Q₁ = A/(2−A), Q₂ = 2A²/(1+A).
    /// </summary>
    public static double HanleyMcNeilStandardError(double auc, int positives, int negatives)
    {
        if (double.IsNaN(auc) || positives < 1 || negatives < 1) return double.NaN;
        var q1 = auc / (2 - auc);
        var q2 = 2 * auc * auc / (1 + auc);
        var variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc))
                       / ((double)positives * negatives);
        return Math.Sqrt(Math.Max(0, variance));
    }

    /// <summary>The confusion table when cases with score ≥ <paramref name="threshold"/> are called positive (a NaN score is called negative).</summary>
    public static Confusion ConfusionAt(IReadOnlyList<int> labels, IReadOnlyList<double> scores, double threshold)
    {
        Check.Binary(labels, scores);
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var called = scores[i] >= threshold;
            if (labels[i] == 1)
            {
                if (called) tp++; else fn++;
            }
            else
            {
                if (called) fp++; else tn++;
            }
        }
        return new Confusion(tp, fp, tn, fn);
    }

    /// <summary>
    /// The empirical ROC curve (Fawcett 2006): one point per distinct score, swept from the highest
    /// threshold down, starting at (0, 0) with threshold +∞ and ending at (1, 1). Tied scores give one
    /// diagonal step, so the trapezoidal area equals <see cref="Auc"/>. Empty when a class is absent or
    /// a score is NaN.
    /// </summary>
    public static IReadOnlyList<(double Fpr, double Tpr, double Threshold)> RocCurve(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        Check.Binary(labels, scores);
        var sweep = Sweep(labels, scores);
        if (sweep is null) return [];
        var (points, positives, negatives) = sweep.Value;
        var curve = new (double, double, double)[points.Length];
        for (var k = 0; k < points.Length; k++)
            curve[k] = ((double)points[k].Fp / negatives, (double)points[k].Tp / positives, points[k].Threshold);
        return curve;
    }

    /// <summary>
    /// The highest sensitivity among thresholds whose specificity is at least
    /// <paramref name="minSpecificity"/>, and the threshold achieving it (ties: the higher specificity,
    /// i.e. the higher threshold). The threshold is a score of the data, or +∞ when only "call nobody
    /// positive" meets the constraint. (NaN, NaN) when a class is absent or a score is NaN.
    /// </summary>
    public static (double Value, double Threshold) SensitivityAtSpecificity(IReadOnlyList<int> labels, IReadOnlyList<double> scores, double minSpecificity)
    {
        Check.Binary(labels, scores);
        CheckRate(minSpecificity, nameof(minSpecificity));
        var best = BestOperatingPoint(labels, scores, minSpecificity, maximizeSensitivity: true);
        return best is null ? (double.NaN, double.NaN) : (best.Value.Sensitivity, best.Value.Threshold);
    }

    /// <summary>
    /// The highest specificity among thresholds whose sensitivity is at least
    /// <paramref name="minSensitivity"/>, and the threshold achieving it (ties: the higher sensitivity).
    /// (NaN, NaN) when a class is absent or a score is NaN.
    /// </summary>
    public static (double Value, double Threshold) SpecificityAtSensitivity(IReadOnlyList<int> labels, IReadOnlyList<double> scores, double minSensitivity)
    {
        Check.Binary(labels, scores);
        CheckRate(minSensitivity, nameof(minSensitivity));
        var best = BestOperatingPoint(labels, scores, minSensitivity, maximizeSensitivity: false);
        return best is null ? (double.NaN, double.NaN) : (best.Value.Specificity, best.Value.Threshold);
    }

    /// <summary>
    /// The score threshold maximising Youden's J = sensitivity + specificity − 1 (Youden 1950), which
    /// is also the threshold of highest balanced accuracy; ties go to the highest threshold. Only scores
    /// of the data are candidates. NaN when a class is absent or a score is NaN.
    /// </summary>
    public static double YoudenThreshold(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        Check.Binary(labels, scores);
        var sweep = Sweep(labels, scores);
        if (sweep is null) return double.NaN;
        var (points, positives, negatives) = sweep.Value;
        var bestJ = double.NegativeInfinity;
        var bestThreshold = double.NaN;
        for (var k = 1; k < points.Length; k++) // k = 0 is the +∞ point
        {
            // J compared as an exact integer-scaled quantity: tp·n₀ − fp·n₁.
            var j = (double)points[k].Tp * negatives - (double)points[k].Fp * positives;
            if (j > bestJ)
            {
                bestJ = j;
                bestThreshold = points[k].Threshold;
            }
        }
        return bestThreshold;
    }

    private static void CheckRate(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
            throw new ArgumentOutOfRangeException(name, value, "A sensitivity or specificity constraint must lie in [0, 1].");
    }

    /// <summary>
    /// Best (sensitivity, specificity, threshold) under a constraint on the other rate; the constraint
    /// is met up to 1e-12 so that e.g. 4/5 counts as ≥ 0.8 whatever the rounding of the constant.
    /// </summary>
    private static (double Sensitivity, double Specificity, double Threshold)? BestOperatingPoint(
        IReadOnlyList<int> labels, IReadOnlyList<double> scores, double minOther, bool maximizeSensitivity)
    {
        var sweep = Sweep(labels, scores);
        if (sweep is null) return null;
        var (points, positives, negatives) = sweep.Value;
        (double Sensitivity, double Specificity, double Threshold)? best = null;
        foreach (var p in points)
        {
            var sens = (double)p.Tp / positives;
            var spec = (double)(negatives - p.Fp) / negatives;
            var (primary, secondary) = maximizeSensitivity ? (sens, spec) : (spec, sens);
            if (secondary < minOther - 1e-12) continue;
            if (best is { } b)
            {
                var (bp, bs) = maximizeSensitivity ? (b.Sensitivity, b.Specificity) : (b.Specificity, b.Sensitivity);
                if (primary < bp || (primary == bp && secondary <= bs)) continue;
            }
            best = (sens, spec, p.Threshold);
        }
        return best;
    }

    /// <summary>
    /// Cumulative (Tp, Fp) for "score ≥ t" at t = +∞ and at every distinct score, descending. Null when
    /// a class is absent or a score is NaN.
    /// </summary>
    internal static ((double Threshold, int Tp, int Fp)[] Points, int Positives, int Negatives)? Sweep(
        IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        if (Check.AnyNaN(scores)) return null;
        var n = labels.Count;
        var positives = 0;
        for (var i = 0; i < n; i++) positives += labels[i];
        var negatives = n - positives;
        if (positives == 0 || negatives == 0) return null;

        var keys = new double[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            keys[i] = -scores[i]; // ascending of −score = descending score
            order[i] = i;
        }
        Array.Sort(keys, order);
        var points = new List<(double, int, int)>(n + 1) { (double.PositiveInfinity, 0, 0) };
        int tp = 0, fp = 0, k = 0;
        while (k < n)
        {
            var score = scores[order[k]];
            while (k < n && scores[order[k]] == score)
            {
                if (labels[order[k]] == 1) tp++; else fp++;
                k++;
            }
            points.Add((score, tp, fp));
        }
        return (points.ToArray(), positives, negatives);
    }
}
