using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>
/// The validation objective of a detection trial, from the spec's primary metric: mAP@50, or — when
/// missed findings cost more ("less likely to be missed") — F2 at IoU 0.5 at the score threshold that
/// maximises it, which weighs recall four times as much as precision and fixes the operating point
/// on validation. The returned record reuses the classification fields: Auc = mAP@50,
/// Sensitivity = recall, Specificity = precision, Accuracy = F1, BalancedAccuracy = F2, Threshold = the score threshold.
/// </summary>
public static class DetectionObjective
{
    /// <summary>Scores validation detections.</summary>
    /// <remarks>
    /// With <paramref name="classes"/> ≥ 2 (a detector that keeps classes apart) each class also gets its
    /// own threshold (<see cref="DetectionMetrics.BestClassThresholds"/>; the pooled one for a class with
    /// few validation boxes), and recall, precision, F1 and F2 are counted with each box at its class's
    /// threshold: the operating point the package will use. With <paramref name="at"/> the operating point
    /// is not chosen but given (chosen on other images), and the counts are taken at it: how a detection
    /// trial judges the epoch and threshold it chose on one half of its validation images on the other.
    /// </remarks>
    public static ValidationMetrics Score(string primaryMetric, IReadOnlyList<IReadOnlyList<BoundingBox>> truth, IReadOnlyList<IReadOnlyList<BoundingBox>> predicted, int classes = 1,
        DetectionOperatingPoint? at = null)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        var images = truth.Select((t, i) => new ImageDetections(t, predicted[i])).ToList();
        double map50 = DetectionMetrics.Map50(images);
        if (double.IsNaN(map50)) map50 = 0;
        bool recallFirst = primaryMetric == DetectionMetricNames.F2;
        double beta = recallFirst ? 2 : 1;
        double threshold = at?.Threshold ?? DetectionMetrics.BestThreshold(images, beta).Threshold;
        var operating = at ?? (classes > 1
            ? new DetectionOperatingPoint(threshold, DetectionMetrics.BestClassThresholds(images, classes, beta, threshold))
            : DetectionOperatingPoint.Pooled(threshold));
        var counts = DetectionMetrics.CountsAt(images, 0.5, operating);
        double f2 = counts.FBeta(2);
        return new ValidationMetrics(recallFirst ? f2 : map50, recallFirst ? DetectionMetricNames.F2 : DetectionMetricNames.Map50,
            map50, counts.F1, f2, counts.Recall, counts.Precision, threshold)
        {
            ClassThresholds = classes > 1 ? operating.ClassThresholds : null,
        };
    }
}
