using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>
/// Picks the test images a detection report draws, from the final model's boxes at its operating point
/// (<see cref="DetectionMarks"/>), so a clinician sees what a good mark, a miss and a false alarm look
/// like. The rule, fixed so the same predictions always give the same pictures:
/// <list type="number">
/// <item><description><b>true mark</b>: images with at least one true mark, the highest-scoring true mark first;</description></item>
/// <item><description><b>miss</b>: images with a true box no mark matched, the most missed boxes first, then
/// the image whose highest box score (kept or not) is lowest, i.e. where the model was least suspicious;</description></item>
/// <item><description><b>false mark</b>: images without a finding that carry a mark, the highest-scoring false mark first
/// (the alarms a clinician would have been most sure of).</description></item>
/// </list>
/// Ties go to the image id in ordinal order; at most <c>perKind</c> of each kind; an image is shown once,
/// under the first kind in this order that picks it, so the next image of a later kind takes its place.
/// </summary>
public static class DetectionExamples
{
    /// <summary>The kinds in display order.</summary>
    public static readonly IReadOnlyList<string> Kinds = [TrueMark, Miss, FalseMark];

    /// <summary>An image showing a true mark.</summary>
    public const string TrueMark = "true mark";
    /// <summary>An image with a finding that was missed.</summary>
    public const string Miss = "miss";
    /// <summary>An image without a finding that was marked.</summary>
    public const string FalseMark = "false mark";

    /// <summary>Up to <paramref name="perKind"/> images of each kind (see the type's rule), in display order, with their marks.</summary>
    /// <param name="ids">Image ids, aligned with <paramref name="images"/> (the tie-break).</param>
    /// <param name="images">Truth and predicted boxes (all scores; <paramref name="operating"/> decides what is kept).</param>
    /// <param name="operating">The validation-chosen operating point the report's metrics use.</param>
    /// <param name="perKind">How many of each kind at most.</param>
    public static IReadOnlyList<(string Kind, int Index, DetectionMarks Marks)> Select(IReadOnlyList<string> ids, IReadOnlyList<ImageDetections> images,
        DetectionOperatingPoint operating, int perKind = 2)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(operating);
        if (ids.Count != images.Count) throw new ArgumentException($"{ids.Count} ids for {images.Count} images", nameof(ids));
        var marks = images.Select(i => DetectionMarks.Of(i, operating)).ToList();
        var taken = new HashSet<int>();
        var picks = new List<(string, int, DetectionMarks)>();
        void Take(string kind, IEnumerable<int> ordered)
        {
            foreach (var i in ordered.Where(i => !taken.Contains(i)).Take(perKind))
            {
                taken.Add(i);
                picks.Add((kind, i, marks[i]));
            }
        }
        var all = Enumerable.Range(0, images.Count).ToList();
        Take(TrueMark, all.Where(i => marks[i].TrueMarks.Count > 0)
            .OrderByDescending(i => marks[i].TrueMarks.Max(b => b.Score)).ThenBy(i => ids[i], StringComparer.Ordinal));
        Take(Miss, all.Where(i => marks[i].Missed.Count > 0)
            .OrderByDescending(i => marks[i].Missed.Count).ThenBy(i => images[i].Predicted.Count == 0 ? 0 : images[i].Predicted.Max(b => b.Score))
            .ThenBy(i => ids[i], StringComparer.Ordinal));
        Take(FalseMark, all.Where(i => images[i].Truth.Count == 0 && marks[i].FalseMarks.Count > 0)
            .OrderByDescending(i => marks[i].FalseMarks.Max(b => b.Score)).ThenBy(i => ids[i], StringComparer.Ordinal));
        return picks;
    }
}
