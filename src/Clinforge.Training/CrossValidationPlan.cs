using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Training;

/// <summary>
/// A trial under the cross-validation protocol: the recipe is trained once per fold (on the other
/// folds, through the usual trial plans, so seed ensembles and searches work as in a hold-out trial),
/// each fold model predicts its own held-out fold, and the trial is judged on the pooled out-of-fold
/// predictions of the whole development pool (Stone 1974; Hastie, Tibshirani and Friedman 2009, §7.10).
/// The trial's model is the average of its fold models (a cross-validation ensemble), so nothing is
/// retrained after the choice.
/// </summary>
/// <remarks>
/// Choices, each for a reason: every fold shares one normalisation (the pool's pixel statistics, no
/// labels) so the fold models average as one network; a fold model keeps its last epoch, not the epoch
/// best on its own held-out fold, so the out-of-fold predictions are not selected on the images they
/// score; a search (successive halving) resolves its knob on fold 0 and the other folds train the value
/// it chose; a fold finished before the trial was killed is read back, not retrained, so a resumed trial
/// continues where it stopped. Folds train side by side in child processes when an
/// <see cref="IFoldLauncher"/> allows more than one worker (TorchSharp's random generator and thread
/// pool are per process, so threads would not do), the trial's threads split between them; otherwise
/// one after another in the trial's process. Either way each fold gets an equal share of the
/// processor time left.
/// </remarks>
public static class CrossValidationPlan
{

    /// <summary>
    /// Trains <paramref name="recipe"/> on each fold of <paramref name="pool"/> (<paramref name="foldOf"/>:
    /// the fold of each pool image) and returns the outcome whose validation probabilities are the pooled
    /// out-of-fold ones, in pool order, and the recipe finally trained. With <paramref name="launcher"/>,
    /// up to its <see cref="IFoldLauncher.Workers"/> folds train at once in child processes, sharing
    /// <paramref name="threads"/> torch threads.
    /// </summary>
    public static (TrainingOutcome Outcome, Recipe Trained) Train(Trainer trainer, Recipe recipe, ImageSet pool, int[] foldOf,
        IReadOnlyList<string> classes, ValidationScorer scorer, DateTime deadlineUtc, TrialPaths paths, Action<TrainProgress>? progress, Action<string> log,
        IFoldLauncher? launcher = null, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(foldOf);
        int k = foldOf.Max() + 1;
        if (foldOf.Length != pool.Count || k < 2) throw new ArgumentException($"need a fold for each of the {pool.Count} images and at least 2 folds", nameof(foldOf));
        var inv = CultureInfo.InvariantCulture;
        var foldTrainer = FoldTrainer(trainer, pool, classes, recipe, log);
        int workers = Math.Clamp(launcher?.Workers ?? 1, 1, Math.Max(1, threads));
        var pending = new List<int>();
        for (int f = 0; f < k; f++)
        {
            if (Finished(paths.Fold(f), pool, FoldIndices(foldOf, f)) is not null)
                log($"fold {f + 1}/{k}: finished before this process started; its model and out-of-fold predictions are read back");
            else
                pending.Add(f);
        }
        var done = new double[k];
        void Report(int f, double fraction, TrainProgress? p)
        {
            double sum;
            lock (done) { done[f] = fraction; sum = done.Sum(); }
            progress?.Invoke(new TrainProgress(p?.Epoch ?? 0, p?.PlannedEpochs ?? 0, sum / k, p?.BestObjective));
        }
        for (int f = 0; f < k; f++) if (!pending.Contains(f)) done[f] = 1;

        var trained = ResolvedRecipe(paths, recipe);
        // A search resolves its knob on fold 0 first, alone: the other folds train the value it chose.
        if (recipe.Search is not null && pending.Remove(0))
        {
            var until = Share(deadlineUtc, 1 + Waves(pending.Count, workers));
            if (TrainFold(foldTrainer, trained, pool, foldOf, 0, classes, scorer, until, paths, p => Report(0, p.Fraction, p), log) is { } error)
                return Failed(error, trained);
            trained = ResolvedRecipe(paths, recipe);
        }
        while (pending.Count > 0)
        {
            var wave = pending.Take(workers).ToList();
            var until = Share(deadlineUtc, Waves(pending.Count, workers));
            pending.RemoveRange(0, wave.Count);
            if (wave.Count == 1 || launcher is null)
            {
                // One fold at a time (no launcher allows more, or it is the last): in this process, with all its threads.
                int f = wave[0];
                if (TrainFold(foldTrainer, trained, pool, foldOf, f, classes, scorer, until, paths, p => Report(f, p.Fraction, p), log) is { } error)
                    return Failed(error, trained);
                continue;
            }
            int each = Math.Max(1, threads / wave.Count);
            log(string.Create(inv, $"folds {string.Join(", ", wave.Select(f => f + 1))} of {k}: side by side in {wave.Count} child processes of {each} thread(s) each, until {until:HH:mm:ss}"));
            var exits = new int[wave.Count];
            Parallel.For(0, wave.Count, new ParallelOptions { MaxDegreeOfParallelism = wave.Count }, i =>
            {
                int f = wave[i];
                try
                {
                    exits[i] = launcher.Run(f, until, each, x => Report(f, x, null));
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    File.AppendAllText(paths.Fold(f).Log, $"the fold's process did not start: {e.Message}\n");
                    exits[i] = -1;
                }
            });
            for (int i = 0; i < wave.Count; i++)
            {
                int f = wave[i];
                var foldPaths = paths.Fold(f);
                if (Finished(foldPaths, pool, FoldIndices(foldOf, f)) is null)
                    return Failed($"fold {f + 1} of {k}: {FoldError(foldPaths, exits[i])}", trained);
                Report(f, 1, null);
                log(string.Create(inv, $"fold {f + 1}/{k}: held-out objective {Json.Read<TrialMetrics>(foldPaths.Metrics).Best?.Objective:F4} (child process, exit {exits[i]}; its log is {foldPaths.Log})"));
            }
        }
        return Pool(foldTrainer.Preprocessing!, trained, pool, foldOf, k, classes, scorer, paths, log);
    }

    /// <summary>
    /// The body of one fold, in the trial's process or in a child (<c>clinforge trial --fold</c>):
    /// trains on the other folds, predicts the held-out fold, and writes the fold folder (model,
    /// metrics, held-out predictions, and the recipe a search chose). Returns null when the fold
    /// finished, else the error; a failed fold's metrics are written too, so its trial can say why.
    /// </summary>
    public static string? TrainFold(Trainer foldTrainer, Recipe recipe, ImageSet pool, int[] foldOf, int fold,
        IReadOnlyList<string> classes, ValidationScorer scorer, DateTime untilUtc, TrialPaths paths, Action<TrainProgress>? progress, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(foldTrainer);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(foldOf);
        ArgumentNullException.ThrowIfNull(log);
        var inv = CultureInfo.InvariantCulture;
        int k = foldOf.Max() + 1;
        var foldPaths = paths.Fold(fold);
        Directory.CreateDirectory(foldPaths.Root);
        if (File.Exists(foldPaths.Metrics)) File.Delete(foldPaths.Metrics); // an interrupted attempt is replaced
        var valIdx = FoldIndices(foldOf, fold);
        var trainIdx = Enumerable.Range(0, pool.Count).Where(i => foldOf[i] != fold).ToArray();
        log(string.Create(inv, $"fold {fold + 1}/{k}: train on {trainIdx.Length} images, predict the {valIdx.Length} held out, until {untilUtc:HH:mm:ss}"));
        var train = pool.Subset(trainIdx);
        var val = pool.Subset(valIdx);
        using var trainPixels = train.Pixels;
        using var valPixels = val.Pixels;
        var (outcome, foldRecipe) = TrialPlans.Train(foldTrainer, recipe, train, val, classes, scorer, untilUtc, foldPaths, progress, log);
        if (outcome.Metrics.Status != TrialStatus.Succeeded || outcome.BestValProbabilities.Length != valIdx.Length)
        {
            var error = outcome.Metrics.Error ?? "no held-out predictions";
            Json.Write(foldPaths.Metrics, outcome.Metrics with { Status = outcome.Metrics.Status == TrialStatus.Succeeded ? TrialStatus.Failed : outcome.Metrics.Status, Error = error });
            log($"fold {fold + 1} failed: {error}");
            return $"fold {fold + 1} of {k}: {error}";
        }
        if (!ReferenceEquals(foldRecipe, recipe)) Json.Write(foldPaths.Recipe, foldRecipe);
        PredictionTable.Write(foldPaths.ValPredictions, val.Ids, val.Labels, outcome.BestValProbabilities, classes);
        // Metrics last: a fold counts as finished only once everything else is on disk.
        Json.Write(foldPaths.Metrics, outcome.Metrics);
        log(string.Create(inv, $"fold {fold + 1}/{k}: held-out objective {outcome.Metrics.Best?.Objective:F4} after {outcome.Metrics.Epochs} epochs"));
        return null;
    }

    /// <summary>The trainer every fold of a trial uses: the pool's normalisation, the last epoch kept.</summary>
    public static Trainer FoldTrainer(Trainer trainer, ImageSet pool, IReadOnlyList<string> classes, Recipe recipe, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(recipe);
        return new Trainer(log) { CacheFolder = trainer.CacheFolder, Preprocessing = Trainer.ComputePreprocessing(pool, classes, recipe.Model), KeepLastEpoch = true };
    }

    /// <summary>The recipe the folds train: the one a search resolved on fold 0 when there is one, else <paramref name="recipe"/>.</summary>
    public static Recipe ResolvedRecipe(TrialPaths paths, Recipe recipe)
    {
        var chosen = paths.Fold(0).Recipe;
        return recipe.Search is not null && File.Exists(chosen) ? Json.Read<Recipe>(chosen) : recipe;
    }

    /// <summary>
    /// Deletes the fold models once the trial is finished: its model file holds all of them (averaged),
    /// and each is as large as the network (64 MB for the pretrained ResNet-18). The folds' metrics,
    /// logs and out-of-fold predictions stay.
    /// </summary>
    public static void RemoveFoldModels(TrialPaths paths, int folds, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(log);
        long freed = 0;
        for (int f = 0; f < folds; f++)
        {
            var model = new FileInfo(paths.Fold(f).Model);
            if (!model.Exists) continue;
            freed += model.Length;
            model.Delete();
        }
        if (freed > 0) log(string.Create(CultureInfo.InvariantCulture, $"removed the {folds} fold models ({freed / 1048576.0:F0} MB): the trial's model file holds them"));
    }

    /// <summary>Pool indices of fold <paramref name="fold"/>.</summary>
    private static int[] FoldIndices(int[] foldOf, int fold) => Enumerable.Range(0, foldOf.Length).Where(i => foldOf[i] == fold).ToArray();

    /// <summary>Waves needed for <paramref name="folds"/> folds at <paramref name="workers"/> at once.</summary>
    private static int Waves(int folds, int workers) => (folds + workers - 1) / workers;

    /// <summary>The end of an equal share of the time left when <paramref name="parts"/> parts remain.</summary>
    private static DateTime Share(DateTime deadlineUtc, int parts)
    {
        var now = DateTime.UtcNow;
        return parts <= 1 ? deadlineUtc : now + (deadlineUtc - now) / parts;
    }

    private static (TrainingOutcome, Recipe) Failed(string error, Recipe trained) =>
        (new TrainingOutcome(new TrialMetrics { Status = TrialStatus.Failed, Error = error }, []), trained);

    /// <summary>Why a fold's child left no finished fold: its own recorded error, else its exit code and log.</summary>
    private static string FoldError(TrialPaths fold, int exit)
    {
        if (File.Exists(fold.Metrics))
        {
            try
            {
                if (Json.Read<TrialMetrics>(fold.Metrics).Error is { Length: > 0 } e) return e;
            }
            catch (ClinforgeException)
            {
                // unreadable metrics: fall through to the exit code
            }
        }
        return $"its process exited with code {exit} without finishing; see {fold.Log}";
    }

    /// <summary>Reads every fold back, pools the out-of-fold predictions and saves the fold models as one averaged model.</summary>
    private static (TrainingOutcome, Recipe) Pool(Preprocessing pre, Recipe trained, ImageSet pool, int[] foldOf, int k,
        IReadOnlyList<string> classes, ValidationScorer scorer, TrialPaths paths, Action<string> log)
    {
        var inv = CultureInfo.InvariantCulture;
        var oof = new double[pool.Count][];
        var folds = new List<(TrialPaths Paths, TrialMetrics Metrics)>();
        for (int f = 0; f < k; f++)
        {
            var foldPaths = paths.Fold(f);
            var valIdx = FoldIndices(foldOf, f);
            var table = Finished(foldPaths, pool, valIdx) ?? throw new InvalidOperationException($"fold {f + 1} has no finished predictions");
            for (int j = 0; j < valIdx.Length; j++) oof[valIdx[j]] = table.Probabilities[j];
            folds.Add((foldPaths, Json.Read<TrialMetrics>(foldPaths.Metrics)));
        }
        var pooled = scorer(pool.Labels, oof);
        using (var ensemble = SeedEnsemble.Shared(folds.Select(fold =>
        {
            var net = TrialPlans.CreateModel(trained, pool.Channels, classes.Count);
            net.load(fold.Paths.Model);
            return net;
        }).ToList()))
        {
            Json.Write(paths.Preprocessing, pre with { FoldModels = k, SharedStages = ensemble.SharedStages });
            Trainer.SaveAtomically(ensemble, paths.Model);
            if (ensemble.SharedStages > 0)
                log($"the {k} fold models share the frozen stem and stages 1–{ensemble.SharedStages}: stored and computed once");
        }
        var objectives = folds.Select(fold => fold.Metrics.Best?.Objective ?? double.NaN).ToArray();
        log(string.Create(inv, $"{k}-fold cross-validation: pooled out-of-fold objective {pooled.Objective:F4} (folds {string.Join(", ", objectives.Select(o => o.ToString("F4", inv)))}); the model is the average of the {k} fold models"));
        var first = folds[0].Metrics;
        return (new TrainingOutcome(first with
        {
            Best = pooled,
            Epochs = folds.Sum(x => x.Metrics.Epochs),
            TrainSeconds = folds.Sum(x => x.Metrics.TrainSeconds),
            ImagesPerSecond = folds.Average(x => x.Metrics.ImagesPerSecond),
            FoldObjectives = objectives,
        }, oof), trained);
    }

    /// <summary>A fold's saved out-of-fold predictions when the fold finished (metrics, model and predictions for exactly its images); else null.</summary>
    private static PredictionTable? Finished(TrialPaths fold, ImageSet pool, int[] valIdx)
    {
        if (!File.Exists(fold.Metrics) || !File.Exists(fold.Model) || !File.Exists(fold.ValPredictions)) return null;
        try
        {
            if (Json.Read<TrialMetrics>(fold.Metrics).Status != TrialStatus.Succeeded) return null;
            var table = PredictionTable.Read(fold.ValPredictions);
            return table.Ids.SequenceEqual(valIdx.Select(i => pool.Ids[i]), StringComparer.Ordinal) ? table : null;
        }
        catch (ClinforgeException)
        {
            return null;
        }
    }
}
