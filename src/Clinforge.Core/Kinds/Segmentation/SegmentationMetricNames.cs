namespace Clinforge.Core;

/// <summary>
/// Names of segmentation objectives (TaskSpec.PrimaryMetric for segmentation specs). Each is computed
/// per image and averaged over images, as the Metrics Reloaded recommendations advise for
/// per-image overlap and boundary metrics (Maier-Hein et al., Nat. Methods 21, 2024).
/// </summary>
public static class SegmentationMetricNames
{
    /// <summary>Dice similarity coefficient, 2|A∩B| / (|A| + |B|) (Dice, Ecology 26, 1945): overlap of the predicted mask with the reference.</summary>
    public const string Dice = "dice";

    /// <summary>Intersection over union (Jaccard index), |A∩B| / |A∪B|.</summary>
    public const string Iou = "iou";

    /// <summary>
    /// Pixel sensitivity (recall), TP / (TP + FN): the share of the reference structure the mask covers;
    /// the objective when missing part of the structure costs more. On its own it rewards outlining
    /// everything (a mask of the whole image scores 1), so whoever selects models by it must also hold
    /// an overlap floor (e.g. Dice) or weigh precision in.
    /// </summary>
    public const string Sensitivity = "sensitivity";

    /// <summary>95th percentile of the symmetric surface distance between predicted and reference boundaries, in pixels (lower is better).</summary>
    public const string Hd95 = "hd95";

    /// <summary>Every segmentation objective name.</summary>
    public static IReadOnlyList<string> All { get; } = [Dice, Iou, Sensitivity, Hd95];
}
