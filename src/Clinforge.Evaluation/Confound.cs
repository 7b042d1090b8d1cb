namespace Clinforge.Evaluation;

/// <summary>Predicted-probability summary in one label × confounder cell (quartiles: Hyndman &amp; Fan type 7).</summary>
public sealed record ConfoundCell(int Label, bool Confounder, int Count, double Mean, double Q1, double Median, double Q3);

/// <summary>A correlation with its 95% stratified percentile bootstrap interval.</summary>
public sealed record CorrelationEstimate(double Value, double Lower, double Upper);

/// <summary>The confound analysis of one named confounder (see <see cref="Confound.Analyze"/>).</summary>
public sealed record ConfoundAnalysis(
    IReadOnlyList<ConfoundCell> Cells,
    double Threshold,
    int FalsePositives,
    int FalsePositivesWithConfounder,
    double FalsePositiveShare,
    double NegativeShare,
    CorrelationEstimate RawCorrelation,
    CorrelationEstimate PartialCorrelation)
{
    /// <summary>Lower end of the 95% stratified bootstrap interval of <see cref="FalsePositiveShare"/> (threshold held fixed).</summary>
    public double FalsePositiveShareLower { get; init; } = double.NaN;
    /// <summary>Upper end of that interval.</summary>
    public double FalsePositiveShareUpper { get; init; } = double.NaN;
}

/// <summary>
/// Does the model lean on a confounder (a chest drain, a ruler, a site marker) instead of the finding?
/// Three views, after the shortcut-learning checks of Zech et al. 2018 and DeGrave et al. 2021:
/// the predicted probability in the four label × confounder cells; the share of false positives that
/// carry the confounder against that group's share of all negatives (a model that uses the
/// confounder raises false alarms disproportionately in confounder-present negatives); and the
/// correlation between the prediction and the confounder, raw and partial (the label regressed out of
/// both, i.e. within-label centring), with stratified bootstrap CIs.
/// </summary>
public static class Confound
{
    /// <summary>
    /// Analyses binary labels, positive-class scores and a confounder value per case (1/0 presence or
    /// a probability; "present" means ≥ 0.5). Pass the operating threshold chosen on validation: the
    /// default, Youden's on these data, tunes the threshold on the data being measured.
    /// </summary>
    public static ConfoundAnalysis Analyze(
        IReadOnlyList<int> labels,
        IReadOnlyList<double> scores,
        IReadOnlyList<double> confounder,
        int resamples,
        int seed,
        double? threshold = null)
    {
        Check.Binary(labels, scores);
        ArgumentNullException.ThrowIfNull(confounder);
        Check.SameLength(labels.Count, confounder.Count, nameof(labels), nameof(confounder));
        int n = labels.Count;
        var present = confounder.Select(c => c >= 0.5).ToArray();

        var cells = new List<ConfoundCell>();
        foreach (var label in new[] { 0, 1 })
            foreach (var c in new[] { false, true })
            {
                var s = Enumerable.Range(0, n).Where(i => labels[i] == label && present[i] == c).Select(i => scores[i]).Order().ToArray();
                cells.Add(s.Length == 0
                    ? new ConfoundCell(label, c, 0, double.NaN, double.NaN, double.NaN, double.NaN)
                    : new ConfoundCell(label, c, s.Length, s.Average(), Quantile(s, 0.25), Quantile(s, 0.5), Quantile(s, 0.75)));
            }

        double t = threshold ?? BinaryMetrics.YoudenThreshold(labels, scores);
        int negatives = 0, negativesWith = 0, fp = 0, fpWith = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i] != 0) continue;
            negatives++;
            if (present[i]) negativesWith++;
            if (scores[i] >= t) { fp++; if (present[i]) fpWith++; }
        }

        var y = labels.ToArray();
        var x = scores.ToArray();
        var z = confounder.ToArray();
        var raw = Correlation(x, z, y, resamples, seed, partial: false);
        var partialCorrelation = Correlation(x, z, y, resamples, seed, partial: true);
        // The share's interval resamples cases within label strata at the fixed threshold; replicates
        // with no false positive have no share and are dropped (as constant replicates are for correlations).
        var shares = Bootstrap.Replicates(n, r => FalsePositiveShareOf(r, y, x, present, t), resamples, seed, y).Where(v => !double.IsNaN(v)).Order().ToArray();
        return new ConfoundAnalysis(cells, t, fp, fpWith,
            fp == 0 ? double.NaN : (double)fpWith / fp,
            negatives == 0 ? double.NaN : (double)negativesWith / negatives,
            raw, partialCorrelation)
        {
            FalsePositiveShareLower = shares.Length == 0 ? double.NaN : Quantile(shares, 0.025),
            FalsePositiveShareUpper = shares.Length == 0 ? double.NaN : Quantile(shares, 0.975),
        };
    }

    /// <summary>Share of false positives (negatives scored at or above the threshold) that carry the confounder, over the cases <paramref name="rows"/>; NaN without false positives.</summary>
    public static double FalsePositiveShareOf(IReadOnlyList<int> rows, IReadOnlyList<int> labels, IReadOnlyList<double> scores, IReadOnlyList<bool> present, double threshold)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int fp = 0, fpWith = 0;
        foreach (var i in rows)
        {
            if (labels[i] != 0 || scores[i] < threshold) continue;
            fp++;
            if (present[i]) fpWith++;
        }
        return fp == 0 ? double.NaN : (double)fpWith / fp;
    }

    /// <summary>Pearson correlation; NaN when either variable is constant.</summary>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check.SameLength(a.Count, b.Count, nameof(a), nameof(b));
        int n = a.Count;
        if (n < 2) return double.NaN;
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) { double da = a[i] - ma, db = b[i] - mb; sab += da * db; saa += da * da; sbb += db * db; }
        return saa <= 0 || sbb <= 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>
    /// Partial correlation of <paramref name="a"/> and <paramref name="b"/> given a binary label: the
    /// Pearson correlation of the residuals of each regressed on the label with an intercept, which
    /// for a 0/1 regressor are the deviations from the label's group mean.
    /// </summary>
    public static double PartialOnLabel(IReadOnlyList<double> a, IReadOnlyList<double> b, IReadOnlyList<int> labels)
    {
        Check.SameLength(a.Count, labels.Count, nameof(a), nameof(labels));
        return Pearson(Residuals(a, labels), Residuals(b, labels));
    }

    private static double[] Residuals(IReadOnlyList<double> v, IReadOnlyList<int> labels)
    {
        var mean = new double[2];
        var count = new int[2];
        for (int i = 0; i < v.Count; i++) { mean[labels[i]] += v[i]; count[labels[i]]++; }
        for (int k = 0; k < 2; k++) if (count[k] > 0) mean[k] /= count[k];
        return v.Select((x, i) => x - mean[labels[i]]).ToArray();
    }

    private static CorrelationEstimate Correlation(double[] x, double[] z, int[] y, int resamples, int seed, bool partial)
    {
        double Stat(int[] r)
        {
            var rx = r.Select(i => x[i]).ToArray();
            var rz = r.Select(i => z[i]).ToArray();
            return partial ? PartialOnLabel(rx, rz, r.Select(i => y[i]).ToArray()) : Pearson(rx, rz);
        }
        double value = partial ? PartialOnLabel(x, z, y) : Pearson(x, z);
        if (double.IsNaN(value)) return new CorrelationEstimate(double.NaN, double.NaN, double.NaN);
        // A replicate can be constant in the confounder (NaN); those replicates are dropped.
        var reps = Bootstrap.Replicates(x.Length, Stat, resamples, seed, y).Where(v => !double.IsNaN(v)).Order().ToArray();
        if (reps.Length == 0) return new CorrelationEstimate(value, double.NaN, double.NaN);
        return new CorrelationEstimate(value, Quantile(reps, 0.025), Quantile(reps, 0.975));
    }

    /// <summary>Quantile of sorted values by linear interpolation between order statistics (Hyndman &amp; Fan 1996, type 7).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        double h = (sorted.Count - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
