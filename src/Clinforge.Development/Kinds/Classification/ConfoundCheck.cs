using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// The confounder check of a run whose request names a confounder that the data records in a
/// metadata column ("don't rely on chest drains" with a <c>drain</c> column): inspection of the
/// development splits and the confound analysis (Confound.Analyze) of the initial and final models on
/// the saved test predictions — no new look at the test images.
/// </summary>
public static class ConfoundCheck
{
    /// <summary>Resamples for the intervals.</summary>
    public const int Resamples = 1000;

    /// <summary>
    /// The metadata column that records <paramref name="confounder"/>: a column whose name, as words,
    /// shares a word stem with the confounder's ("chest drains" ↔ "drain", "chest_drain"); null when none.
    /// </summary>
    public static string? ColumnFor(string confounder, IEnumerable<string> columns)
    {
        // The head noun decides ("chest drains" → drain), so a "chest_view" column is not taken for a drain.
        var head = Stems(confounder).LastOrDefault();
        return head is null ? null : columns.FirstOrDefault(c => Stems(c).Contains(head));
    }

    /// <summary>1/0, yes/no, true/false, present/absent, or a probability in [0, 1]; null for an empty or unreadable cell.</summary>
    public static double? Presence(string cell) => cell.Trim().ToLowerInvariant() switch
    {
        "" => null,
        "yes" or "true" or "present" or "y" => 1,
        "no" or "false" or "absent" or "n" => 0,
        var v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 1 ? d : null,
    };

    /// <summary>
    /// The check for the first named confounder the metadata records, or null (binary tasks only).
    /// False positives are counted at each model's operating threshold chosen on validation
    /// (<paramref name="initialThreshold"/>, <paramref name="finalThreshold"/>), never one tuned on the test split.
    /// </summary>
    public static ConfoundReport? Run(TaskSpec spec, Splits splits, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> metadata,
        int positive, PredictionTable initialTest, int initialTrial, double initialThreshold, PredictionTable finalTest, int finalTrial, double finalThreshold, int seed)
    {
        if (positive < 0 || finalTest.Probabilities.Length == 0 || finalTest.Probabilities[0].Length != 2 || metadata.Count == 0) return null;
        var columns = metadata.Values.SelectMany(m => m.Keys).Distinct(StringComparer.Ordinal).ToList();
        foreach (var confounder in spec.Confounders)
        {
            if (ColumnFor(confounder.Name, columns) is not { } column) continue;
            double? Value(string id) => metadata.TryGetValue(id, out var m) && m.TryGetValue(column, out var v) ? Presence(v) : null;

            var counts = new List<ConfounderCounts>();
            var devLabels = new List<int>();
            var devValues = new List<double>();
            foreach (var (name, items) in new[] { ("train", splits.Train), ("val", splits.Val) })
            {
                int pw = 0, p = 0, nw = 0, n = 0;
                foreach (var item in items)
                {
                    if (Value(item.Id) is not { } v) continue;
                    bool pos = item.Label == positive, with = v >= 0.5;
                    if (pos) { p++; if (with) pw++; } else { n++; if (with) nw++; }
                    devLabels.Add(pos ? 1 : 0); devValues.Add(v);
                }
                counts.Add(new ConfounderCounts(name, pw, p, nw, n));
            }
            if (devLabels.Distinct().Count() < 2) continue;
            // How far the confounder alone predicts the label: the shortcut a model could take.
            double auc = BinaryMetrics.Auc(devLabels, devValues);
            var ci = Bootstrap.Percentile(devLabels.Count, idx => BinaryMetrics.Auc(idx.Select(i => devLabels[i]).ToArray(), idx.Select(i => devValues[i]).ToArray()), Resamples, seed, devLabels.ToArray());

            var models = new List<ModelConfound>();
            foreach (var (name, table, trial, threshold) in new[] { ("initial", initialTest, initialTrial, initialThreshold), ("final", finalTest, finalTrial, finalThreshold) })
            {
                var rows = Enumerable.Range(0, table.Ids.Count).Where(i => Value(table.Ids[i]) is not null).ToArray();
                var labels = rows.Select(i => table.Labels[i] == positive ? 1 : 0).ToArray();
                if (labels.Distinct().Count() < 2) continue;
                var analysis = Confound.Analyze(labels, rows.Select(i => table.Probabilities[i][positive]).ToArray(),
                    rows.Select(i => Value(table.Ids[i])!.Value).ToArray(), Resamples, seed, threshold);
                models.Add(new ModelConfound(name, trial, analysis));
            }
            return new ConfoundReport(confounder.Name, column, counts, auc, ci.Lower, ci.Upper, models);
        }
        return null;
    }

    // Lower-case word stems without a plural s: "Chest drains" → {chest, drain}.
    private static List<string> Stems(string text) =>
        text.ToLowerInvariant().Split([' ', '_', '-', '.', '/'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length > 2 && w is not ("the" or "and" or "any"))
            .Select(w => w.EndsWith('s') && w.Length > 3 ? w[..^1] : w).Distinct(StringComparer.Ordinal).ToList();
}
