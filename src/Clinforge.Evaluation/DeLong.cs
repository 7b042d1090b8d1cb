namespace Clinforge.Evaluation;

/// <summary>
/// DeLong, DeLong &amp; Clarke-Pearson (1988) nonparametric comparison of correlated ROC AUCs (two
/// models scored on the same cases), with structural components computed from mid-ranks as in Sun &amp;
/// Xu (2014), O(n log n).
/// <para>
/// For m positives X and n negatives Y, the components of a model are
/// V10(Xᵢ) = (1/n)·Σⱼ ψ(Xᵢ, Yⱼ) and V01(Yⱼ) = (1/m)·Σᵢ ψ(Xᵢ, Yⱼ), with ψ = 1 if X &gt; Y, ½ if tied, 0
/// otherwise; AUC is the mean of either. S10 and S01 are their 2×2 sample covariance matrices across
/// the two models, and Var(AUC_B − AUC_A) = (S10_AA + S10_BB − 2·S10_AB)/m + (S01_AA + S01_BB − 2·S01_AB)/n.
/// </para>
/// </summary>
public static class DeLong
{
    /// <summary>
    /// AUCs of A and B, Z = (AUC_B − AUC_A) / SE (positive when B is better, as in
    /// <see cref="Bootstrap.PairedTest"/>) and the two-sided normal p-value. Z = 0 and p = 1 when the
    /// AUCs are equal; Z = ±∞ and p = 0 when they differ with zero variance. Z and p are NaN when a
    /// class has fewer than 2 cases or a score is NaN.
    /// </summary>
    public static (double AucA, double AucB, double Z, double PValue) Compare(IReadOnlyList<int> labels, IReadOnlyList<double> scoresA, IReadOnlyList<double> scoresB)
    {
        Check.Binary(labels, scoresA);
        Check.SameLength(labels.Count, scoresB.Count, nameof(labels), nameof(scoresB));
        var a = Components(labels, scoresA);
        var b = Components(labels, scoresB);
        if (a is null || b is null)
            return (BinaryMetrics.Auc(labels, scoresA), BinaryMetrics.Auc(labels, scoresB), double.NaN, double.NaN);

        var (v10A, v01A, aucA) = a.Value;
        var (v10B, v01B, aucB) = b.Value;
        if (v10A.Length < 2 || v01A.Length < 2) return (aucA, aucB, double.NaN, double.NaN);

        var s10 = Covariance(v10A, aucA, v10A, aucA) + Covariance(v10B, aucB, v10B, aucB) - 2 * Covariance(v10A, aucA, v10B, aucB);
        var s01 = Covariance(v01A, aucA, v01A, aucA) + Covariance(v01B, aucB, v01B, aucB) - 2 * Covariance(v01A, aucA, v01B, aucB);
        var variance = s10 / v10A.Length + s01 / v01A.Length;
        var difference = aucB - aucA;
        if (difference == 0) return (aucA, aucB, 0.0, 1.0);
        if (!(variance > 0)) return (aucA, aucB, difference > 0 ? double.PositiveInfinity : double.NegativeInfinity, 0.0);
        var z = difference / Math.Sqrt(variance);
        return (aucA, aucB, z, Normal.TwoSidedP(z));
    }

    /// <summary>
    /// AUC of one model with its DeLong standard error, Var = S10/m + S01/n, and the Wald interval
    /// AUC ± z·SE clipped to [0, 1] (the interval pROC's <c>ci.auc</c> reports by default).
    /// NaN SE and bounds when a class has fewer than 2 cases or a score is NaN.
    /// </summary>
    public static (double Auc, double StandardError, double Lower, double Upper) AucConfidenceInterval(IReadOnlyList<int> labels, IReadOnlyList<double> scores, double level = 0.95)
    {
        Check.Binary(labels, scores);
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "The confidence level must lie strictly between 0 and 1.");
        var c = Components(labels, scores);
        if (c is null) return (BinaryMetrics.Auc(labels, scores), double.NaN, double.NaN, double.NaN);
        var (v10, v01, auc) = c.Value;
        if (v10.Length < 2 || v01.Length < 2) return (auc, double.NaN, double.NaN, double.NaN);
        var se = Math.Sqrt(Covariance(v10, auc, v10, auc) / v10.Length + Covariance(v01, auc, v01, auc) / v01.Length);
        var z = Normal.Quantile(0.5 + level / 2);
        return (auc, se, Math.Max(0, auc - z * se), Math.Min(1, auc + z * se));
    }

    /// <summary>
    /// Structural components by Sun &amp; Xu (2014): with mid-ranks T_Z over all cases, T_X within the
    /// positives and T_Y within the negatives, V10ᵢ = (T_Z(Xᵢ) − T_X(Xᵢ))/n and
    /// V01ⱼ = 1 − (T_Z(Yⱼ) − T_Y(Yⱼ))/m. Null when a class is absent or a score is NaN.
    /// </summary>
    internal static (double[] V10, double[] V01, double Auc)? Components(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        if (Check.AnyNaN(scores)) return null;
        var positives = new List<double>();
        var negatives = new List<double>();
        for (var i = 0; i < labels.Count; i++)
            (labels[i] == 1 ? positives : negatives).Add(scores[i]);
        int m = positives.Count, n = negatives.Count;
        if (m == 0 || n == 0) return null;

        var combined = new List<double>(m + n);
        combined.AddRange(positives);
        combined.AddRange(negatives);
        var tz = Ranking.MidRanks(combined);
        var tx = Ranking.MidRanks(positives);
        var ty = Ranking.MidRanks(negatives);
        var v10 = new double[m];
        var v01 = new double[n];
        var sum = 0.0;
        for (var i = 0; i < m; i++)
        {
            v10[i] = (tz[i] - tx[i]) / n;
            sum += v10[i];
        }
        for (var j = 0; j < n; j++) v01[j] = 1.0 - (tz[m + j] - ty[j]) / m;
        return (v10, v01, sum / m);
    }

    private static double Covariance(double[] x, double meanX, double[] y, double meanY)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s += (x[i] - meanX) * (y[i] - meanY);
        return s / (x.Length - 1);
    }
}
