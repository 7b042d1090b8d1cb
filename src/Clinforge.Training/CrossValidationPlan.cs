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
/// continues where it stopped. Folds run one after another in the trial's process, each on an equal share
/// of the time left (they would compete for the same cores if run side by side).
/// </remarks>
public static class CrossValidationPlan
{
    /// <summary>Folder of fold <paramref name="k"/> inside a trial folder.</summary>
    public static string FoldFolder(TrialPaths paths, int k) => Path.Combine(paths.Root, "fold_" + k.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Trains <paramref name="recipe"/> on each fold of <paramref name="pool"/> (<paramref name="foldOf"/>:
    /// the fold of each pool image) and returns the outcome whose validation probabilities are the pooled
    /// out-of-fold ones, in pool order, and the recipe finally trained.
    /// </summary>
    public static (TrainingOutcome Outcome, Recipe Trained) Train(Trainer trainer, Recipe recipe, ImageSet pool, int[] foldOf,
        IReadOnlyList<string> classes, ValidationScorer scorer, DateTime deadlineUtc, TrialPaths paths, Action<TrainProgress>? progress, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(foldOf);
        int k = foldOf.Max() + 1;
        if (foldOf.Length != pool.Count || k < 2) throw new ArgumentException($"need a fold for each of the {pool.Count} images and at least 2 folds", nameof(foldOf));
        var inv = CultureInfo.InvariantCulture;
        var pre = Trainer.ComputePreprocessing(pool, classes, recipe.Model);
        var foldTrainer = new Trainer(log) { CacheFolder = trainer.CacheFolder, Preprocessing = pre, KeepLastEpoch = true };
        var oof = new double[pool.Count][];
        var folds = new List<(TrialPaths Paths, TrialMetrics Metrics)>();
        var trained = recipe;
        for (int f = 0; f < k; f++)
        {
            var foldPaths = new TrialPaths(FoldFolder(paths, f));
            Directory.CreateDirectory(foldPaths.Root);
            var valIdx = Enumerable.Range(0, pool.Count).Where(i => foldOf[i] == f).ToArray();
            var trainIdx = Enumerable.Range(0, pool.Count).Where(i => foldOf[i] != f).ToArray();
            if (Finished(foldPaths, pool, valIdx) is { } done)
            {
                log($"fold {f + 1}/{k}: finished before this process started; its model and out-of-fold predictions are read back");
                for (int j = 0; j < valIdx.Length; j++) oof[valIdx[j]] = done.Probabilities[j];
                if (File.Exists(Path.Combine(foldPaths.Root, "recipe.json"))) trained = Json.Read<Recipe>(Path.Combine(foldPaths.Root, "recipe.json"));
                folds.Add((foldPaths, Json.Read<TrialMetrics>(foldPaths.Metrics)));
                continue;
            }
            // The time left is shared equally by the folds still to train.
            var now = DateTime.UtcNow;
            var until = now + (deadlineUtc - now) / (k - f);
            log(string.Create(inv, $"fold {f + 1}/{k}: train on {trainIdx.Length} images, predict the {valIdx.Length} held out, until {until:HH:mm:ss}"));
            var train = pool.Subset(trainIdx);
            var val = pool.Subset(valIdx);
            using var trainPixels = train.Pixels;
            using var valPixels = val.Pixels;
            int index = f;
            var (outcome, foldRecipe) = TrialPlans.Train(foldTrainer, trained, train, val, classes, scorer, until, foldPaths,
                p => progress?.Invoke(p with { Fraction = (index + p.Fraction) / k }), log);
            if (outcome.Metrics.Status != TrialStatus.Succeeded || outcome.BestValProbabilities.Length != valIdx.Length)
            {
                log($"fold {f + 1} failed: {outcome.Metrics.Error}");
                return (outcome with { Metrics = outcome.Metrics with { Error = $"fold {f + 1} of {k}: {outcome.Metrics.Error}" } }, trained);
            }
            // A search resolved on the first fold: the other folds train the value it chose.
            trained = foldRecipe;
            if (!ReferenceEquals(foldRecipe, recipe)) Json.Write(Path.Combine(foldPaths.Root, "recipe.json"), foldRecipe);
            PredictionTable.Write(foldPaths.ValPredictions, val.Ids, val.Labels, outcome.BestValProbabilities, classes);
            Json.Write(foldPaths.Metrics, outcome.Metrics);
            for (int j = 0; j < valIdx.Length; j++) oof[valIdx[j]] = outcome.BestValProbabilities[j];
            folds.Add((foldPaths, outcome.Metrics));
            log(string.Create(inv, $"fold {f + 1}/{k}: held-out objective {outcome.Metrics.Best?.Objective:F4} after {outcome.Metrics.Epochs} epochs"));
        }

        var pooled = scorer(pool.Labels, oof);
        var ensemblePre = pre with { FoldModels = k };
        Json.Write(Path.Combine(paths.Root, "preprocessing.json"), ensemblePre);
        using (var ensemble = new SeedEnsemble(folds.Select(fold =>
        {
            var net = TrialPlans.CreateModel(trained, pool.Channels, classes.Count);
            net.load(fold.Paths.Model);
            return net;
        })))
        {
            Trainer.SaveAtomically(ensemble, paths.Model);
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
