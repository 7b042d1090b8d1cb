using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>The confounder dependence of a trial's validation predictions, from files in the run folder.</summary>
public static class ShortcutDependence
{
    /// <summary>
    /// Partial correlation of the positive probability with the confounder probability given the label,
    /// and the share of false positives at Youden's threshold that carry the confounder; null when the
    /// task is not binary or the labels do not cover both classes.
    /// </summary>
    public static ConfounderDependence? Measure(RunPaths run, int trial, TaskSpec spec, DataCard card)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        var paths = run.Trial(trial);
        if (spec.Confounders.Count == 0 || card.Classes.Count != 2 || !File.Exists(run.ConfounderLabels) || !File.Exists(paths.ValPredictions)) return null;
        int positive = spec.ReportedClassIndex(card.Classes);
        if (positive < 0) return null;
        var labels = ConfounderLabels.Read(run.ConfounderLabels);
        var table = PredictionTable.Read(paths.ValPredictions);
        var rows = Enumerable.Range(0, table.Ids.Count).Where(i => labels.ContainsKey(table.Ids[i])).ToArray();
        var y = rows.Select(i => table.Labels[i] == positive ? 1 : 0).ToArray();
        if (y.Distinct().Count() < 2) return null;
        var p = rows.Select(i => table.Probabilities[i][positive]).ToArray();
        var c = rows.Select(i => labels[table.Ids[i]].Probability).ToArray();
        double threshold = BinaryMetrics.YoudenThreshold(y, p);
        int fp = 0, fpWith = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] != 0 || p[i] < threshold) continue;
            fp++;
            if (c[i] >= 0.5) fpWith++;
        }
        return new ConfounderDependence(spec.Confounders[0].Name, Confound.PartialOnLabel(p, c, y), fp == 0 ? double.NaN : (double)fpWith / fp, fp, y.Length);
    }
}
