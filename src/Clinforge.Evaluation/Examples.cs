namespace Clinforge.Evaluation;

/// <summary>
/// Picks the test cases a clinician should look at: for each of true positive, false negative,
/// false positive and true negative at the operating threshold, the most confident ones (the
/// highest-scored positives and false alarms, the lowest-scored misses and negatives), so the
/// report shows both what the model gets right and its worst mistakes.
/// </summary>
public static class Examples
{
    /// <summary>Kinds in display order.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["true positive", "false negative", "false positive", "true negative"];

    /// <summary>(kind, index) pairs, at most <paramref name="perKind"/> of each kind.</summary>
    public static IReadOnlyList<(string Kind, int Index)> Select(IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores, double threshold, int perKind)
    {
        Check.Binary(binaryLabels, scores);
        var idx = Enumerable.Range(0, scores.Count).ToList();
        IEnumerable<int> Where(int label, bool called) => idx.Where(i => binaryLabels[i] == label && (scores[i] >= threshold) == called);
        var picks = new List<(string, int)>();
        picks.AddRange(Where(1, true).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(perKind).Select(i => ("true positive", i)));
        picks.AddRange(Where(1, false).OrderBy(i => scores[i]).ThenBy(i => i).Take(perKind).Select(i => ("false negative", i)));
        picks.AddRange(Where(0, true).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(perKind).Select(i => ("false positive", i)));
        picks.AddRange(Where(0, false).OrderBy(i => scores[i]).ThenBy(i => i).Take(perKind).Select(i => ("true negative", i)));
        return picks;
    }
}
