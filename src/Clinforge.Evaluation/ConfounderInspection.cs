namespace Clinforge.Evaluation;

/// <summary>Label × confounder counts in one split.</summary>
public sealed record ConfounderCrossTab(string Split, int PositivesWith, int Positives, int NegativesWith, int Negatives)
{
    /// <summary>Share of positives that carry the confounder.</summary>
    public double PositiveRate => Positives == 0 ? double.NaN : (double)PositivesWith / Positives;

    /// <summary>Share of negatives that carry the confounder.</summary>
    public double NegativeRate => Negatives == 0 ? double.NaN : (double)NegativesWith / Negatives;

    /// <summary>Plain sentence: "train: 60% of positives have chest drains vs 10% of negatives".</summary>
    public string Describe(string confounder) => FormattableString.Invariant(
        $"{Split}: {PositiveRate:0%} of positives have {confounder} ({PositivesWith}/{Positives}) vs {NegativeRate:0%} of negatives ({NegativesWith}/{Negatives})");
}

/// <summary>How strongly the confounder alone predicts the label.</summary>
/// <param name="CrossTabs">Label × confounder counts per split.</param>
/// <param name="ConfounderOnlyAuc">AUC of the label from the confounder alone (its probability as the score), with a 95% bootstrap CI.</param>
public sealed record ConfounderInspection(IReadOnlyList<ConfounderCrossTab> CrossTabs, Bootstrap.Interval ConfounderOnlyAuc);

/// <summary>
/// Inspection for a named confounder (the shortcut issue): the label × confounder cross-tab per split
/// and a confounder-only predictor of the label. The predictor is the confounder probability itself:
/// any monotone model of a single score (e.g. a logistic regression on it) has the same ranking and so
/// the same AUC, which measures how much a model could gain by reading only the confounder.
/// </summary>
public static class ConfounderInspector
{
    /// <summary>Cross-tab of binary labels against confounder presence (probability ≥ 0.5).</summary>
    public static ConfounderCrossTab CrossTab(string split, IReadOnlyList<int> labels, IReadOnlyList<double> confounder)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(confounder);
        Check.SameLength(labels.Count, confounder.Count, nameof(labels), nameof(confounder));
        int pw = 0, p = 0, nw = 0, n = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            bool with = confounder[i] >= 0.5;
            if (labels[i] == 1) { p++; if (with) pw++; }
            else { n++; if (with) nw++; }
        }
        return new ConfounderCrossTab(split, pw, p, nw, n);
    }

    /// <summary>Cross-tabs per split and the confounder-only AUC of <paramref name="labels"/> from <paramref name="confounder"/> (train + val pooled by the caller), stratified bootstrap CI.</summary>
    public static ConfounderInspection Inspect(IReadOnlyList<ConfounderCrossTab> crossTabs, IReadOnlyList<int> labels, IReadOnlyList<double> confounder, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(crossTabs);
        Check.SameLength(labels.Count, confounder.Count, nameof(labels), nameof(confounder));
        var l = labels.ToArray();
        var c = confounder.ToArray();
        var interval = Bootstrap.Percentile(l.Length, idx => BinaryMetrics.Auc(idx.Select(i => l[i]).ToArray(), idx.Select(i => c[i]).ToArray()), resamples, seed, l);
        return new ConfounderInspection(crossTabs, interval);
    }
}
