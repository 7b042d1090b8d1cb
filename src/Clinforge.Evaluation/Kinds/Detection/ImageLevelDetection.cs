using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>
/// A detector read at image level: "does this image contain a finding?". The image score is the
/// highest box score (0 when the detector returns no box), the usual reduction from boxes to an image
/// label (e.g. the RSNA pneumonia and VinDr-CXR challenges rank images by their most confident box);
/// an image is flagged when at least one box reaches the operating threshold, which is exactly what
/// a clinician sees as a marked image. This is the triage question, and unlike the box metrics it can
/// use positives known only at image level.
/// </summary>
public static class ImageLevelDetection
{
    /// <summary>The image score: the highest box score, 0 without boxes.</summary>
    public static double ImageScore(IReadOnlyList<BoundingBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        return boxes.Count == 0 ? 0 : boxes.Max(b => b.Score);
    }

    /// <summary>
    /// AUC (DeLong interval), and sensitivity and specificity at <paramref name="threshold"/> (an image is
    /// flagged when its score is at least the threshold), each with a 95% percentile bootstrap interval
    /// over images stratified by label, seeded. A class with no image gives NaN for what needs it.
    /// </summary>
    public static ImageLevelResult Evaluate(IReadOnlyList<bool> positive, IReadOnlyList<double> scores, double threshold, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return Evaluate(positive, scores, scores.Select(s => s >= threshold).ToArray(), resamples, seed);
    }

    /// <summary>
    /// The image-level reading of per-image detections at an operating point: the score is the highest
    /// box score, and an image is flagged when the operating point keeps at least one of its boxes (each
    /// box at its class's threshold, as <c>predict</c> draws them).
    /// </summary>
    public static ImageLevelResult Evaluate(IReadOnlyList<bool> positive, IReadOnlyList<IReadOnlyList<BoundingBox>> detections, DetectionOperatingPoint operating, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(operating);
        return Evaluate(positive, detections.Select(ImageScore).ToArray(), detections.Select(d => d.Any(operating.Keeps)).ToArray(), resamples, seed);
    }

    private static ImageLevelResult Evaluate(IReadOnlyList<bool> positive, IReadOnlyList<double> scores, bool[] flagged, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(positive);
        if (positive.Count != scores.Count)
            throw new ArgumentException($"{positive.Count} labels but {scores.Count} scores.", nameof(scores));
        int n = positive.Count, pos = positive.Count(p => p), neg = n - pos;
        var labels = positive.Select(p => p ? 1 : 0).ToArray();
        double Rate(int[] idx, bool wantPositive)
        {
            int total = 0, hits = 0;
            foreach (int i in idx)
            {
                if (positive[i] != wantPositive) continue;
                total++;
                // Sensitivity counts flagged positives; specificity counts unflagged negatives.
                if (flagged[i] == wantPositive) hits++;
            }
            return total == 0 ? double.NaN : (double)hits / total;
        }
        Estimate Interval(bool wantPositive)
        {
            if ((wantPositive ? pos : neg) == 0) return new Estimate(double.NaN, double.NaN, double.NaN);
            var ci = Bootstrap.Percentile(n, idx => Rate(idx, wantPositive), resamples, seed, labels);
            return new Estimate(ci.Estimate, ci.Lower, ci.Upper);
        }
        var auc = new Estimate(double.NaN, double.NaN, double.NaN);
        if (pos > 0 && neg > 0)
        {
            var a = DeLong.AucConfidenceInterval(labels, scores.ToArray());
            auc = new Estimate(a.Auc, a.Lower, a.Upper);
        }
        return new ImageLevelResult(pos, neg, auc, Interval(true), Interval(false))
        {
            TruePositives = Enumerable.Range(0, n).Count(i => positive[i] && flagged[i]),
            FalsePositives = Enumerable.Range(0, n).Count(i => !positive[i] && flagged[i]),
        };
    }

    /// <summary>Final − initial AUC on the same images with DeLong's paired test; null when a class is missing.</summary>
    public static ImageLevelComparison? Compare(IReadOnlyList<bool> positive, IReadOnlyList<double> initial, IReadOnlyList<double> final)
    {
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(final);
        if (!positive.Any(p => p) || positive.All(p => p)) return null;
        var labels = positive.Select(p => p ? 1 : 0).ToArray();
        var (a, b, _, p) = DeLong.Compare(labels, initial.ToArray(), final.ToArray());
        return new ImageLevelComparison(b - a, p);
    }
}
