using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>
/// One image's boxes as a reader sees them at an operating point: the kept boxes that found a true box
/// (IoU ≥ 0.5, same class), the true boxes nothing found, and the kept boxes that found nothing.
/// </summary>
/// <param name="TrueMarks">Kept predicted boxes matched to a true box, highest score first.</param>
/// <param name="Missed">True boxes left unmatched, in the label's order.</param>
/// <param name="FalseMarks">Kept predicted boxes matched to no true box, highest score first.</param>
public sealed record DetectionMarks(IReadOnlyList<BoundingBox> TrueMarks, IReadOnlyList<BoundingBox> Missed, IReadOnlyList<BoundingBox> FalseMarks)
{
    /// <summary>
    /// Sorts <paramref name="image"/>'s boxes with the metrics' own matching
    /// (<see cref="DetectionMetrics.Assign"/> on the boxes <paramref name="operating"/> keeps), so a
    /// drawing never disagrees with the recall and precision it illustrates.
    /// </summary>
    public static DetectionMarks Of(ImageDetections image, DetectionOperatingPoint operating, double iou = 0.5)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(operating);
        var (kept, truth) = DetectionMetrics.Assign(new ImageDetections(image.Truth, image.Predicted.Where(operating.Keeps).ToList()), iou);
        var found = truth.Where(g => g >= 0).ToHashSet();
        return new DetectionMarks(
            kept.Where((_, i) => truth[i] >= 0).ToList(),
            image.Truth.Where((_, g) => !found.Contains(g)).ToList(),
            kept.Where((_, i) => truth[i] < 0).ToList());
    }
}
