using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>
/// The validation objective of a segmentation trial, from the spec's primary metric: mean per-image
/// Dice over the labels (Metrics Reloaded's default for structures of this kind, Maier-Hein et al.
/// 2024), or — when missing part of the structure costs more — mean per-image F2 of the pixels
/// (5·TP / (5·TP + 4·FN + FP)), which weighs missed pixels four times as much as false ones without
/// rewarding a mask that covers everything, as sensitivity alone would. The returned record reuses
/// the classification fields: Auc = mean Dice, Accuracy = mean IoU, Sensitivity = mean sensitivity,
/// Specificity = mean precision, BalancedAccuracy = mean F2.
/// </summary>
public static class SegmentationObjective
{
    /// <summary>The objective's name when missed pixels cost more.</summary>
    public const string F2 = "f2";

    /// <summary>
    /// Scores label maps (label indices 1..<paramref name="labels"/>, 0 = background) of the same
    /// square size; returns the metrics and each image's objective.
    /// </summary>
    public static (ValidationMetrics Metrics, IReadOnlyList<double> PerImage) Score(string primaryMetric, IReadOnlyList<byte[]> truth, IReadOnlyList<byte[]> predicted,
        IReadOnlyList<byte[]> region, int width, int height, int labels)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(region);
        if (predicted.Count != truth.Count || region.Count != truth.Count) throw new ArgumentException("truth, predicted and region must hold the same images");
        bool recallFirst = IsRecallFirst(primaryMetric);
        var perImage = new double[truth.Count];
        double dice = 0, iou = 0, sens = 0, prec = 0, f2 = 0;
        int scored = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            double objective = 0;
            for (int k = 1; k <= labels; k++)
            {
                var s = SegmentationMetrics.Score(i.ToString(System.Globalization.CultureInfo.InvariantCulture), truth[i], predicted[i], region[i], width, height, k);
                double f = FBeta2(s);
                dice += s.Dice; iou += s.Iou; sens += s.Sensitivity; prec += s.Precision; f2 += f;
                objective += recallFirst ? f : s.Dice;
                scored++;
            }
            perImage[i] = objective / labels;
        }
        double n = Math.Max(scored, 1);
        var metrics = new ValidationMetrics(perImage.Length == 0 ? 0 : perImage.Average(), recallFirst ? F2 : SegmentationMetricNames.Dice,
            dice / n, iou / n, f2 / n, sens / n, prec / n, 0.5);
        return (metrics, perImage);
    }

    /// <summary>Whether the spec's metric puts missed pixels first (sensitivity or F2).</summary>
    public static bool IsRecallFirst(string primaryMetric) => primaryMetric is SegmentationMetricNames.Sensitivity or F2;

    /// <summary>
    /// F2 of one image's pixels from its sensitivity and precision (van Rijsbergen's F-measure with β = 2):
    /// 5·P·R / (4·P + R); 1 when both masks are empty, as Dice is.
    /// </summary>
    public static double FBeta2(SegmentationImageScore s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.TruthPixels == 0 && s.PredictedPixels == 0) return 1;
        double p = s.Precision, r = s.Sensitivity;
        return p + r == 0 ? 0 : 5 * p * r / (4 * p + r);
    }
}
