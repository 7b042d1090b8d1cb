using System.Globalization;
using Clinforge.Core;
using Clinforge.Training.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// How a trial trains its recipe: one model (the usual case), a seed ensemble, or a successive-halving
/// search over one knob. Each plan splits the trial's time budget between calls to the one training
/// loop (<see cref="Trainer"/>) and leaves model.bin, preprocessing.json and the validation
/// probabilities in the trial folder, as a single training run would.
/// </summary>
public static class TrialPlans
{
    /// <summary>The model a recipe describes, untrained: a seed ensemble when <c>ensemble_size</c> &gt; 1.</summary>
    public static Module<Tensor, Tensor> CreateModel(Recipe recipe, int channels, int classes) =>
        // A debiasing recipe trains the recipe's model inside a ShortcutNet (its forward gives the label logits; the adversary is unused at inference).
        recipe.Debias is not null ? ShortcutNet.For(recipe.Model, channels, classes)
        : recipe.EnsembleSize > 1
            ? new SeedEnsemble(Enumerable.Range(0, recipe.EnsembleSize).Select(_ => ModelRegistry.Create(recipe.Model, channels, classes)))
            : ModelRegistry.Create(recipe.Model, channels, classes);

    /// <summary>
    /// The network a trial folder's model file holds: the recipe's model, or the average of its fold
    /// models when the trial was cross-validated (<see cref="Preprocessing.FoldModels"/>).
    /// </summary>
    public static Module<Tensor, Tensor> CreateModel(Recipe recipe, Preprocessing pre)
    {
        ArgumentNullException.ThrowIfNull(pre);
        ArgumentNullException.ThrowIfNull(recipe);
        if (pre.FoldModels > 1)
            return new SeedEnsemble(Enumerable.Range(0, pre.FoldModels).Select(_ => CreateModel(recipe, pre.Channels, pre.Classes.Count)), pre.SharedStages);
        if (recipe.Debias is null && recipe.EnsembleSize > 1)
            return new SeedEnsemble(Enumerable.Range(0, recipe.EnsembleSize).Select(_ => ModelRegistry.Create(recipe.Model, pre.Channels, pre.Classes.Count)), pre.SharedStages);
        return CreateModel(recipe, pre.Channels, pre.Classes.Count);
    }

    /// <summary>Trains what the recipe says under the deadline; returns the outcome and the recipe that was finally trained.</summary>
    public static (TrainingOutcome Outcome, Recipe Trained) Train(Trainer trainer, Recipe recipe, ImageSet train, ImageSet val,
        IReadOnlyList<string> classes, ValidationScorer scorer, DateTime deadlineUtc, TrialPaths paths, Action<TrainProgress>? progress, Action<string> log)
    {
        if (recipe.Search is { } search) return SuccessiveHalving(trainer, recipe, search, train, val, classes, scorer, deadlineUtc, paths, progress, log);
        if (recipe.EnsembleSize > 1) return (Ensemble(trainer, recipe, train, val, classes, scorer, deadlineUtc, paths, progress, log), recipe);
        return (trainer.Train(recipe, train, val, classes, scorer, deadlineUtc, paths, progress), recipe);
    }

    /// <summary>
    /// Trains the members one after another, each with its own seed on an equal share of the budget,
    /// then validates the averaged probabilities. The ensemble's curve is the first member's (the
    /// learning-curve diagnosis reads it); each member's best objective is kept in the metrics.
    /// </summary>
    private static TrainingOutcome Ensemble(Trainer trainer, Recipe recipe, ImageSet train, ImageSet val,
        IReadOnlyList<string> classes, ValidationScorer scorer, DateTime deadlineUtc, TrialPaths paths, Action<TrainProgress>? progress, Action<string> log)
    {
        int n = recipe.EnsembleSize;
        var start = DateTime.UtcNow;
        var members = new List<(TrialPaths Paths, TrainingOutcome Outcome)>();
        for (int i = 0; i < n; i++)
        {
            var member = recipe with { EnsembleSize = 1, Seed = recipe.Seed + i };
            var memberPaths = new TrialPaths(Path.Combine(paths.Root, "members", i.ToString(CultureInfo.InvariantCulture)));
            Directory.CreateDirectory(memberPaths.Root);
            var memberDeadline = Share(start, deadlineUtc, (i + 1.0) / n);
            log($"ensemble member {i + 1}/{n}: seed {member.Seed}, until {memberDeadline:HH:mm:ss}");
            int index = i;
            // Shifted by the one-time work an earlier member did for the run and was not charged for (Trainer.PreparationAllowance).
            var outcome = trainer.Train(member, train, val, classes, scorer, memberDeadline + trainer.Granted, memberPaths,
                p => progress?.Invoke(p with { Fraction = (index + p.Fraction) / n }));
            if (outcome.Metrics.Status != TrialStatus.Succeeded || outcome.BestValProbabilities.Length == 0)
            {
                log($"ensemble member {i + 1} failed: {outcome.Metrics.Error}");
                return outcome;
            }
            members.Add((memberPaths, outcome));
        }

        var pre = Json.Read<Preprocessing>(members[0].Paths.Preprocessing);
        using var ensemble = SeedEnsemble.Shared(members.Select(m =>
        {
            var net = ModelRegistry.Create(recipe.Model, train.Channels, classes.Count);
            net.load(m.Paths.Model);
            return net;
        }).ToList());
        pre = pre with { SharedStages = ensemble.SharedStages };
        Json.Write(paths.Preprocessing, pre);
        var device = NativeRuntime.PreferredDevice();
        ensemble.to(device);
        using var xVal = new ImageBatches(val, pre);
        var (_, probs) = Trainer.Predict(ensemble, xVal, null, recipe.TestTimeAugmentation, device);
        var metrics = scorer(val.Labels, probs);
        Trainer.SaveAtomically(ensemble, paths.Model);
        // The ensemble's file holds every member; their own copies would only double the trial's size.
        foreach (var m in members) File.Delete(m.Paths.Model);
        var first = members[0].Outcome.Metrics;
        var objectives = members.Select(m => m.Outcome.Metrics.Best!.Objective).ToArray();
        log(string.Create(CultureInfo.InvariantCulture,
            $"ensemble of {n}: validation objective {metrics.Objective:F4} (members {string.Join(", ", objectives.Select(o => o.ToString("F4", CultureInfo.InvariantCulture)))})"));
        return new TrainingOutcome(first with
        {
            Best = metrics,
            Epochs = members.Sum(m => m.Outcome.Metrics.Epochs),
            TrainSeconds = members.Sum(m => m.Outcome.Metrics.TrainSeconds),
            ImagesPerSecond = members.Average(m => m.Outcome.Metrics.ImagesPerSecond),
            MemberObjectives = objectives,
        }, probs);
    }

    /// <summary>
    /// Successive halving with halving rate 2 (Jamieson and Talwalkar 2016): with n values there are
    /// ⌈log2 n⌉ + 1 rungs sharing the budget equally; in each rung the surviving values share that
    /// rung's time, and the better half (by validation objective) goes on. Every rung retrains from
    /// scratch, a simplification that keeps the one training loop unchanged.
    /// </summary>
    private static (TrainingOutcome, Recipe) SuccessiveHalving(Trainer trainer, Recipe recipe, KnobSearch search, ImageSet train, ImageSet val,
        IReadOnlyList<string> classes, ValidationScorer scorer, DateTime deadlineUtc, TrialPaths paths, Action<TrainProgress>? progress, Action<string> log)
    {
        var start = DateTime.UtcNow;
        var alive = search.Values.Distinct().ToList();
        int rungs = (int)Math.Ceiling(Math.Log2(alive.Count)) + 1;
        var evaluated = new List<KnobCandidate>();
        int runsDone = 0, runsTotal = Enumerable.Range(0, rungs).Sum(r => Math.Max(1, (int)Math.Ceiling(alive.Count / Math.Pow(2, r))));
        var rungStart = start;
        for (int rung = 0; ; rung++)
        {
            bool last = alive.Count == 1 || rung == rungs - 1;
            var rungEnd = Share(start, deadlineUtc, (rung + 1.0) / rungs);
            var results = new List<(double Value, TrainingOutcome Outcome)>();
            for (int i = 0; i < alive.Count; i++)
            {
                double value = alive[i];
                var candidate = With(recipe, search.Knob, value) with { Search = null };
                // The last rung trains straight into the trial folder: its model is the trial's model.
                var where = last ? paths : new TrialPaths(Path.Combine(paths.Root, "search", $"rung{rung}_{i}"));
                Directory.CreateDirectory(where.Root);
                var until = rungStart + (rungEnd - rungStart) * ((i + 1.0) / alive.Count);
                log(string.Create(CultureInfo.InvariantCulture, $"successive halving rung {rung + 1}/{rungs}: {search.Knob} {value:G3} until {until:HH:mm:ss}"));
                int done = runsDone;
                var outcome = trainer.Train(candidate, train, val, classes, scorer, until + trainer.Granted, where,
                    p => progress?.Invoke(p with { Fraction = Math.Min(1, (done + p.Fraction) / runsTotal) }));
                runsDone++;
                results.Add((value, outcome));
                evaluated.Add(new KnobCandidate(rung + 1, value, outcome.Metrics.TrainSeconds,
                    outcome.Metrics.Status == TrialStatus.Succeeded ? outcome.Metrics.Best?.Objective : null,
                    outcome.Metrics.Status == TrialStatus.Succeeded ? null : outcome.Metrics.Error));
            }
            rungStart = rungEnd;
            var ranked = results.OrderByDescending(r => r.Outcome.Metrics.Status == TrialStatus.Succeeded ? r.Outcome.Metrics.Best?.Objective ?? double.NegativeInfinity : double.NegativeInfinity).ToList();
            if (last)
            {
                var (chosen, outcome) = ranked[0];
                var trained = With(recipe, search.Knob, chosen) with { Search = null };
                log(string.Create(CultureInfo.InvariantCulture, $"successive halving kept {search.Knob} {chosen:G3}"));
                return (outcome with { Metrics = outcome.Metrics with { Search = new KnobSearchResult(search.Knob, evaluated, chosen) } }, trained);
            }
            alive = ranked.Take(Math.Max(1, (ranked.Count + 1) / 2)).Select(r => r.Value).ToList();
        }
    }

    /// <summary>The recipe with one searchable knob set.</summary>
    public static Recipe With(Recipe recipe, string knob, double value) => knob switch
    {
        "learning_rate" => recipe with { Optimizer = recipe.Optimizer with { LearningRate = value } },
        "weight_decay" => recipe with { Optimizer = recipe.Optimizer with { WeightDecay = value } },
        _ => throw new ClinforgeException($"recipe.json: search.knob '{knob}' is not one of {string.Join(", ", RecipeSchema.SearchKnobs)}."),
    };

    private static DateTime Share(DateTime start, DateTime end, double fraction) => start + (end - start) * fraction;
}
