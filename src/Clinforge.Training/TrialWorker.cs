using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// Everything one trial process does (the body of <c>clinforge trial</c>): read the recipe and the
/// development splits from the run folder, load the images once, train under the deadline, write
/// metrics.json, val_predictions.csv and log.txt. Never sees the test split.
/// </summary>
public static class TrialWorker
{
    /// <summary>
    /// Runs the trial; returns its metrics (also written to metrics.json). With <paramref name="folds"/>
    /// (ids of the development pool, train and val together, per fold) the trial is cross-validated
    /// (<see cref="CrossValidationPlan"/>) and val_predictions.csv holds the pooled out-of-fold predictions;
    /// <paramref name="foldLauncher"/> lets folds train side by side in child processes.
    /// <paramref name="preparationAllowance"/> is how much later than <paramref name="deadlineUtc"/> a trial
    /// on one split may finish when it computes frozen-stage outputs for the run (<see cref="Trainer.PreparationAllowance"/>);
    /// each extension is printed as <c>@prepared SECONDS</c> for the executor. Folds share their deadline and get none.
    /// </summary>
    public static TrialMetrics Run(RunPaths run, int number, IReadOnlyList<DataItem> train, IReadOnlyList<DataItem> val,
        ValidationScorer scorer, DateTime deadlineUtc, int threads, Action<string> stdout, IReadOnlyList<IReadOnlyList<string>>? folds = null,
        IFoldLauncher? foldLauncher = null, TimeSpan preparationAllowance = default)
    {
        using var start = TrialStart.Open(run, number, threads);
        var (paths, recipe, card) = (start.Paths, start.Recipe, start.Card);
        void Log(string line) => start.Log(line);
        Log($"trial {number}: {recipe.Model.Name} w{recipe.Model.Width} d{recipe.Model.Depth}, {recipe.Input.Size}px, {recipe.Loss.Name}, {recipe.Optimizer.Name} lr {recipe.Optimizer.LearningRate:G3}, threads {get_num_threads()}, seed {recipe.Seed}");

        var ds = DatasetReader.Open(card.Source);
        // Decoded once per run and resolution into cache/ (memory-mapped, shared by the run's trials).
        var cache = run.Cache;
        var loadClock = System.Diagnostics.Stopwatch.StartNew();
        void Progress(TrainProgress p) => stdout(TrialProtocol.ProgressLine(p.Epoch, p.PlannedEpochs, p.Fraction, p.BestObjective));
        // Frozen-stage outputs of a pretrained model are shared by the run's trials (FrozenCache).
        bool onFolds = folds is not null && recipe.Debias is null;
        var trainer = new Trainer(Log)
        {
            CacheFolder = cache,
            PreparationAllowance = onFolds ? TimeSpan.Zero : preparationAllowance,
            Prepared = extra => stdout(TrialProtocol.PreparedLine(extra)),
        };
        if (folds is not null && onFolds)
        {
            List<DataItem> pool = [.. train, .. val];
            var foldOf = FoldOf(pool, folds);
            var poolSet = ImageSets.Load(ds, pool, recipe.Input, cache);
            using var poolPixels = poolSet.Pixels;
            Log(string.Create(CultureInfo.InvariantCulture,
                $"loaded the {poolSet.Count} development images at {recipe.Input.Size}px in {loadClock.Elapsed.TotalSeconds:F1}s for {folds.Count}-fold cross-validation"));
            var (pooled, foldsTrained) = CrossValidationPlan.Train(trainer, recipe, poolSet, foldOf, card.Classes, scorer, deadlineUtc, paths, Progress, Log,
                foldLauncher, threads > 0 ? threads : Environment.ProcessorCount);
            var finished = Finish(paths, recipe, card, poolSet, pooled, foldsTrained, Log);
            if (finished.Status == TrialStatus.Succeeded) CrossValidationPlan.RemoveFoldModels(paths, folds.Count, Log);
            return finished;
        }
        var trainSet = ImageSets.Load(ds, train, recipe.Input, cache);
        var valSet = ImageSets.Load(ds, val, recipe.Input, cache);
        using var trainPixels = trainSet.Pixels;
        using var valPixels = valSet.Pixels;
        Log(string.Create(CultureInfo.InvariantCulture,
            $"loaded {trainSet.Count} training and {valSet.Count} validation images at {recipe.Input.Size}px in {loadClock.Elapsed.TotalSeconds:F1}s ({(trainSet.Count + valSet.Count) * trainSet.Pixels.BytesPerImage >> 20} MB of bytes, memory-mapped from {cache})"));

        if (recipe.Debias is not null)
            return RunDebias(run, paths, recipe, card, trainSet, valSet, scorer, deadlineUtc, Log);

        var (outcome, trained) = TrialPlans.Train(trainer, recipe, trainSet, valSet, card.Classes, scorer, deadlineUtc, paths, Progress, Log);
        return Finish(paths, recipe, card, valSet, outcome with { Metrics = outcome.Metrics with { PreparedSeconds = trainer.Granted.TotalSeconds } }, trained, Log);
    }

    /// <summary>
    /// One fold of a cross-validated trial, in a child process of the trial (<c>clinforge trial --fold</c>):
    /// loads the development pool from the run's cache, trains the fold until <paramref name="untilUtc"/>
    /// and writes its fold folder, logging to the fold's own log.txt. Returns 0 when the fold finished.
    /// </summary>
    public static int RunFold(RunPaths run, int number, int fold, IReadOnlyList<DataItem> train, IReadOnlyList<DataItem> val,
        IReadOnlyList<IReadOnlyList<string>> folds, ValidationScorer scorer, DateTime untilUtc, int threads, Action<string> stdout)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentNullException.ThrowIfNull(stdout);
        if (fold < 0 || fold >= folds.Count) throw new ClinforgeException($"--fold {fold}: the run has folds 0 to {folds.Count - 1}.");
        var paths = run.Trial(number);
        var foldPaths = paths.Fold(fold);
        Directory.CreateDirectory(foldPaths.Root);
        using var log = new StreamWriter(foldPaths.Log, append: true, Encoding.UTF8) { AutoFlush = true };
        void Log(string line) => log.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
        var requested = Json.Read<Recipe>(paths.Recipe);
        var recipe = CrossValidationPlan.ResolvedRecipe(paths, requested);
        var card = Json.Read<DataCard>(run.DataCard);
        NativeRuntime.Initialize(threads, recipe.Seed);
        Log($"fold {fold + 1} of trial {number} in its own process, threads {get_num_threads()}; {ConvolutionCheck.Current.Describe()}");
        List<DataItem> pool = [.. train, .. val];
        var foldOf = FoldOf(pool, folds);
        var poolSet = ImageSets.Load(DatasetReader.Open(card.Source), pool, requested.Input, run.Cache);
        using var poolPixels = poolSet.Pixels;
        var foldTrainer = CrossValidationPlan.FoldTrainer(new Trainer(Log) { CacheFolder = run.Cache }, poolSet, card.Classes, requested, Log);
        var error = CrossValidationPlan.TrainFold(foldTrainer, recipe, poolSet, foldOf, fold, card.Classes, scorer, untilUtc, paths,
            p => stdout(TrialProtocol.ProgressLine(p.Epoch, p.PlannedEpochs, p.Fraction, null)), Log);
        return error is null ? 0 : 4;
    }

    /// <summary>The fold of each pool item; every item must be in exactly one fold.</summary>
    private static int[] FoldOf(IReadOnlyList<DataItem> pool, IReadOnlyList<IReadOnlyList<string>> folds)
    {
        var at = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int f = 0; f < folds.Count; f++)
            foreach (var id in folds[f])
                if (!at.TryAdd(id, f)) throw new ClinforgeException($"splits.json: item {id} is in more than one fold. Delete the run folder and start again.");
        return pool.Select(i => at.TryGetValue(i.Id, out int f) ? f
            : throw new ClinforgeException($"splits.json: development item {i.Id} is in no fold. Delete the run folder and start again.")).ToArray();
    }

    /// <summary>Writes what a finished trial leaves behind: the recipe finally trained, val_predictions.csv, metrics.json.</summary>
    private static TrialMetrics Finish(TrialPaths paths, Recipe recipe, DataCard card, ImageSet valSet, TrainingOutcome outcome, Recipe trained, Action<string> log)
    {
        if (!ReferenceEquals(trained, recipe) && outcome.Metrics.Status == TrialStatus.Succeeded)
        {
            // A search resolved a knob: recipe.json becomes what was trained (so later rounds build on
            // the chosen value and the package loads it); the request is kept beside it.
            File.Copy(paths.Recipe, Path.Combine(paths.Root, "recipe.requested.json"), overwrite: true);
            Json.Write(paths.Recipe, trained.WithOrigin("search", $"{recipe.Search!.Knob} chosen by successive halving among {string.Join(", ", recipe.Search.Values.Select(v => v.ToString("G3", CultureInfo.InvariantCulture)))}"));
        }
        if (outcome.BestValProbabilities.Length > 0)
            PredictionTable.Write(paths.ValPredictions, valSet.Ids, valSet.Labels, outcome.BestValProbabilities, card.Classes);
        var final = outcome.Metrics with { Convolutions = ConvolutionCheck.Current.Describe() };
        Json.Write(paths.Metrics, final);
        log($"finished: {final.Status}, best epoch {final.BestEpoch}, objective {final.Best?.Objective:F4}, {final.ImagesPerSecond:F0} images/s");
        return final;
    }

    /// <summary>
    /// A recipe with <see cref="Recipe.Debias"/>: <see cref="ShortcutTrainer"/> on the per-image confounder
    /// probabilities of confounder/labels.csv (written by the workflow before the loop), a fixed number
    /// of epochs, the last epoch kept. Writes the same files as a plain trial.
    /// </summary>
    private static TrialMetrics RunDebias(RunPaths run, TrialPaths paths, Recipe recipe, DataCard card, ImageSet trainSet, ImageSet valSet,
        ValidationScorer scorer, DateTime deadlineUtc, Action<string> log)
    {
        var labels = ConfounderLabels.Read(run.ConfounderLabels);
        var missing = trainSet.Ids.Where(id => !labels.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            throw new ClinforgeException($"{run.ConfounderLabels}: no confounder value for {missing.Count} training image(s), e.g. {missing[0]}.");
        var conf = trainSet.Ids.Select(id => labels[id].Probability).ToArray();
        log($"debiasing: {recipe.Debias!.Describe()}{(recipe.Loss.LabelSmoothing > 0 ? string.Create(CultureInfo.InvariantCulture, $" + label smoothing {recipe.Loss.LabelSmoothing}") : "")}, {recipe.MaxEpochs} epochs, confounder from {run.ConfounderLabels}");
        var trainer = new ShortcutTrainer(log);
        using var outcome = trainer.Train(recipe, trainSet, conf, valSet, card.Classes, (l, p) => scorer(l, p).Objective, deadlineUtc);
        Json.Write(paths.Preprocessing, outcome.Preprocessing);
        Trainer.SaveAtomically(outcome.Model, paths.Model);
        var best = scorer(valSet.Labels, outcome.ValProbabilities);
        var metrics = new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Best = best, BestEpoch = outcome.Curve.Count, Curve = outcome.Curve, Epochs = outcome.Curve.Count,
            TrainSeconds = outcome.TrainSeconds, ImagesPerSecond = outcome.ImagesPerSecond,
            Convolutions = ConvolutionCheck.Current.Describe(),
        };
        PredictionTable.Write(paths.ValPredictions, valSet.Ids, valSet.Labels, outcome.ValProbabilities, card.Classes);
        Json.Write(paths.Metrics, metrics);
        log($"finished: {metrics.Status}, {metrics.Epochs} epochs, objective {best.Objective:F4}, {metrics.ImagesPerSecond:F0} images/s");
        return metrics;
    }
}
