namespace Clinforge.Evaluation;

/// <summary>One row of a subgroup table: a metric with its 95% bootstrap interval within one group.</summary>
public sealed record SubgroupRow(string Group, int Count, int Positives, double Value, double Lower, double Upper);

/// <summary>
/// Subgroup analysis for a metadata column (sex, age band, site, body part): the metric computed
/// within each group with a stratified percentile bootstrap CI (Efron &amp; Tibshirani 1993, §13.3),
/// resampling cases within the group and within each label, so every replicate keeps the group's
/// class counts.
/// </summary>
public static class Subgroups
{
    /// <summary>
    /// One row per distinct group value (ordinal order); a group whose metric is undefined (e.g. AUC
    /// with one class) gets NaN for value and interval. Each group uses seed + its ordinal position.
    /// </summary>
    public static IReadOnlyList<SubgroupRow> Table(
        IReadOnlyList<string> groups,
        IReadOnlyList<int> labels,
        IReadOnlyList<double> scores,
        Func<IReadOnlyList<int>, IReadOnlyList<double>, double> metric,
        int resamples,
        int seed,
        double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(metric);
        Check.Binary(labels, scores);
        Check.SameLength(labels.Count, groups.Count, nameof(labels), nameof(groups));
        var rows = new List<SubgroupRow>();
        int g = 0;
        foreach (var name in groups.Distinct().Order(StringComparer.Ordinal))
        {
            var idx = Enumerable.Range(0, groups.Count).Where(i => groups[i] == name).ToArray();
            var y = idx.Select(i => labels[i]).ToArray();
            var s = idx.Select(i => scores[i]).ToArray();
            int positives = y.Count(v => v == 1);
            double value = metric(y, s);
            if (double.IsNaN(value))
            {
                rows.Add(new SubgroupRow(name, idx.Length, positives, double.NaN, double.NaN, double.NaN));
            }
            else
            {
                var ci = Bootstrap.Percentile(idx.Length, r => metric(r.Select(i => y[i]).ToArray(), r.Select(i => s[i]).ToArray()), resamples, seed + g, y, level);
                rows.Add(new SubgroupRow(name, idx.Length, positives, value, ci.Lower, ci.Upper));
            }
            g++;
        }
        return rows;
    }
}
