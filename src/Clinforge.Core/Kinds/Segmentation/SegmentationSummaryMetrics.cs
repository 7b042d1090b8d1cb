namespace Clinforge.Core;

/// <summary>
/// One label's segmentation quality over a set of images: the mean of each per-image measure with a
/// 95% percentile bootstrap interval over images.
/// </summary>
/// <param name="Label">The mask value scored as foreground.</param>
/// <param name="Images">Images summarised.</param>
/// <param name="Dice">Mean per-image Dice.</param>
/// <param name="Iou">Mean per-image intersection over union.</param>
/// <param name="Sensitivity">Mean per-image sensitivity.</param>
/// <param name="Precision">Mean per-image precision.</param>
/// <param name="Hd95">Mean HD95 in pixels over the images where it is defined (truth and prediction both non-empty); null when it is defined on none.</param>
/// <param name="Hd95Images">Images where HD95 is defined, i.e. that <see cref="Hd95"/> averages.</param>
public sealed record SegmentationSummaryMetrics(
    int Label,
    int Images,
    Estimate Dice,
    Estimate Iou,
    Estimate Sensitivity,
    Estimate Precision,
    Estimate? Hd95,
    int Hd95Images);
