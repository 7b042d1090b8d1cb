using System.Globalization;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Training;

/// <summary>
/// The validation images of a detection trial cut in two: a selection half, on which the best epoch and
/// the score threshold are chosen, and a judging half, on which the objective the trial reports is
/// measured at that epoch with that threshold. <see cref="Selection"/> and <see cref="Judging"/> index
/// the images given to <see cref="Split"/>; with <see cref="Fallback"/> set both are every image.
/// </summary>
/// <remarks>
/// Why: the maximum over some thirty noisy validation epochs, at the threshold that maximises F2 on the
/// same images, is biased upwards (the winner's curse of selecting and estimating on one sample; Cawley
/// and Talbot 2010, "On over-fitting in model selection and subsequent selection bias in performance
/// evaluation", JMLR 11). On the bone-fracture bench a 0.01 validation F2 "gain" was that bias, and changes
/// were kept that did nothing on test. Measured on images that chose nothing, the reported objective is
/// an honest estimate of the kept epoch at its threshold, and trials compare on it.
/// </remarks>
public sealed record ValidationHalves(IReadOnlyList<int> Selection, IReadOnlyList<int> Judging, string? Fallback)
{
    /// <summary>
    /// Below this many fully supervised validation images the set is not halved: twenty images a half
    /// leave a threshold and an F2 too noisy to be worth the honesty (a handful of boxed positives each).
    /// </summary>
    public const int MinImages = 40;

    /// <summary>Whether the images were halved (otherwise every image chose and judged).</summary>
    public bool Halved => Fallback is null;

    /// <summary>
    /// Splits images (by <paramref name="ids"/>, with their <paramref name="groups"/>, null for none, and
    /// whether each has a finding) deterministically for <paramref name="seed"/>: every group (augmented
    /// copies of one source, one patient) on one side, and the images with findings and those without
    /// each shared about equally between the halves.
    /// </summary>
    /// <remarks>
    /// Groups (an image without a group is its own) are ordered by a hash of the seed and the group key
    /// (FNV-1a 64 then SplitMix64's finaliser: fixed across .NET versions and machines, unlike
    /// <see cref="string.GetHashCode()"/>), largest first within a stratum so big groups cannot tip the
    /// balance at the end; each goes to the half with fewer images of its stratum so far (ties to the
    /// judging half). A group's stratum is whether any of its images has a finding.
    /// </remarks>
    public static ValidationHalves Split(IReadOnlyList<string> ids, IReadOnlyList<string?> groups, IReadOnlyList<bool> hasFinding, int seed)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(hasFinding);
        if (groups.Count != ids.Count || hasFinding.Count != ids.Count) throw new ArgumentException("ids, groups and findings must have one entry per image");
        int n = ids.Count;
        var all = Enumerable.Range(0, n).ToArray();
        var inv = CultureInfo.InvariantCulture;
        if (n < MinImages)
            return new ValidationHalves(all, all, string.Create(inv, $"{n} validation images, fewer than {MinImages}: too few to halve, so the epoch and threshold are chosen and judged on the same images"));

        var byKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            // The prefixes keep an ungrouped image's id apart from a group value that happens to equal it.
            var key = groups[i] is { } g ? "g:" + g : "i:" + ids[i];
            if (!byKey.TryGetValue(key, out var members)) byKey[key] = members = [];
            members.Add(i);
        }
        var selection = new List<int>();
        var judging = new List<int>();
        foreach (var stratum in byKey.GroupBy(kv => kv.Value.Any(i => hasFinding[i])))
        {
            int sel = 0, jud = 0;
            foreach (var (_, members) in stratum.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => Hash(kv.Key, seed)).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (sel < jud) { selection.AddRange(members); sel += members.Count; }
                else { judging.AddRange(members); jud += members.Count; }
            }
        }
        selection.Sort();
        judging.Sort();
        int Findings(List<int> half) => half.Count(i => hasFinding[i]);
        if (Findings(selection) == 0 || Findings(judging) == 0)
            return new ValidationHalves(all, all, string.Create(inv, $"the images with findings ({Findings(selection) + Findings(judging)}) lie in too few groups to put some on each side, so the epoch and threshold are chosen and judged on the same {n} images"));
        return new ValidationHalves(selection, judging, null);
    }

    /// <summary>
    /// Scores one epoch's detections: the selection half with the operating point chosen on it (what picks
    /// the epoch), the judging half at that operating point (what the trial reports), and the whole set
    /// with its own best operating point (for the log). Unhalved, all three are the whole set's.
    /// </summary>
    public (ValidationMetrics Selection, ValidationMetrics Judged, ValidationMetrics Whole) Score(IReadOnlyList<IReadOnlyList<BoundingBox>> truth,
        IReadOnlyList<IReadOnlyList<BoundingBox>> detections, DetectionScorer scorer)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(scorer);
        var whole = scorer(truth, detections, null);
        if (!Halved) return (whole, whole, whole);
        var selection = scorer(Selection.Select(i => truth[i]).ToList(), Selection.Select(i => detections[i]).ToList(), null);
        var at = new DetectionOperatingPoint(selection.Threshold, selection.ClassThresholds ?? []);
        var judged = scorer(Judging.Select(i => truth[i]).ToList(), Judging.Select(i => detections[i]).ToList(), at);
        return (selection, judged, whole);
    }

    /// <summary>A stable 64-bit hash of a group key for a seed.</summary>
    private static ulong Hash(string key, int seed)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(key)) h = unchecked((h ^ b) * 1099511628211UL);
        h ^= unchecked((ulong)seed * 0x9E3779B97F4A7C15UL);
        h = unchecked((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL);
        h = unchecked((h ^ (h >> 27)) * 0x94D049BB133111EBUL);
        return h ^ (h >> 31);
    }
}
