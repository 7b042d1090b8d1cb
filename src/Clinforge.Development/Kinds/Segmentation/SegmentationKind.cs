using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;
using Clinforge.Intent;
using Clinforge.Reporting;

namespace Clinforge.Development;

/// <summary>
/// Segmentation: a label for every pixel, from image/mask pairs (binary masks or label maps, with an
/// optional region of interest). Its plan (<see cref="SegmentationInitializer"/>), playbook
/// (<see cref="SegmentationPlaybook"/>), acceptance beyond validation resampling noise
/// (<see cref="SegmentationAcceptance"/>), the one test look (<see cref="SegmentationFinalEvaluator"/>),
/// its report (<see cref="SegmentationReport"/>) and package.
/// </summary>
public sealed class SegmentationKind : ITaskKind
{
    /// <summary>
    /// Share of a segmentation dataset kept for development training. Each image holds hundreds of
    /// thousands of labelled pixels, so a small set (DRIVE's 20) still trains, while more test images
    /// narrow the intervals that matter: 60% train, 15% validation, 25% test. Data that come in
    /// train/val/test folders keep that split; these shares then only size a split they lack.
    /// </summary>
    public const double TrainFraction = 0.60;

    /// <summary>Share kept for validation.</summary>
    public const double ValFraction = 0.15;

    /// <inheritdoc />
    public string Name => "segmentation";

    /// <inheritdoc />
    public bool Reads(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.Segmentation is not null;
    }

    /// <inheritdoc />
    public bool Develops(TaskSpec spec, DataCard card)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        return card.Segmentation is not null;
    }

    /// <inheritdoc />
    public IProposer Playbook { get; } = new SegmentationPlaybook();

    /// <summary>Splits and inspects, then parses the request against the masks' labels.</summary>
    public PreparedRun Prepare(string request, Dataset dataset, RunSettings settings, Func<TaskSpec, TaskSpec>? review, IWorkflowView view, IModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(settings);
        var masks = dataset.Segmentation!;
        var splits = Splitter.Split(dataset, settings.Seed, TrainFraction, ValFraction);
        var card = Inspector.Inspect(dataset, splits, settings.Seed);
        var spec = SegmentationIntent.Parse(IntentParsers.FromEnvironment(say: Console.Error.WriteLine), request, masks.Summary.Labels.Select(l => l.Name).ToList());
        if (review is not null) spec = review(spec);
        return new PreparedRun(spec, splits, card);
    }

    /// <inheritdoc />
    public Recipe Plan(TaskSpec spec, DataCard card, int seed, string start) => SegmentationInitializer.Plan(spec, card, seed, start);

    /// <summary>Validation has few images: a change is kept only when it beats the best beyond their resampling noise.</summary>
    public (IProposer Proposer, IAcceptance? Acceptance) Develop(RunContext context, Recipe initial, IProposer proposer)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (proposer, new SegmentationAcceptance(Objective.From(context.Spec), context.Run, context.Seed));
    }

    /// <inheritdoc />
    public int Finish(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (run, journal, view) = (context.Run, context.Journal, context.View);
        var evaluation = TestLook.Once(context, run.SegmentationEvaluation, (dataset, interrupted) => SegmentationFinalEvaluator.Evaluate(run, journal, context.Runtime.Segmenter, context.Spec, dataset, context.Seed, interrupted));
        foreach (var line in SegmentationReport.Table(evaluation)) view.Line(line);
        view.Path("Report", SegmentationReport.Write(run, journal.Trials(), TestLook.Looks(journal), context.Spec, context.Card, evaluation));
        view.Path("Package", WritePackage(run, context.Spec, context.Card, evaluation, context.Runtime.Exporter));
        return 0;
    }

    /// <inheritdoc />
    public string WriteReport(RunPaths run, Journal journal)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(journal);
        if (!File.Exists(run.SegmentationEvaluation))
            throw new ClinforgeException($"{run.Root}: the test split of this segmentation run has not been evaluated yet; finish it with 'clinforge resume'.");
        return SegmentationReport.Write(run, journal.Trials(), TestLook.Looks(journal), Json.Read<TaskSpec>(run.TaskSpec), Json.Read<DataCard>(run.DataCard), Json.Read<SegmentationEvaluation>(run.SegmentationEvaluation));
    }

    /// <summary>package/: the final trial's weights, recipe and preprocessing, its ONNX export, the spec, the model card and the manifest with the labels' mask values and the test metrics.</summary>
    private static string WritePackage(RunPaths run, TaskSpec spec, DataCard card, SegmentationEvaluation e, IModelExporter exporter)
    {
        var package = run.Package;
        Directory.CreateDirectory(package.Root);
        var trial = run.Trial(e.Final.Trial);
        File.Copy(trial.Model, package.Model, overwrite: true);
        File.Copy(trial.Recipe, package.Recipe, overwrite: true);
        File.Copy(trial.Preprocessing, package.Preprocessing, overwrite: true);
        Json.Write(package.TaskSpec, spec);
        if (File.Exists(run.ModelCard)) File.Copy(run.ModelCard, package.ModelCard, overwrite: true);
        var recipe = Json.Read<Recipe>(trial.Recipe);
        var values = card.Segmentation?.Labels.Select(l => l.Value).ToList() ?? [255];
        var metrics = SegmentationMetrics.Named(e.Labels, e.Final.Labels);
        OnnxModelInfo? onnx = null;
        string? unavailable = null;
        try { onnx = exporter.Export(trial, package.Root); }
        catch (ClinforgeException ex) { unavailable = ex.Message; }
        Json.Write(package.SegmentationManifest, new SegmentationPackageManifest(run.Root, e.Final.Trial, e.Labels, values, recipe.Input.Size, spec.PrimaryMetric, DateTimeOffset.UtcNow, metrics)
        {
            Onnx = onnx,
            OnnxUnavailable = unavailable,
            SliceAxis = card.Segmentation?.SliceAxis,
        });
        return package.Root;
    }
}
