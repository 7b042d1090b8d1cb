using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// Subgroup analysis of the saved test predictions (no new look at the test images): each metadata
/// column with 2 to <see cref="MaxGroups"/> distinct values becomes a table, and a numeric column
/// named like age is cut into clinical age bands. Per group: AUC, sensitivity and specificity at the
/// final threshold, each with a stratified percentile bootstrap CI (Subgroups.Table; Efron &amp;
/// Tibshirani 1993). Binary tasks only.
/// </summary>
public static class SubgroupAnalysis
{
    /// <summary>More distinct values than this make a column an identifier or a measurement, not a grouping.</summary>
    public const int MaxGroups = 12;

    /// <summary>Resamples per group (fewer than the headline 2000: many groups, descriptive use).</summary>
    public const int Resamples = 1000;

    /// <summary>Age bands (years): children, young adults, middle age, older, oldest.</summary>
    private static readonly (double Upper, string Name)[] s_ageBands = [(18, "0–17"), (40, "18–39"), (60, "40–59"), (80, "60–79"), (double.PositiveInfinity, "≥80")];

    /// <summary>Tables for every usable column; empty when there is no metadata or the task is not binary.</summary>
    public static IReadOnlyList<SubgroupTable> Compute(PredictionTable test, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> metadata,
        int positive, double threshold, int seed)
    {
        if (test.Probabilities.Length == 0 || test.Probabilities[0].Length != 2 || positive < 0 || double.IsNaN(threshold) || metadata.Count == 0) return [];
        var labels = test.Labels.Select(l => l == positive ? 1 : 0).ToArray();
        var scores = test.Probabilities.Select(p => p[positive]).ToArray();
        var columns = metadata.Values.SelectMany(m => m.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var tables = new List<SubgroupTable>();
        foreach (var column in columns)
        {
            var raw = test.Ids.Select(id => metadata.TryGetValue(id, out var m) && m.TryGetValue(column, out var v) ? v : "").ToArray();
            var (groups, grouping) = Groups(column, raw);
            if (groups is null) continue;
            var auc = Subgroups.Table(groups, labels, scores, (y, s) => BinaryMetrics.Auc(y, s), Resamples, seed);
            var sens = Subgroups.Table(groups, labels, scores, (y, s) => Rate(y, s, threshold, 1), Resamples, seed);
            var spec = Subgroups.Table(groups, labels, scores, (y, s) => Rate(y, s, threshold, 0), Resamples, seed);
            var rows = auc.Select((a, i) => new SubgroupEstimate(a.Group, a.Count, a.Positives,
                new Estimate(a.Value, a.Lower, a.Upper),
                new Estimate(sens[i].Value, sens[i].Lower, sens[i].Upper),
                new Estimate(spec[i].Value, spec[i].Lower, spec[i].Upper))).ToList();
            tables.Add(new SubgroupTable(column, grouping, rows));
        }
        return tables;
    }

    /// <summary>The group of each case, or null when the column is not a grouping.</summary>
    public static (string[]? Groups, string Grouping) Groups(string column, IReadOnlyList<string> values)
    {
        var present = values.Where(v => v.Length > 0).ToList();
        if (present.Count == 0) return (null, "");
        bool numeric = present.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        if (numeric && column.Contains("age", StringComparison.OrdinalIgnoreCase))
        {
            var banded = values.Select(v => v.Length == 0 ? "missing" : s_ageBands.First(b => double.Parse(v, CultureInfo.InvariantCulture) < b.Upper).Name).ToArray();
            return banded.Distinct().Count() >= 2 ? (banded, "age bands (years)") : (null, "");
        }
        int distinct = present.Distinct(StringComparer.Ordinal).Count();
        if (distinct < 2 || distinct > MaxGroups) return (null, "");
        return (values.Select(v => v.Length == 0 ? "missing" : v).ToArray(), "values of the column");
    }

    // Sensitivity (label 1) or specificity (label 0) at the threshold; NaN when the group lacks that class.
    private static double Rate(IReadOnlyList<int> y, IReadOnlyList<double> s, double threshold, int label)
    {
        int n = 0, right = 0;
        for (int i = 0; i < y.Count; i++)
        {
            if (y[i] != label) continue;
            n++;
            if ((s[i] >= threshold) == (label == 1)) right++;
        }
        return n == 0 ? double.NaN : (double)right / n;
    }
}
