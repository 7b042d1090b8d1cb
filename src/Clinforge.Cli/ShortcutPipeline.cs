using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Intent;
using Clinforge.Reporting;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>Settings of one shortcut-aware run on a <see cref="ShortcutFixture"/>.</summary>
/// <param name="OutputDir">Where the journal, the report and the predictions go.</param>
/// <param name="Request">The clinician's request; it must name the confounder (e.g. "don't rely on chest drains").</param>
/// <param name="Epochs">Epochs per trial (fixed schedule).</param>
/// <param name="Width">Encoder width of the classifier.</param>
/// <param name="Rounds">Refinement rounds after the baseline.</param>
/// <param name="Resamples">Bootstrap resamples for the CIs.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="AuxiliarySeconds">Time budget of the auxiliary confounder classifier.</param>
public sealed record ShortcutRunOptions(string OutputDir, string Request, int Epochs = 12, int Width = 16, int Rounds = 5,
    int Resamples = 1000, int Seed = 17, double AuxiliarySeconds = 60);

/// <summary>
/// The shortcut-aware workflow of issue 8, end to end on a fixture with an injected confounder:
/// parse the request (the confounder comes from it), label the confounder on every image (the
/// auxiliary classifier learns from the annotated subset), inspect the shortcut, train the baseline,
/// refine with the <see cref="ShortcutPlaybook"/> under <see cref="ShortcutAcceptance"/>, then look at
/// the test split once for the baseline and the refined model and write the report.
/// </summary>
public static class ShortcutPipeline
{
    /// <summary>Runs everything and returns the report's data; writes shortcut_report.md and journal.jsonl under the output folder.</summary>
    public static ShortcutResult Run(ShortcutFixture fixture, ShortcutRunOptions o, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        ArgumentNullException.ThrowIfNull(o);
        var inv = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(o.OutputDir);
        var journalPath = Path.Combine(o.OutputDir, "journal.jsonl");
        File.WriteAllText(journalPath, "");
        void Journal(string kind, object payload) =>
            File.AppendAllText(journalPath, JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow, kind, payload }) + "\n");
        log(fixture.Describe());
        Journal("fixture", new { statement = fixture.Describe(), fixture.Options });

        var ds = fixture.Dataset;
        var spec = new RuleBasedParser().Parse(o.Request, ds.Classes);
        if (spec.Confounders.Count == 0) throw new ClinforgeException($"The request names no confounder to avoid: \"{o.Request}\". Say e.g. \"don't rely on chest drains\".");
        string confounder = spec.Confounders[0].Name;
        Journal("spec", new { spec.Request, spec.Confounders, spec.PositiveClass });
        var policy = ShortcutPolicy.From(spec);
        log($"confounder from the request: '{confounder}' (from \"{spec.Provenance.GetValueOrDefault("confounders", "?")}\"; label source: {spec.Confounders[0].Source}); priority {policy.Priority}, allowed AUC cost {policy.MaxPrimaryLoss.ToString("0.000", inv)}");

        // Load every split once at 28 px grey (PneumoniaMNIST size).
        int size = 28, channels = 1;
        var idx = fixture.Cases.Select((c, i) => (c, i)).ToList();
        int[] Of(string split) => idx.Where(p => p.c.Split == split).Select(p => p.i).ToArray();
        var (trainIdx, valIdx, testIdx) = (Of(SplitNames.Train), Of(SplitNames.Val), Of(SplitNames.Test));
        ImageSet Load(int[] which) => ToSet(ds, which.Select(i => ds.Items[i]).ToList(), size, channels);
        var train = Load(trainIdx);
        var val = Load(valIdx);
        var test = Load(testIdx);

        // 1. Confounder labels: the auxiliary classifier on the annotated subset, applied to every image.
        var clock = Stopwatch.StartNew();
        var annTrain = trainIdx.Where(i => fixture.Cases[i].Annotated).ToArray();
        var annVal = valIdx.Where(i => fixture.Cases[i].Annotated).ToArray();
        ImageSet Annotated(int[] which) => Relabel(Load(which), which.Select(i => fixture.Cases[i].Artifact ? 1 : 0).ToArray());
        var auxRecipe = new Recipe { Input = new InputSpec(size, channels), Model = new ModelSpec("simple_cnn", 16, 1), MaxEpochs = 30, BatchSize = 64, Seed = o.Seed,
            Augmentation = new AugmentationSpec(HorizontalFlip: 0.5) };
        double[] trainConf, valConf, testConf;
        AuxiliaryClassifierResult auxResult;
        using (var aux = ConfounderClassifier.Train(auxRecipe, Annotated(annTrain), Annotated(annVal), AucScorer,
            Path.Combine(o.OutputDir, "auxiliary"), TimeSpan.FromSeconds(o.AuxiliarySeconds), l => log("[auxiliary] " + l)))
        {
            trainConf = aux.Apply(train);
            valConf = aux.Apply(val);
            testConf = aux.Apply(test);
            var vl = aux.ValLabels.ToArray();
            var vp = aux.ValProbabilities.ToArray();
            var auc = Bootstrap.Percentile(vl.Length, r => BinaryMetrics.Auc(r.Select(i => vl[i]).ToArray(), r.Select(i => vp[i]).ToArray()), o.Resamples, o.Seed, vl);
            var cm = BinaryMetrics.ConfusionAt(vl, vp, 0.5);
            double truthAuc = BinaryMetrics.Auc(testIdx.Select(i => fixture.Cases[i].Artifact ? 1 : 0).ToArray(), testConf);
            auxResult = new AuxiliaryClassifierResult("auxiliary classifier", annTrain.Length, annVal.Length, auc,
                Ratio(cm.Tp, cm.Tp + cm.Fn), Ratio(cm.Tn, cm.Tn + cm.Fp), truthAuc);
        }
        // Where an annotation exists it is the confounder value used for training; elsewhere the classifier's probability.
        var trainTarget = trainIdx.Select((i, k) => fixture.Cases[i].Annotated ? (fixture.Cases[i].Artifact ? 1.0 : 0.0) : trainConf[k]).ToArray();
        log(string.Create(inv, $"auxiliary classifier: val AUC {auxResult.ValAuc!.Estimate:0.000} [{auxResult.ValAuc.Lower:0.000}, {auxResult.ValAuc.Upper:0.000}] on {annVal.Length} annotated images; AUC vs injected truth on test {auxResult.TruthAuc:0.000} ({clock.Elapsed.TotalSeconds:0}s)"));
        Journal("auxiliary_classifier", auxResult);

        // 2. Inspection.
        var crossTabs = new[] { ConfounderInspector.CrossTab(SplitNames.Train, train.Labels, trainTarget), ConfounderInspector.CrossTab(SplitNames.Val, val.Labels, valConf) };
        var devLabels = train.Labels.Concat(val.Labels).ToArray();
        var inspection = ConfounderInspector.Inspect(crossTabs, devLabels, trainTarget.Concat(valConf).ToArray(), o.Resamples, o.Seed);
        var truthTabs = new[] { SplitNames.Train, SplitNames.Val, SplitNames.Test }.Select(s => ConfounderInspector.CrossTab(s + " (truth)",
            fixture.Cases.Where(c => c.Split == s).Select(c => c.Label).ToArray(), fixture.Cases.Where(c => c.Split == s).Select(c => c.Artifact ? 1.0 : 0.0).ToArray())).ToArray();
        foreach (var t in crossTabs) log(t.Describe(confounder));
        log(string.Create(inv, $"confounder-only AUC of the label on train+val: {inspection.ConfounderOnlyAuc.Estimate:0.000} [{inspection.ConfounderOnlyAuc.Lower:0.000}, {inspection.ConfounderOnlyAuc.Upper:0.000}]"));
        Journal("inspection", new { crossTabs = crossTabs.Select(t => t.Describe(confounder)), confounderOnlyAuc = inspection.ConfounderOnlyAuc });

        // 3. Baseline and refinement rounds.
        var baseRecipe = new Recipe
        {
            Input = new InputSpec(size, channels), Model = new ModelSpec("simple_cnn", o.Width, 1, 0.1), MaxEpochs = o.Epochs, BatchSize = 64, Seed = o.Seed,
            Optimizer = new OptimizerSpec(LearningRate: 2e-3), Augmentation = new AugmentationSpec(HorizontalFlip: 0.5),
        };
        // The data card carries the inspection in plain sentences (and the injection statement).
        var card = new DataCard
        {
            Format = ds.Format, Source = ds.Source, Classes = ds.Classes, TotalItems = ds.Items.Count, Channels = channels, SplitMethod = "official",
            Counts = new[] { (SplitNames.Train, train), (SplitNames.Val, val), (SplitNames.Test, test) }.ToDictionary(p => p.Item1,
                p => (IReadOnlyDictionary<string, int>)ds.Classes.Select((c, k) => (c, k)).ToDictionary(q => q.c, q => p.Item2.Labels.Count(l => l == q.k))),
            ImageSizes = new SizeSummary(size, size, size, size, size, size),
            Notes = [fixture.Describe(), .. crossTabs.Select(t => t.Describe(confounder) + $" ({auxResult.Source} / annotations)"),
                string.Create(inv, $"{confounder} alone predict the label with AUC {inspection.ConfounderOnlyAuc.Estimate:0.000} [{inspection.ConfounderOnlyAuc.Lower:0.000}, {inspection.ConfounderOnlyAuc.Upper:0.000}] (train + val)")],
        };
        Json.Write(Path.Combine(o.OutputDir, "datacard.json"), card);
        var trainer = new ShortcutTrainer(l => log("  " + l));
        (ShortcutTrainingOutcome Outcome, ShortcutScore Score) Fit(Recipe r)
        {
            var outcome = trainer.Train(r, train, trainTarget, val, ds.Classes, (l, p) => BinaryMetrics.Auc(l, p.Select(x => x[1]).ToArray()));
            var pv = outcome.ValProbabilities.Select(x => x[1]).ToArray();
            return (outcome, new ShortcutScore(BinaryMetrics.Auc(val.Labels, pv), Confound.PartialOnLabel(pv, valConf, val.Labels)));
        }
        log("baseline (no debiasing)");
        var (baseOutcome, baseScore) = Fit(baseRecipe);
        var rounds = new List<ShortcutRoundRow> { new(0, "baseline", "no debiasing", "The plain recipe, to measure the shortcut.", null, baseScore.Primary, baseScore.Dependence, true, "baseline", "Reference.", false) };
        Journal("trial", rounds[0]);
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { (Record(0, "baseline", "", true, baseScore.Primary), baseRecipe, null) };
        var bestRecipe = baseRecipe;
        var bestScore = baseScore;
        ShortcutTrainingOutcome bestOutcome = baseOutcome;
        var playbook = new ShortcutPlaybook();
        for (int round = 1; round <= o.Rounds; round++)
        {
            var p = playbook.Propose(new DevelopmentState(spec, card, history, bestRecipe, null));
            if (p is null) { log("the shortcut playbook has nothing left to try"); break; }
            log($"round {round}: {p.Change} — {p.Reason}");
            var (outcome, score) = Fit(p.Recipe);
            var d = ShortcutAcceptance.Decide(bestScore, score, policy);
            log($"  {d.Reason}");
            var row = new ShortcutRoundRow(round, p.Move, p.Change, p.Reason, p.Source, score.Primary, score.Dependence, d.Keep, d.Rule, d.Reason, d.TradeOff);
            rounds.Add(row);
            Journal(d.TradeOff ? "decision_tradeoff" : "trial", row);
            history.Add((Record(round, p.Move, p.Change, d.Keep, score.Primary), p.Recipe, null));
            if (d.Keep)
            {
                if (!ReferenceEquals(bestOutcome, baseOutcome)) bestOutcome.Dispose();
                bestRecipe = p.Recipe; bestScore = score; bestOutcome = outcome;
            }
            else outcome.Dispose();
        }

        // 4. The one look at the test split: baseline and refined.
        var testLabels = test.Labels;
        ShortcutModelResult Evaluate(string name, Recipe r, ShortcutTrainingOutcome m, ShortcutScore s)
        {
            using var x = Trainer.ToTensor(test, m.Preprocessing);
            var (_, probs) = Trainer.Predict(m.Model, x, null, false, NativeRuntime.PreferredDevice());
            var scores = probs.Select(q => q[1]).ToArray();
            File.WriteAllLines(Path.Combine(o.OutputDir, $"test_predictions_{name}.csv"),
                new[] { "id,label,p_positive,confounder_probability,artifact_truth" }.Concat(testIdx.Select((i, k) =>
                    string.Create(inv, $"{fixture.Cases[i].Id},{testLabels[k]},{scores[k]:0.######},{testConf[k]:0.######},{(fixture.Cases[i].Artifact ? 1 : 0)}"))));
            double threshold = BinaryMetrics.YoudenThreshold(val.Labels, m.ValProbabilities.Select(q => q[1]).ToArray());
            var analysis = Confound.Analyze(testLabels, scores, testConf, o.Resamples, o.Seed, threshold);
            var auc = Bootstrap.Percentile(testLabels.Length, ix => BinaryMetrics.Auc(ix.Select(i => testLabels[i]).ToArray(), ix.Select(i => scores[i]).ToArray()), o.Resamples, o.Seed, testLabels);
            var fpShare = Bootstrap.Percentile(testLabels.Length, ix => FpShare(ix, testLabels, scores, testConf, threshold), o.Resamples, o.Seed, testLabels);
            return new ShortcutModelResult(name, (r.Debias?.Describe() ?? "no debiasing") + (r.Loss.LabelSmoothing > 0 ? string.Create(inv, $" + label smoothing {r.Loss.LabelSmoothing}") : ""),
                auc, analysis, fpShare, s.Primary, s.Dependence);
        }
        var baseline = Evaluate("baseline", baseRecipe, baseOutcome, baseScore);
        var refined = Evaluate("refined", bestRecipe, bestOutcome, bestScore);
        var bScores = File.ReadAllLines(Path.Combine(o.OutputDir, "test_predictions_baseline.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[2], inv)).ToArray();
        var rScores = File.ReadAllLines(Path.Combine(o.OutputDir, "test_predictions_refined.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[2], inv)).ToArray();
        var diff = Bootstrap.PairedTest(testLabels.Length,
            ix => BinaryMetrics.Auc(ix.Select(i => testLabels[i]).ToArray(), ix.Select(i => bScores[i]).ToArray()),
            ix => BinaryMetrics.Auc(ix.Select(i => testLabels[i]).ToArray(), ix.Select(i => rScores[i]).ToArray()), o.Resamples, o.Seed, testLabels);
        var targets = ShortcutTargets.Evaluate(baseline, refined, diff);
        Journal("test_look", new { at = DateTimeOffset.UtcNow, baseline = baseline.TestAuc, refined = refined.TestAuc });
        if (!ReferenceEquals(bestOutcome, baseOutcome)) bestOutcome.Dispose();
        baseOutcome.Dispose();

        var result = new ShortcutResult(fixture.Describe(), o.Request, confounder, auxResult, inspection, truthTabs, rounds, baseline, refined, targets, o.Resamples,
            $"{Environment.ProcessorCount} CPU cores, torch threads {TorchSharp.torch.get_num_threads()}, device {NativeRuntime.PreferredDevice().type}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        File.WriteAllText(Path.Combine(o.OutputDir, "shortcut_report.md"), ShortcutReport.Markdown(result));
        return result;
    }

    /// <summary>Share of false positives (score ≥ threshold among negatives) that carry the confounder (probability ≥ 0.5), on a resample.</summary>
    public static double FpShare(int[] ix, int[] labels, double[] scores, double[] confounder, double threshold)
    {
        int fp = 0, fpWith = 0;
        foreach (var i in ix)
        {
            if (labels[i] != 0 || scores[i] < threshold) continue;
            fp++;
            if (confounder[i] >= 0.5) fpWith++;
        }
        return fp == 0 ? double.NaN : (double)fpWith / fp;
    }

    private static TrialRecord Record(int n, string move, string change, bool kept, double objective) =>
        new(n, move, change, "", null, TrialStatus.Succeeded, objective, kept, null, null, DateTimeOffset.UtcNow);

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;

    private static ValidationMetrics AucScorer(int[] labels, double[][] probs)
    {
        double auc = BinaryMetrics.Auc(labels, probs.Select(p => p[1]).ToArray());
        return new ValidationMetrics(auc, "auc", auc, double.NaN, double.NaN, double.NaN, double.NaN, 0.5);
    }

    private static ImageSet ToSet(Dataset ds, IReadOnlyList<DataItem> items, int size, int channels)
    {
        var (pixels, labels) = TensorLoader.Load(ds, items, size, channels);
        return new ImageSet(pixels, labels, channels, size, items.Select(i => i.Id).ToList());
    }

    private static ImageSet Relabel(ImageSet set, int[] labels) => set with { Labels = labels };
}
