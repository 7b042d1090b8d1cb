using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// The body of <c>clinforge trial</c> for detection specs (the same child process and run-folder
/// contract as <see cref="TrialWorker"/>): reads the recipe and development splits, letterboxes the
/// images once, trains under the deadline, writes metrics.json, val_detections.json and log.txt.
/// Never sees the test split.
/// </summary>
public static class DetectionTrialWorker
{
    /// <summary>File name of a trial's best validation detections.</summary>
    public const string ValDetectionsFile = ImageBoxes.ValidationFile;

    /// <summary>Runs the trial; returns its metrics (also written to metrics.json).</summary>
    public static TrialMetrics Run(RunPaths run, int number, IReadOnlyList<DataItem> train, IReadOnlyList<DataItem> val,
        DetectionScorer scorer, DateTime deadlineUtc, int threads, Action<string> stdout)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(stdout);
        using var start = TrialStart.Open(run, number, threads);
        var (paths, recipe, card) = (start.Paths, start.Recipe, start.Card);
        void Log(string line) => start.Log(line);
        var det = recipe.Detection ?? new DetectionRecipe();
        Log($"trial {number}: {recipe.Model.Name} w{recipe.Model.Width} d{recipe.Model.Depth}, {recipe.Input.Size}px letterbox, focal α {det.FocalAlpha:G2} γ {det.FocalGamma:G2}, centre radius {det.CenterRadius:G2}, lr {recipe.Optimizer.LearningRate:G3}, mixed supervision {det.MixedSupervision}, threads {get_num_threads()}, seed {recipe.Seed}");
        var ds = DatasetReader.Open(card.Source);
        var trainSet = DetectionSet.Load(ds, train, recipe.Input, det.Classes);
        var valSet = DetectionSet.Load(ds, val, recipe.Input, det.Classes);
        if (det.MultiClass) Log($"classes kept apart ({det.Classes.Count}): {string.Join(", ", det.Classes)}");
        Log($"loaded {trainSet.Count} training and {valSet.Count} validation images at {recipe.Input.Size}px");
        var outcome = new DetectionTrainer(Log).Train(recipe, trainSet, valSet, scorer, deadlineUtc, paths, p =>
            stdout(TrialProtocol.ProgressLine(p.Epoch, p.PlannedEpochs, p.Fraction, p.BestObjective)));
        var valIds = Enumerable.Range(0, valSet.Count).Where(i => valSet.Labels[i].HasBoxes).Select(i => valSet.Ids[i]).ToList();
        if (outcome.BestValDetections.Count == valIds.Count)
            Json.Write(Path.Combine(paths.Root, ValDetectionsFile), JudgedDetections(valIds, outcome.BestValDetections, outcome.Judged));
        var final = outcome.Metrics with { Convolutions = ConvolutionCheck.Current.Describe() };
        Json.Write(paths.Metrics, final);
        string judged = final.Judging is { } j ? $" judged on {j.JudgedImages} of {j.ValidationImages} validation images{(j.Fallback is null ? "" : " (not halved)")}" : "";
        Log($"finished: {final.Status}, best epoch {final.BestEpoch}, objective {final.Best?.Objective:F4}{judged}, {final.ImagesPerSecond:F1} images/s");
        return final;
    }

    /// <summary>
    /// The rows of val_detections.json: the kept epoch's detections on the judging half only
    /// (<paramref name="judged"/>, positions in <paramref name="ids"/>; all when empty), so the paired
    /// bootstrap of acceptance resamples the images the reported objective was measured on and none that
    /// chose the epoch or the threshold.
    /// </summary>
    public static List<ImageBoxes> JudgedDetections(IReadOnlyList<string> ids, IReadOnlyList<IReadOnlyList<BoundingBox>> detections, IReadOnlyList<int> judged)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(judged);
        var positions = judged.Count > 0 ? judged : Enumerable.Range(0, ids.Count).ToList();
        return positions.Select(i => new ImageBoxes(ids[i], detections[i])).ToList();
    }

    /// <summary>
    /// Detections of a trial's saved model (its recipe, preprocessing and weights) on <paramref name="items"/>;
    /// each box's class indexes the recipe's <see cref="DetectionRecipe.Classes"/> (0 for one class).
    /// </summary>
    public static List<BoundingBox>[] Predict(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var recipe = Json.Read<Recipe>(trial.Recipe);
        var pre = Json.Read<Preprocessing>(trial.Preprocessing);
        var det = recipe.Detection ?? new DetectionRecipe();
        using var model = ModelRegistry.Create(recipe.Model, pre.Channels, det.ClassCount);
        model.load(trial.Model);
        var device = NativeRuntime.PreferredDevice();
        model.to(device);
        var (pixels, frames) = Letterbox.Load(dataset, items, recipe.Input.Size, recipe.Input.Channels);
        var set = new DetectionSet(pixels, frames, items.Select(_ => DetectionLabel.Negative).ToArray(), recipe.Input.Channels, recipe.Input.Size, items.Select(i => i.Id).ToArray());
        using var x = DetectionTrainer.ToTensor(set, pre);
        return DetectionTrainer.Predict(model, x, frames, det, device, null).Detections;
    }
}
