namespace Clinforge.Core;

/// <summary>
/// Overlap of one predicted label with the ground truth on one image, inside the region of interest.
/// The conventions for empty masks (both empty: every overlap measure 1; HD95 undefined when either
/// side is empty) are those of <c>SegmentationMetrics.Score</c> in Clinforge.Evaluation.
/// </summary>
/// <param name="Id">The image's identifier.</param>
/// <param name="Label">The mask value scored as foreground.</param>
/// <param name="Dice">Dice similarity coefficient 2·TP / (2·TP + FP + FN).</param>
/// <param name="Iou">Intersection over union (Jaccard index) TP / (TP + FP + FN).</param>
/// <param name="Sensitivity">TP / (TP + FN): the share of true foreground that was marked.</param>
/// <param name="Precision">TP / (TP + FP): the share of marked pixels that are true foreground.</param>
/// <param name="Hd95">95th percentile of the symmetric boundary distances in pixels; null when the truth or the prediction is empty.</param>
/// <param name="TruthPixels">Foreground pixels of the truth inside the region of interest.</param>
/// <param name="PredictedPixels">Foreground pixels of the prediction inside the region of interest.</param>
public sealed record SegmentationImageScore(
    string Id,
    int Label,
    double Dice,
    double Iou,
    double Sensitivity,
    double Precision,
    double? Hd95,
    long TruthPixels,
    long PredictedPixels);
