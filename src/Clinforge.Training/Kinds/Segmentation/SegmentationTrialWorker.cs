using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>One validation image's objective in a segmentation trial's kept epoch (val_scores.json).</summary>
/// <param name="Id">The image.</param>
/// <param name="Objective">Its objective (Dice or sensitivity).</param>
public sealed record ValImageScore(string Id, double Objective);

/// <summary>
/// The body of <c>clinforge trial</c> for segmentation specs (the same child process and run-folder
/// contract as <see cref="TrialWorker"/>): reads the recipe and development splits, letterboxes images
/// and masks once, trains under the deadline, writes metrics.json, val_scores.json and log.txt. Never
/// sees the test split.
/// </summary>
public static class SegmentationTrialWorker
{
    /// <summary>Runs the trial; returns its metrics (also written to metrics.json).</summary>
    public static TrialMetrics Run(RunPaths run, int number, IReadOnlyList<DataItem> train, IReadOnlyList<DataItem> val,
        SegmentationScorer scorer, DateTime deadlineUtc, int threads, Action<string> stdout)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(stdout);
        using var start = TrialStart.Open(run, number, threads);
        var (paths, recipe, card) = (start.Paths, start.Recipe, start.Card);
        void Log(string line) => start.Log(line);
        var seg = recipe.Segmentation ?? new SegmentationRecipe();
        Log(string.Create(CultureInfo.InvariantCulture,
            $"trial {number}: {recipe.Model.Name} w{recipe.Model.Width} d{recipe.Model.Depth}, {recipe.Input.Size}px letterbox, patches {seg.PatchSize}px, loss {seg.Loss}, lr {recipe.Optimizer.LearningRate:G3}, batch {recipe.BatchSize}, contrast {seg.Contrast}, flips at inference {seg.FlipInference}, min component {seg.MinComponentPixels}px, threads {get_num_threads()}, seed {recipe.Seed}"));
        var ds = DatasetReader.Open(card.Source);
        if (seg.ReuseWeightsOf is { } parent) return Revalidate(paths, run.Trial(parent), recipe, ds, val, scorer, Log);
        var trainSet = SegmentationSet.Load(ds, train, recipe.Input, seg.Contrast);
        var valSet = SegmentationSet.Load(ds, val, recipe.Input, seg.Contrast);
        Log($"loaded {trainSet.Count} training and {valSet.Count} validation images with their masks at {recipe.Input.Size}px");
        var outcome = new SegmentationTrainer(Log).Train(recipe, trainSet, valSet, scorer, deadlineUtc, paths, p =>
            stdout(TrialProtocol.ProgressLine(p.Epoch, p.PlannedEpochs, p.Fraction, p.BestObjective)));
        if (outcome.BestValPerImage.Count == valSet.Count)
            Json.Write(paths.ValScores, valSet.Ids.Select((id, i) => new ValImageScore(id, outcome.BestValPerImage[i])).ToList());
        var final = outcome.Metrics with { Convolutions = ConvolutionCheck.Current.Describe() };
        Json.Write(paths.Metrics, final);
        Log($"finished: {final.Status}, best epoch {final.BestEpoch}, objective {final.Best?.Objective:F4}, {final.ImagesPerSecond:F1} patches/s");
        return final;
    }

    /// <summary>
    /// An inference-only trial: the parent trial's weights and preprocessing, validated once with this
    /// trial's inference settings (flips, small-piece removal). The metrics keep the parent's curve and
    /// epoch, so the trial reads as "the same network, applied differently".
    /// </summary>
    private static TrialMetrics Revalidate(TrialPaths paths, TrialPaths parent, Recipe recipe, Dataset ds, IReadOnlyList<DataItem> val,
        SegmentationScorer scorer, Action<string> log)
    {
        if (!File.Exists(parent.Model) || !File.Exists(parent.Metrics))
            throw new ClinforgeException($"{parent.Root}: the trial whose weights this inference-only change reuses has no model; it cannot be validated.");
        File.Copy(parent.Model, paths.Model, overwrite: true);
        File.Copy(parent.Preprocessing, paths.Preprocessing, overwrite: true);
        var seg = recipe.Segmentation!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (model, pre, _) = SegmentationPredictor.Load(paths.Recipe, paths.Preprocessing, paths.Model);
        var valSet = SegmentationSet.Load(ds, val, recipe.Input, seg.Contrast);
        (ValidationMetrics Metrics, IReadOnlyList<double> PerImage) scored;
        using (model)
        using (var x = valSet.PixelTensor())
        {
            var (_, maps) = SegmentationPredictor.Predict(model, x, pre, seg, NativeRuntime.PreferredDevice(), null);
            scored = scorer(Enumerable.Range(0, valSet.Count).Select(valSet.LabelsOf).ToList(), maps, Enumerable.Range(0, valSet.Count).Select(valSet.RegionOf).ToList(), valSet.Size);
        }
        Json.Write(paths.ValScores, valSet.Ids.Select((id, i) => new ValImageScore(id, scored.PerImage[i])).ToList());
        var before = Json.Read<TrialMetrics>(parent.Metrics);
        var metrics = before with { Best = scored.Metrics, Convolutions = ConvolutionCheck.Current.Describe(), TrainSeconds = 0 };
        Json.Write(paths.Metrics, metrics);
        log(string.Create(CultureInfo.InvariantCulture,
            $"inference-only change: trial {Path.GetFileName(parent.Root)}'s weights validated with flips {seg.FlipInference}, min component {seg.MinComponentPixels}px in {clock.Elapsed.TotalSeconds:F1}s: val_{scored.Metrics.ObjectiveName} {scored.Metrics.Objective:F4} (the parent had {before.Best?.Objective:F4})"));
        return metrics;
    }

    /// <summary>Label maps of a trial's saved model on <paramref name="items"/>, on each image's own pixels.</summary>
    public static List<byte[]> Predict(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var (model, pre, recipe) = SegmentationPredictor.Load(trial.Recipe, trial.Preprocessing, trial.Model);
        using (model)
            return SegmentationPredictor.PredictImages(model, pre, recipe, dataset, items, NativeRuntime.PreferredDevice());
    }
}
