using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>How the confounder of a debiasing run was labelled, and how well (confounder/inspection.json).</summary>
/// <param name="Confounder">The confounder the request names.</param>
/// <param name="Column">The metadata column that records it.</param>
/// <param name="Annotated">Development images with a value in the column.</param>
/// <param name="Predicted">Development images labelled by the auxiliary classifier (0 when the column covers all).</param>
/// <param name="CrossTabs">Label × confounder on train and val (predicted values count as present at ≥ 0.5).</param>
/// <param name="ConfounderOnlyAuc">How well the confounder alone predicts the label on train + val, with a 95% bootstrap CI.</param>
/// <param name="Auxiliary">The auxiliary classifier's validation metrics, when one was trained.</param>
public sealed record ConfounderSetup(string Confounder, string Column, int Annotated, int Predicted,
    IReadOnlyList<ConfounderCrossTab> CrossTabs, Bootstrap.Interval ConfounderOnlyAuc, AuxiliaryMetrics? Auxiliary);

/// <summary>The auxiliary confounder classifier's result on the annotated validation images.</summary>
public sealed record AuxiliaryMetrics(int TrainImages, int ValImages, Bootstrap.Interval ValAuc, double Sensitivity, double Specificity, int Epochs);

/// <summary>
/// Prepares a debiasing run: reads the confounder column the request points to, checks it,
/// labels the development images (metadata, or an auxiliary classifier trained on the annotated
/// subset when only some images have a value), writes confounder/labels.csv for the trial processes
/// and confounder/inspection.json, and adds the inspection to the data card. Test images are never
/// read here: the test split stays sealed until the one look.
/// </summary>
internal static class ShortcutSetup
{
    private const int Resamples = 1000;

    /// <summary>The column recording the named confounder and its checked values; null when the spec names none or no column records it.</summary>
    public static (string Column, Dictionary<string, double> Values)? ReadColumn(TaskSpec spec, Dataset dataset, string dataPath)
    {
        if (spec.Confounders.Count == 0 || dataset.Classes.Count != 2) return null;
        if (ConfoundCheck.ColumnFor(spec.Confounders[0].Name, dataset.Columns) is not { } column) return null;
        var values = ConfounderLabels.FromMetadata(dataset, column, dataset.Source);
        if (values.Count == 0)
            throw new ClinforgeException($"{dataset.Source}: column '{column}' (the confounder '{spec.Confounders[0].Name}' named in the request) has no values; fill it for all images, or for a subset to train an auxiliary confounder classifier.");
        return (column, values);
    }

    /// <summary>Writes confounder/labels.csv and confounder/inspection.json; returns the card with the inspection in its notes.</summary>
    public static DataCard WriteLabels(RunPaths run, Journal journal, TaskSpec spec, DataCard card, Splits splits, Dataset dataset,
        string column, Dictionary<string, double> values, int seed, int threads, IModelRuntime runtime, IWorkflowView view)
    {
        string confounder = spec.Confounders[0].Name;
        int positive = spec.ReportedClassIndex(card.Classes);
        var dev = splits.Train.Concat(splits.Val).ToList();
        var labels = new Dictionary<string, ConfounderLabel>(StringComparer.Ordinal);
        foreach (var item in dev)
            if (values.TryGetValue(item.Id, out var v)) labels[item.Id] = new ConfounderLabel(v, "metadata");
        int annotated = labels.Count;
        AuxiliaryMetrics? aux = null;
        var missing = dev.Where(i => !labels.ContainsKey(i.Id)).ToList();
        if (missing.Count > 0)
        {
            aux = TrainAuxiliary(run, spec, card, splits, dataset, values, missing, labels, seed, threads, runtime);
            journal.Event("confounder", string.Create(CultureInfo.InvariantCulture,
                $"'{confounder}' is annotated for {annotated} of {dev.Count} development images (column {column}); an auxiliary classifier trained on them labelled the other {missing.Count}: validation AUC {aux.ValAuc.Estimate:0.000} [{aux.ValAuc.Lower:0.000}, {aux.ValAuc.Upper:0.000}] on {aux.ValImages} annotated images"),
                payload: Json.Serialize(aux));
        }
        ConfounderLabels.Write(run.ConfounderLabels, labels);

        int[] Y(IEnumerable<DataItem> items) => items.Select(i => i.Label == positive ? 1 : 0).ToArray();
        double[] C(IEnumerable<DataItem> items) => items.Select(i => labels[i.Id].Probability).ToArray();
        var tabs = new[] { ConfounderInspector.CrossTab(SplitNames.Train, Y(splits.Train), C(splits.Train)), ConfounderInspector.CrossTab(SplitNames.Val, Y(splits.Val), C(splits.Val)) };
        var inspection = ConfounderInspector.Inspect(tabs, Y(dev), C(dev), Resamples, seed);
        var setup = new ConfounderSetup(confounder, column, annotated, missing.Count, tabs, inspection.ConfounderOnlyAuc, aux);
        Json.Write(run.ConfounderInspection, setup);
        var auc = inspection.ConfounderOnlyAuc;
        var notes = tabs.Select(t => t.Describe(confounder) + (missing.Count > 0 ? " (annotations + auxiliary classifier)" : $" (column {column})")).ToList();
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"{confounder} alone predict the label with AUC {auc.Estimate:0.000} [{auc.Lower:0.000}, {auc.Upper:0.000}] (train + val): the shortcut a model could take."));
        journal.Event("confounder", string.Join(" ", notes), payload: Json.Serialize(setup));
        foreach (var n in notes) view.Line(n, Tone.Warning, "confounder");
        return card with { Notes = [.. card.Notes, .. notes] };
    }

    /// <summary>
    /// Trains the auxiliary confounder classifier on the annotated training images, validates it on the
    /// annotated validation images, and fills in the unannotated development images with its probability.
    /// </summary>
    private static AuxiliaryMetrics TrainAuxiliary(RunPaths run, TaskSpec spec, DataCard card, Splits splits, Dataset dataset,
        Dictionary<string, double> values, List<DataItem> missing, Dictionary<string, ConfounderLabel> labels, int seed, int threads, IModelRuntime runtime)
    {
        var input = Initializer.Plan(spec, card, seed).Input;
        List<DataItem> Annotated(IEnumerable<DataItem> items) => items.Where(i => values.ContainsKey(i.Id)).ToList();
        var recipe = new Recipe
        {
            Input = input, Model = new ModelSpec("simple_cnn", 16, 1), MaxEpochs = 30, BatchSize = 64, Seed = seed,
            Augmentation = new AugmentationSpec(HorizontalFlip: 0.5),
        };
        var dir = run.ConfounderClassifier.Root;
        var settings = Json.Read<RunSettings>(run.Settings);
        var budget = TimeSpan.FromSeconds(Math.Clamp(settings.TrialSeconds, 5, 120));
        // The confounder present (1) at a value ≥ 0.5; its recipe is saved beside the weights, so that the test look can label the test images with the same model (AllLabels).
        var aux = runtime.TrainAuxiliary(recipe, dataset, Annotated(splits.Train), Annotated(splits.Val), values.ToDictionary(p => p.Key, p => p.Value >= 0.5 ? 1 : 0, StringComparer.Ordinal),
            missing, dir, budget, threads);
        var predicted = aux.Predicted;
        for (int i = 0; i < missing.Count; i++) labels[missing[i].Id] = new ConfounderLabel(predicted[i], "auxiliary");
        var vl = aux.ValLabels.ToArray();
        var vp = aux.ValProbabilities.ToArray();
        var auc = Bootstrap.Percentile(vl.Length, r => BinaryMetrics.Auc(r.Select(i => vl[i]).ToArray(), r.Select(i => vp[i]).ToArray()), Resamples, seed, vl);
        var cm = BinaryMetrics.ConfusionAt(vl, vp, 0.5);
        var metrics = new AuxiliaryMetrics(values.Keys.Intersect(splits.Train.Select(i => i.Id)).Count(), vl.Length, auc,
            Ratio(cm.Tp, cm.Tp + cm.Fn), Ratio(cm.Tn, cm.Tn + cm.Fp), aux.Epochs);
        Json.Write(run.ConfounderAuxiliary, metrics);
        return metrics;
    }

    /// <summary>
    /// Every image's confounder value for the confound check, called after the one test look: the
    /// development labels (confounder/labels.csv) plus the test images, from the column where annotated
    /// and otherwise from the auxiliary classifier saved at setup, applied now for the first time
    /// (written to confounder/test_labels.csv), with the column's name. Null when the run wrote no confounder labels.
    /// </summary>
    public static (string Column, Dictionary<string, ConfounderLabel> Labels)? AllLabels(RunPaths run, Dataset dataset, TaskSpec spec, Splits splits, IModelRuntime runtime)
    {
        if (!File.Exists(run.ConfounderLabels) || ReadColumn(spec, dataset, dataset.Source) is not { } column) return null;
        var labels = ConfounderLabels.Read(run.ConfounderLabels);
        var test = new Dictionary<string, ConfounderLabel>(StringComparer.Ordinal);
        foreach (var item in splits.Test)
            if (column.Values.TryGetValue(item.Id, out var v)) test[item.Id] = new ConfounderLabel(v, "metadata");
        var missing = splits.Test.Where(i => !test.ContainsKey(i.Id)).ToList();
        var aux = run.ConfounderClassifier;
        if (missing.Count > 0 && File.Exists(aux.Model) && File.Exists(aux.Recipe))
        {
            var probabilities = runtime.Scorer(dataset).Predict(aux, missing);
            for (int i = 0; i < missing.Count; i++) test[missing[i].Id] = new ConfounderLabel(probabilities[i][1], "auxiliary");
        }
        ConfounderLabels.Write(run.ConfounderTestLabels, test);
        foreach (var (id, l) in test) labels[id] = l;
        return (column.Column, labels);
    }

    /// <summary>
    /// The debiasing summary for final/confound.json, from the saved test predictions (no new look):
    /// baseline (trial 0) and refined model with test AUC and partial correlation, both with 95%
    /// bootstrap CIs, and a verdict worded by what the intervals support.
    /// </summary>
    public static ShortcutSummary? Summarize(RunPaths run, ConfoundReport report, PredictionTable initial, int initialTrial,
        PredictionTable final, int finalTrial, int positive, string source, int seed)
    {
        if (!File.Exists(run.ConfounderLabels)) return null;
        var inv = CultureInfo.InvariantCulture;
        var setup = Json.Read<ConfounderSetup>(run.ConfounderInspection);
        ShortcutModelRow Row(string name, PredictionTable t, int trial)
        {
            var y = t.Labels.Select(l => l == positive ? 1 : 0).ToArray();
            var p = t.Probabilities.Select(q => q[positive]).ToArray();
            var auc = Bootstrap.Percentile(y.Length, ix => BinaryMetrics.Auc(ix.Select(i => y[i]).ToArray(), ix.Select(i => p[i]).ToArray()), Resamples, seed, y);
            var recipe = Json.Read<Recipe>(run.Trial(trial).Recipe);
            var metrics = File.Exists(run.Trial(trial).Metrics) ? Json.Read<TrialMetrics>(run.Trial(trial).Metrics) : null;
            var a = report.Models.FirstOrDefault(m => m.Trial == trial && m.Model == name)?.Analysis ?? report.Models.First(m => m.Trial == trial).Analysis;
            string debias = (recipe.Debias?.Describe() ?? "no debiasing") + (recipe.Loss.LabelSmoothing > 0 ? string.Create(inv, $" + label smoothing {recipe.Loss.LabelSmoothing}") : "");
            return new ShortcutModelRow(name == "initial" ? "baseline" : "refined", trial, debias, auc.Estimate, auc.Lower, auc.Upper,
                metrics?.Confounder?.PartialCorrelation, a.PartialCorrelation.Value, a.PartialCorrelation.Lower, a.PartialCorrelation.Upper)
            {
                FalsePositiveShare = a.FalsePositiveShare, FalsePositiveShareLower = a.FalsePositiveShareLower, FalsePositiveShareUpper = a.FalsePositiveShareUpper,
                FalsePositives = a.FalsePositives, NegativeShare = a.NegativeShare,
            };
        }
        var rows = new List<ShortcutModelRow> { Row("initial", initial, initialTrial) };
        PairedDifference? difference = null;
        if (finalTrial != initialTrial)
        {
            rows.Add(Row("final", final, finalTrial));
            difference = AucDifference(initial, final, positive, seed);
        }
        var aux = setup.Auxiliary is { } x ? new AuxiliarySummary(x.TrainImages, x.ValImages, x.ValAuc.Estimate, x.ValAuc.Lower, x.ValAuc.Upper, x.Sensitivity, x.Specificity) : null;
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        var policy = ShortcutPolicy.From(spec);
        string allowance = spec.ConfounderMaxLoss is null
            ? string.Create(inv, $"at most {policy.MaxPrimaryLoss:0.00} of the primary metric given up for less reliance (default; the question was not answered)")
            : policy.MaxPrimaryLoss > 0 ? string.Create(inv, $"at most {policy.MaxPrimaryLoss:0.00} of the primary metric given up for less reliance (as answered)") : "the primary metric first (as answered)";
        return new ShortcutSummary($"shortcut (ShortcutAcceptance: primary metric and |partial correlation| on validation; {allowance})", setup.Annotated, setup.Predicted, aux,
            rows, Injected(source), Verdict(report.Confounder, rows)) { AucDifference = difference };
    }

    /// <summary>Refined − baseline test AUC on the same cases (paired stratified bootstrap), matched by case id.</summary>
    public static PairedDifference AucDifference(PredictionTable baseline, PredictionTable refined, int positive, int seed)
    {
        var index = refined.Ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var rows = Enumerable.Range(0, baseline.Ids.Count).Where(i => index.ContainsKey(baseline.Ids[i])).ToArray();
        var y = rows.Select(i => baseline.Labels[i] == positive ? 1 : 0).ToArray();
        var pb = rows.Select(i => baseline.Probabilities[i][positive]).ToArray();
        var pr = rows.Select(i => refined.Probabilities[index[baseline.Ids[i]]][positive]).ToArray();
        double Auc(int[] ix, double[] p) => BinaryMetrics.Auc(ix.Select(i => y[i]).ToArray(), ix.Select(i => p[i]).ToArray());
        // PairedTest reports statisticB − statisticA: baseline as A, refined as B.
        var t = Bootstrap.PairedTest(y.Length, ix => Auc(ix, pb), ix => Auc(ix, pr), Resamples, seed, y);
        return new PairedDifference(t.Difference, t.DifferenceInterval.Lower, t.DifferenceInterval.Upper, t.PValue);
    }

    /// <summary>Plain words that never claim more than measured: a fall is called a fall only when the intervals do not overlap.</summary>
    public static string Verdict(string confounder, IReadOnlyList<ShortcutModelRow> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var b = rows[0];
        if (rows.Count == 1)
            return string.Create(inv, $"No debiasing change was kept: the final model is the baseline (partial correlation with {confounder} {b.PartialCorrelation:0.00} [{b.PartialLower:0.00}, {b.PartialUpper:0.00}] on test).");
        var r = rows[1];
        string dep = string.Create(inv, $"partial correlation with {confounder} {b.PartialCorrelation:0.00} [{b.PartialLower:0.00}, {b.PartialUpper:0.00}] → {r.PartialCorrelation:0.00} [{r.PartialLower:0.00}, {r.PartialUpper:0.00}]");
        string auc = string.Create(inv, $"test AUC {b.TestAuc:0.000} [{b.TestAucLower:0.000}, {b.TestAucUpper:0.000}] → {r.TestAuc:0.000} [{r.TestAucLower:0.000}, {r.TestAucUpper:0.000}]");
        string reliance = Math.Abs(r.PartialCorrelation) < Math.Abs(b.PartialCorrelation)
            ? (r.PartialUpper < b.PartialLower || r.PartialLower > b.PartialUpper
                ? $"The refined model ({r.Debias}) relies measurably less on {confounder} on the test split"
                : $"The refined model ({r.Debias}) has a lower point estimate of reliance on {confounder}, but the intervals overlap, so this test split cannot show that it fell")
            : $"The refined model ({r.Debias}) does not rely less on {confounder} on the test split";
        return $"{reliance} ({dep}); {auc}. This measures association with the recorded {confounder}, not whether the model has learned the finding itself.";
    }

    /// <summary>The statement of a generated fixture with an injected confounder (its README.txt beside artifact_truth.csv), or null for real data.</summary>
    public static string? Injected(string source)
    {
        var dir = Directory.Exists(source) ? source : Path.GetDirectoryName(source);
        if (dir is null || !File.Exists(Path.Combine(dir, "artifact_truth.csv")) || !File.Exists(Path.Combine(dir, "README.txt"))) return null;
        return File.ReadLines(Path.Combine(dir, "README.txt")).FirstOrDefault();
    }

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
}
