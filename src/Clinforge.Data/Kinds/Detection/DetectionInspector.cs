using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// The supervision structure of a detection dataset for the data card: positives with boxes,
/// positives known only at image level, negatives, per split, and a note when few positives have
/// boxes (then the initializer plans teacher–student pseudo-labelling).
/// </summary>
public static class DetectionInspector
{
    /// <summary>Below this share of boxed positives the card says that most positives lack boxes.</summary>
    public const double FewBoxesShare = 0.5;

    /// <summary>The summary, or null for a dataset without detection annotations.</summary>
    public static DetectionSummary? Summarise(Dataset ds, Splits splits, List<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(splits);
        if (ds.Detection is not { } det) return null;
        var perSplit = new Dictionary<string, SupervisionCounts>(StringComparer.Ordinal);
        foreach (var (name, items) in new[] { (SplitNames.Train, splits.Train), (SplitNames.Val, splits.Val), (SplitNames.Test, splits.Test) })
        {
            var labels = items.Select(i => det.Labels[i.Id]).ToList();
            perSplit[name] = new SupervisionCounts(labels.Count(l => l.Positive && l.HasBoxes), labels.Count(l => l.Positive && !l.HasBoxes), labels.Count(l => !l.Positive));
        }
        var all = det.Labels.Values.ToList();
        var sides = all.SelectMany(l => l.Boxes).Select(b => Math.Sqrt(b.Area)).Order().ToList();
        var summary = new DetectionSummary
        {
            LabelFormat = det.LabelFormat,
            SourceClasses = det.SourceClasses,
            Negatives = all.Count(l => !l.Positive),
            PositivesWithBoxes = all.Count(l => l.Positive && l.HasBoxes),
            PositivesImageLevelOnly = all.Count(l => l.Positive && !l.HasBoxes),
            Boxes = all.Sum(l => l.Boxes.Count),
            PerSplit = perSplit,
            MedianBoxSide = sides.Count == 0 ? 0 : sides[sides.Count / 2],
        };
        if (notes is not null)
        {
            var ci = CultureInfo.InvariantCulture;
            // Detection inputs are letterboxed (whole image kept), not centre-cropped as for classification.
            for (int i = 0; i < notes.Count; i++)
                if (notes[i].EndsWith("each is resized on its shorter side and centre-cropped.", StringComparison.Ordinal))
                    notes[i] = notes[i].Replace("each is resized on its shorter side and centre-cropped.", "each is letterboxed (longer side to the input size, padded) so no finding is cropped away.", StringComparison.Ordinal);
            notes.Add(string.Format(ci, "detection labels ({0}): {1} positive images with {2} boxes, {3} positives known only at image level, {4} negatives; {5} source classes ({6}).",
                summary.LabelFormat, summary.PositivesWithBoxes, summary.Boxes, summary.PositivesImageLevelOnly, summary.Negatives, det.SourceClasses.Count, string.Join(", ", det.SourceClasses)));
            if (summary.PositivesImageLevelOnly > 0 && summary.BoxedShare < FewBoxesShare)
                notes.Add(string.Format(ci, "only {0:0.#}% of positive images have boxes: a detector trained on the boxed ones alone sees few examples, so positives without boxes are worth pseudo-labelling.", 100 * summary.BoxedShare));
        }
        return summary;
    }
}
