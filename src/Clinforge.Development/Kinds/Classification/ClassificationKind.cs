using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;
using Clinforge.Intent;
using Clinforge.Reporting;

namespace Clinforge.Development;

/// <summary>
/// Classification: one label per image. Its plan (<see cref="ClassificationInitializer"/>), playbook
/// (<see cref="ClassificationPlaybook"/>), paired acceptance on the same images or folds, and the one
/// test look with operating points, examples, subgroups and the confound check. Debiasing against a
/// named confounder is an extension of this kind: its moves go first and the shortcut rule judges.
/// </summary>
public sealed class ClassificationKind : ITaskKind
{
    /// <inheritdoc />
    public string Name => "classification";

    /// <inheritdoc />
    public bool Reads(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        // Image/mask pairs are not labelled images: their masks would be thrown away.
        return dataset.Segmentation is null;
    }

    /// <inheritdoc />
    public bool Develops(TaskSpec spec, DataCard card) => true;

    /// <inheritdoc />
    public IProposer Playbook { get; } = new ClassificationPlaybook();

    /// <inheritdoc />
    public PreparedRun Prepare(string request, Dataset dataset, RunSettings settings, Func<TaskSpec, TaskSpec>? review, IWorkflowView view, IModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(view);
        var spec = IntentParsers.FromEnvironment(say: Console.Error.WriteLine).Parse(request, dataset.Classes, Workflow.ParserContext(dataset));
        if (review is not null) spec = review(spec);
        // A classifier cannot outline: training one for a request for outlines would answer another question.
        if (spec.Task == TaskKind.Segmentation)
            throw new ClinforgeException($"{dataset.Source}: the request asks for outlines (segmentation, from \"{spec.Provenance.GetValueOrDefault("task", "the request")}\"), but this dataset holds image labels ({string.Join(", ", dataset.Classes.Take(5))}{(dataset.Classes.Count > 5 ? ", …" : "")}), not masks. " +
                "To train a segmenter, give a folder with images/ and masks/ (one mask per image, 0 for background); to classify the images, ask which class each image shows. Nothing was written.", 2);
        // Merged classes ("nevus" = common + atypical) are labels from here on; the pixels stay where they are.
        if (spec.ClassGroups.Count > 0) dataset = dataset.Grouped(spec.ClassGroups);
        else if (spec.Classes.Order(StringComparer.Ordinal).SequenceEqual(dataset.Classes.Order(StringComparer.Ordinal)))
            spec = spec with { Classes = dataset.Classes.ToList() }; // the data's label order, also after an ungrouping answer
        var splits = Splitter.Split(dataset, settings.Seed);
        // Hold-out or folds, chosen from the data before any training (the card says why).
        (splits, var protocol) = ProtocolRule.Choose(splits, dataset.Classes, spec, settings.Protocol, settings.TrialSeconds);
        var card = Inspector.Inspect(dataset, splits, settings.Seed) with { Protocol = protocol };
        // Debiasing: per-image confounder labels for the trial processes, written once the run folder exists.
        if (ShortcutSetup.ReadColumn(spec, dataset, settings.Data) is not { } confounder) return new PreparedRun(spec, splits, card);
        return new PreparedRun(spec, splits, card)
        {
            Complete = (run, journal) => ShortcutSetup.WriteLabels(run, journal, spec, card, splits, DatasetReader.Open(card.Source), confounder.Column, confounder.Values,
                settings.Seed, settings.Threads, runtime, view),
        };
    }

    /// <inheritdoc />
    public Recipe Plan(TaskSpec spec, DataCard card, int seed, string start) => ClassificationInitializer.Plan(spec, card, seed, start);

    /// <inheritdoc />
    public (IProposer Proposer, IAcceptance? Acceptance) Develop(RunContext context, Recipe initial, IProposer proposer)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (run, spec, card) = (context.Run, context.Spec, context.Card);
        if (spec.Confounders.Count > 0 && File.Exists(run.ConfounderLabels))
        {
            // The spec names a confounder and every image has a label: debiasing moves first, judged by the shortcut rule.
            context.View.Line($"'{spec.Confounders[0].Name}': debiasing moves first; a change is kept by the shortcut rule (primary metric and reliance on the confounder).", Tone.Heading, "Confounder");
            return (new ChainProposer(new ShortcutPlaybook(), proposer), new ShortcutAcceptanceRule(Objective.From(spec), ShortcutPolicy.From(spec)));
        }
        // A change is kept only when it beats the best on the same images beyond resampling noise (and, on folds, the out-of-fold predictions of the whole pool).
        return (proposer, spec.Task == TaskKind.Classification ? new PairedAcceptance(Objective.From(spec), run, spec.ReportedClassIndex(card.Classes), context.Seed) : null);
    }

    /// <inheritdoc />
    public int Finish(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (run, journal, spec, card, view) = (context.Run, context.Journal, context.Spec, context.Card, context.View);
        if (File.Exists(run.Evaluation))
        {
            view.Line("The test split was already evaluated for this run; not looking again.", Tone.Warning);
        }
        else
        {
            // An operating point the validation predictions leave open (conflicting floors, or a margin
            // for new patients that costs most of the specificity) is settled before the test look; with
            // --trade-off later the run stops here until the clinician chooses (resume --trade-off KEY).
            if (context.Settings.TradeOff == "later" && TradeOffs.Undecided(run, journal, spec, card) is { } pending)
            {
                Json.Write(run.TradeOffOptions, pending.Options);
                journal.Event("question", $"{pending.Question} The run is waiting for the clinician to choose an operating point: " +
                    string.Join("; ", pending.Options.Select(o => $"[{o.Key}] {o.Description}")), payload: Json.Serialize(pending.Options));
                view.Line($"{pending.Question} Options in {run.TradeOffOptions}; continue with 'clinforge resume RUN --trade-off KEY'.", Tone.Warning, "trade-off");
                return 0;
            }
            var ask = context.Settings.TradeOff is { } key && key != "later" ? TradeOffs.Choose(key) : context.AskTradeOff;
            if (TradeOffs.Negotiate(run, journal, spec, card, ask) is { } decision)
                view.Line(decision.Reason, Tone.Warning, $"trade-off ({decision.ChosenBy})");
            var dataset = DatasetReader.Open(card.Source);
            // A look journaled without evaluation.json was interrupted: it is finished (from its saved predictions), still one look.
            var evaluation = FinalEvaluator.Evaluate(run, journal, context.Runtime.Scorer(dataset), spec, card, context.Seed, interrupted: journal.TestLookCount > 0);
            WriteExamples(context, dataset, evaluation);
            WriteSubgroups(context, dataset, evaluation);
            WriteConfound(context, dataset, evaluation);
            view.Evaluation(evaluation);
        }
        // Model package for `clinforge predict`, with model.onnx; written before the report so the model card can describe it.
        var package = ModelPackage.Write(run, Json.Read<FinalEvaluation>(run.Evaluation), DateTimeOffset.UtcNow, context.Runtime.Exporter);
        view.Path("Report", WriteReport(run, journal));
        view.Path("Package", package);
        if (ModelPackage.ReadManifest(package).OnnxUnavailable is { } noOnnx) view.Line(noOnnx, Tone.Warning, "no model.onnx");
        return 0;
    }

    /// <inheritdoc />
    public string WriteReport(RunPaths run, Journal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return RunReport.WriteAll(RunReport.Load(run, journal.Trials(), TestLook.Looks(journal), journal.Decisions()));
    }

    /// <summary>
    /// Part of the one test look: saves the most confident true/false positives/negatives of the final
    /// model (binary tasks) as PNGs under report/examples, so the report can show them without ever
    /// reading test pixels again.
    /// </summary>
    private static void WriteExamples(RunContext context, Dataset dataset, FinalEvaluation evaluation, int perKind = 4)
    {
        var (run, card) = (context.Run, context.Card);
        if (card.Classes.Count != 2 || double.IsNaN(evaluation.Final.Threshold)) return;
        int positive = card.Classes.ToList().IndexOf(evaluation.PositiveClass);
        if (positive < 0) return;
        var test = PredictionTable.Read(run.TestPredictions);
        var picks = Examples.Select(test.Labels.Select(l => l == positive ? 1 : 0).ToArray(), test.Probabilities.Select(p => p[positive]).ToArray(),
            evaluation.Final.Threshold, perKind);
        Directory.CreateDirectory(run.ExamplesDir);
        var items = picks.Select(p => new DataItem(test.Ids[p.Index], test.Labels[p.Index])).ToList();
        var (maps, mapSize) = Saliency(context, run.Trial(evaluation.Final.Trial), dataset, items, positive);
        var list = new List<ExampleImage>();
        for (int k = 0; k < picks.Count; k++)
        {
            var (kind, i) = picks[k];
            var stem = $"{kind.Replace(' ', '_')}_{list.Count(e => e.Kind == kind) + 1}";
            var image = dataset.Load(items[k]);
            AtomicFile.WriteAllBytes(Path.Combine(run.ExamplesDir, stem + ".png"), ImageExport.ToPng(image, 128));
            string? cam = null;
            if (maps is not null)
            {
                cam = stem + "_gradcam.png";
                AtomicFile.WriteAllBytes(Path.Combine(run.ExamplesDir, cam), ImageExport.ToPng(SaliencyOverlay.Render(image, maps[k], mapSize, 128), 128));
            }
            list.Add(new ExampleImage(kind, test.Ids[i], card.Classes[test.Labels[i]], test.Probabilities[i][positive], stem + ".png", cam));
        }
        Json.Write(run.Examples, list);
    }

    /// <summary>Subgroup tables from the saved test predictions and the data's metadata columns (none without metadata).</summary>
    private static void WriteSubgroups(RunContext context, Dataset dataset, FinalEvaluation evaluation)
    {
        var run = context.Run;
        int positive = context.Card.Classes.ToList().IndexOf(evaluation.PositiveClass);
        var tables = SubgroupAnalysis.Compute(PredictionTable.Read(run.TestPredictions), dataset.Metadata, positive, evaluation.Final.Threshold, context.Seed);
        if (tables.Count == 0) return;
        Json.Write(run.Subgroups, tables);
        context.View.Line($"{string.Join(", ", tables.Select(t => t.Column))} ({run.Subgroups})", label: "Subgroups");
    }

    /// <summary>The named confounder's check when a metadata column records it (final/confound.json).</summary>
    private static void WriteConfound(RunContext context, Dataset dataset, FinalEvaluation evaluation)
    {
        var (run, spec, card, seed) = (context.Run, context.Spec, context.Card, context.Seed);
        if (spec.Confounders.Count == 0) return;
        int positive = card.Classes.ToList().IndexOf(evaluation.PositiveClass);
        var final = PredictionTable.Read(run.TestPredictions);
        var initialPath = run.InitialTestPredictions;
        var initial = File.Exists(initialPath) ? PredictionTable.Read(initialPath) : final;
        var report = ConfoundCheck.Run(spec, Json.Read<Splits>(run.Splits), ConfounderValues(context, dataset), positive, initial, evaluation.Initial.Trial, evaluation.Initial.Threshold, final, evaluation.Final.Trial, evaluation.Final.Threshold, seed);
        if (report is null)
        {
            context.View.Line($"no column of the data records {string.Join(", ", spec.Confounders.Select(c => c.Name))}; the confound analysis needs one (or annotations for an auxiliary classifier).", Tone.Warning, "confounder");
            return;
        }
        // A debiasing run adds baseline vs refined with CIs, the labelling and a verdict.
        if (ShortcutSetup.Summarize(run, report, initial, evaluation.Initial.Trial, final, evaluation.Final.Trial, positive, card.Source, seed) is { } shortcut)
            report = report with { Shortcut = shortcut };
        Json.Write(run.Confound, report);
        context.View.Line($"Confounder '{report.Confounder}' (column {report.Column}): {run.Confound}");
    }

    /// <summary>
    /// The confounder value per image for the check: for a debiasing run, its labels (the column where
    /// annotated, the auxiliary classifier's probability elsewhere, test images included at this look),
    /// else the data's metadata.
    /// </summary>
    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfounderValues(RunContext context, Dataset dataset)
    {
        if (ShortcutSetup.AllLabels(context.Run, dataset, context.Spec, Json.Read<Splits>(context.Run.Splits), context.Runtime) is not { } found) return dataset.Metadata;
        var (column, labels) = found;
        return labels.ToDictionary(p => p.Key,
            p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { [column] = p.Value.Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture) },
            StringComparer.Ordinal);
    }

    /// <summary>Grad-CAM maps for the examples, or none (with a note) when the model has no convolutional feature map.</summary>
    private static (float[][]? Maps, int Size) Saliency(RunContext context, TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items, int positive)
    {
        try { return context.Runtime.Saliency(trial, dataset, items, positive); }
        catch (ClinforgeException e)
        {
            context.View.Line(e.Message, Tone.Warning, "saliency");
            return (null, 0);
        }
    }
}
