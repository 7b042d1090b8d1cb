namespace Clinforge.Evaluation;

/// <summary>
/// The area under the ROC curve restricted to the clinician's region, standardised (McClish 1989) so
/// that 0.5 is chance and 1 is perfect within the region. It is the finer objective used when
/// "sensitivity at specificity ≥ v" is saturated at 1.0 on the images at hand: two models that both catch
/// every positive at the floor may still differ in how far they separate the positives from the
/// negatives in that region.
/// </summary>
public static class PartialAuc
{
    /// <summary>
    /// Standardised partial AUC over specificity ≥ <paramref name="minSpecificity"/> (false-positive
    /// rate ≤ 1 − v), by trapezoids on the empirical ROC curve, interpolated at the region's edge.
    /// NaN when a class is absent or a score is NaN.
    /// </summary>
    public static double AtHighSpecificity(IReadOnlyList<int> labels, IReadOnlyList<double> scores, double minSpecificity)
    {
        double maxFpr = 1 - minSpecificity;
        if (!(maxFpr > 0 && maxFpr <= 1)) throw new ArgumentOutOfRangeException(nameof(minSpecificity), minSpecificity, "need a specificity floor in [0, 1)");
        var curve = BinaryMetrics.RocCurve(labels, scores);
        if (curve.Count == 0) return double.NaN;
        double area = 0;
        for (int k = 1; k < curve.Count; k++)
        {
            var (x0, y0, _) = curve[k - 1];
            var (x1, y1, _) = curve[k];
            if (x0 >= maxFpr) break;
            if (x1 > maxFpr)
            {
                // The segment crosses the edge: keep the part up to it.
                y1 = y0 + (y1 - y0) * (maxFpr - x0) / (x1 - x0);
                x1 = maxFpr;
            }
            area += (x1 - x0) * (y0 + y1) / 2;
        }
        double min = maxFpr * maxFpr / 2, max = maxFpr;
        return 0.5 * (1 + (area - min) / (max - min));
    }

    /// <summary>
    /// Standardised partial AUC over sensitivity ≥ <paramref name="minSensitivity"/>: the same area with
    /// the roles of the classes swapped (negatives become positives, scores negated), whose
    /// "specificity" is the original sensitivity.
    /// </summary>
    public static double AtHighSensitivity(IReadOnlyList<int> labels, IReadOnlyList<double> scores, double minSensitivity) =>
        AtHighSpecificity(labels.Select(l => 1 - l).ToArray(), scores.Select(s => -s).ToArray(), minSensitivity);
}
