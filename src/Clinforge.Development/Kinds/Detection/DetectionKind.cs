using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Intent;
using Clinforge.Reporting;

namespace Clinforge.Development;

/// <summary>
/// Detection: boxes around findings, from box labels (YOLO, COCO) with image-level positives where no
/// box was drawn. Its plan (<see cref="DetectionInitializer"/>), playbook (<see cref="DetectionPlaybook"/>),
/// acceptance beyond validation resampling noise (<see cref="DetectionAcceptance"/>), the one test look
/// (<see cref="DetectionFinalEvaluator"/>), its report (<see cref="DetectionReport"/>) and package.
/// </summary>
public sealed class DetectionKind : ITaskKind
{
    /// <inheritdoc />
    public string Name => "detection";

    /// <inheritdoc />
    public bool Reads(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.Detection is not null;
    }

    /// <inheritdoc />
    public bool Develops(TaskSpec spec, DataCard card)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        return spec.Task == TaskKind.Detection && card.Detection is not null;
    }

    /// <inheritdoc />
    public IProposer Playbook { get; } = new DetectionPlaybook();

    /// <summary>Splits and inspects first (the card's supervision structure shapes the spec), then parses the request against the detection data.</summary>
    public PreparedRun Prepare(string request, Dataset dataset, RunSettings settings, Func<TaskSpec, TaskSpec>? review, IWorkflowView view, IModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(settings);
        var splits = Splitter.Split(dataset, settings.Seed);
        var card = Inspector.Inspect(dataset, splits, settings.Seed);
        var spec = DetectionIntent.Parse(IntentParsers.FromEnvironment(say: Console.Error.WriteLine), request, card.Detection!);
        if (review is not null) spec = review(spec);
        if (spec.ClassHandling == SpecAnswers.PerSourceClassRequested)
            Console.Error.WriteLine(card.Detection!.SourceClasses.Count > 1
                ? $"Classes: you asked to keep the data's classes apart, so the detector learns {card.Detection.SourceClasses.Count} classes ({string.Join(", ", card.Detection.SourceClasses)}): each box gets a class, and the test results are reported per class with mAP the mean over classes."
                : $"Classes: you asked to keep the data's classes apart, but the data names only one ({string.Join(", ", card.Detection.SourceClasses)}): every box is one '{spec.Classes[0]}'.");
        return new PreparedRun(spec, splits, card);
    }

    /// <inheritdoc />
    public Recipe Plan(TaskSpec spec, DataCard card, int seed, string start) => DetectionInitializer.Plan(spec, card, seed, start);

    /// <summary>Detection objectives on a few hundred validation images are noisy: a change is kept only when it beats the best beyond validation resampling noise.</summary>
    public (IProposer Proposer, IAcceptance? Acceptance) Develop(RunContext context, Recipe initial, IProposer proposer)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(initial);
        var boxes = DatasetReader.Open(context.Card.Source).Detection!;
        return (proposer, new DetectionAcceptance(Objective.From(context.Spec), context.Run, boxes.LabelsFor(initial.Detection?.Classes ?? []), context.Seed));
    }

    /// <inheritdoc />
    public int Finish(RunContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (run, journal, view) = (context.Run, context.Journal, context.View);
        var evaluation = TestLook.Once(context, run.DetectionEvaluation, (dataset, interrupted) => DetectionFinalEvaluator.Evaluate(run, journal, context.Runtime.Detector, context.Spec, dataset, context.Seed, interrupted));
        foreach (var line in DetectionReport.Table(evaluation)) view.Line(line);
        view.Path("Report", DetectionReport.Write(run, journal.Trials(), TestLook.Looks(journal), context.Spec, context.Card, evaluation));
        view.Path("Package", WritePackage(run, context.Spec, evaluation));
        return 0;
    }

    /// <inheritdoc />
    public string WriteReport(RunPaths run, Journal journal)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(journal);
        if (!File.Exists(run.DetectionEvaluation))
            throw new ClinforgeException($"{run.Root}: the test split of this detection run has not been evaluated yet; finish it with 'clinforge resume'.");
        return DetectionReport.Write(run, journal.Trials(), TestLook.Looks(journal), Json.Read<TaskSpec>(run.TaskSpec), Json.Read<DataCard>(run.DataCard), Json.Read<DetectionEvaluation>(run.DetectionEvaluation));
    }

    /// <summary>package/: the final trial's weights, recipe and preprocessing, the spec, the model card and the manifest with the validation-chosen thresholds.</summary>
    private static string WritePackage(RunPaths run, TaskSpec spec, DetectionEvaluation e)
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
        Json.Write(package.DetectionManifest, new DetectionPackageManifest(run.Root, e.Final.Trial, e.Final.Threshold, spec.Classes[0], recipe.Input.Size,
            spec.PrimaryMetric, DateTimeOffset.UtcNow, e.Final.Metrics) { Classes = recipe.Detection?.Classes ?? [], ClassThresholds = e.Final.ClassThresholds });
        return package.Root;
    }
}
