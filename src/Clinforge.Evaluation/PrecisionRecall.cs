namespace Clinforge.Evaluation;

/// <summary>Precision–recall curve and average precision (Davis &amp; Goadrich 2006; AP as in scikit-learn).</summary>
public static class PrecisionRecall
{
    /// <summary>
    /// One (recall, precision, threshold) point per distinct score, from the highest threshold down,
    /// derived from <see cref="BinaryMetrics.RocCurve"/> (precision = TP / (TP + FP)). The ROC's
    /// starting point at threshold +∞ (nothing called positive, precision undefined) is left out.
    /// Empty when a class is absent or a score is NaN.
    /// </summary>
    public static IReadOnlyList<(double Recall, double Precision, double Threshold)> Curve(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        var roc = BinaryMetrics.RocCurve(labels, scores);
        if (roc.Count == 0) return [];
        int positives = labels.Count(l => l == 1), negatives = labels.Count - positives;
        var curve = new List<(double, double, double)>(roc.Count);
        foreach (var (fpr, tpr, threshold) in roc)
        {
            double tp = tpr * positives, fp = fpr * negatives;
            if (tp + fp <= 0) continue;
            curve.Add((tpr, tp / (tp + fp), threshold));
        }
        return curve;
    }

    /// <summary>Average precision: Σ (R_k − R_{k−1}) · P_k over the curve, R_0 = 0 (no interpolation). NaN when undefined.</summary>
    public static double AveragePrecision(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        var curve = Curve(labels, scores);
        if (curve.Count == 0) return double.NaN;
        double ap = 0, previous = 0;
        foreach (var (recall, precision, _) in curve) { ap += (recall - previous) * precision; previous = recall; }
        return ap;
    }
}
