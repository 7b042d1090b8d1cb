using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// The acceptance rule of classification runs: a trial is kept when its validation objective beats the
/// best trial's by the objective's margin (as <see cref="ObjectiveAcceptance"/>) <b>and</b> the gain holds
/// up under resampling of the images it was judged on: a paired bootstrap over the same images (Efron
/// and Tibshirani 1993, §16), both trials' predictions resampled together, stratified by label, where the
/// candidate must come out better in at least <see cref="MinShareBetter"/> of the resamples. Under
/// cross-validation the images are the whole development pool (out-of-fold predictions) and the reason
/// also shows in how many folds the candidate won.
/// </summary>
/// <remarks>
/// <para>
/// Why: on a small development pool a gain of a few hundredths in sensitivity is one or two images, and
/// the fixed margin of 0.002 does not scale with that. A one-sided 90% level is stricter than detection's
/// 80% on purpose: with few images, a change kept on noise becomes the final model.
/// </para>
/// <para>
/// Saturation: when the best trial already sits at the objective's ceiling (1.0: every positive caught at
/// the floor, or AUC 1 on a handful of positives) no change can beat it, and the loop would be blind. The
/// rule then judges a candidate that also reaches the ceiling on a finer objective that still measures
/// what the clinician asked for — the standardised partial AUC in the clinician's region (McClish 1989),
/// or the AUC — and, when that saturates too, on the Brier score (a proper scoring rule, Brier 1950).
/// The decision says so in words; it is journaled and shown by explain and the report.
/// </para>
/// </remarks>
public sealed class PairedAcceptance(Objective objective, RunPaths run, int positiveIndex, int seed) : IAcceptance
{
    /// <summary>Share of paired resamples the candidate must win (one-sided 90%).</summary>
    public const double MinShareBetter = 0.9;

    /// <summary>Bootstrap resamples (the decision needs a share, not an interval's tails).</summary>
    public const int Resamples = 500;

    /// <summary>An objective at or above this is at its ceiling.</summary>
    public const double Ceiling = 1 - 1e-9;

    /// <inheritdoc />
    public AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective) =>
        new ObjectiveAcceptance(objective).Decide(candidate, best, bestObjective) with { Rule = "paired:objective" };

    /// <inheritdoc />
    public AcceptanceDecision Decide(int candidateNumber, int? bestNumber, TrialMetrics candidate, TrialMetrics? best, double? bestObjective)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var byObjective = new ObjectiveAcceptance(objective).Decide(candidate, best, bestObjective);
        if (candidate.Status != TrialStatus.Succeeded || candidate.Best is null || bestNumber is not { } b || best?.Best is null)
            return byObjective with { Rule = "paired:objective" };
        bool saturated = best.Best.Objective >= Ceiling && candidate.Best.Objective >= Ceiling;
        if (!saturated && !byObjective.Accepted) return byObjective with { Rule = "paired:objective" };
        if (Pair(candidateNumber, b) is not { } pair)
            return byObjective with { Rule = "paired:objective_fallback", Reason = byObjective.Reason + " (the trials' validation predictions could not be paired image by image, so the objective rule alone decided)" };

        var inv = CultureInfo.InvariantCulture;
        var (labels, mine, theirs, ids) = pair;
        var folds = File.Exists(run.Splits) ? Json.Read<Splits>(run.Splits).Folds : null;
        string judged = folds is { } f ? $"the {labels.Length} development images (out-of-fold predictions, {f.Count} folds)" : $"the {labels.Length} validation images";
        Func<int[], double[][], double> stat;
        string name;
        string prefix = "";
        double a, c;
        if (saturated)
        {
            (name, a) = ObjectiveEvaluator.FinerObjective(objective, labels, mine, positiveIndex);
            c = ObjectiveEvaluator.FinerObjective(objective, labels, theirs, positiveIndex).Value;
            stat = (y, p) => ObjectiveEvaluator.FinerObjective(objective, y, p, positiveIndex).Value;
            if (a >= Ceiling && c >= Ceiling)
            {
                name = "Brier score (lower is better; compared negated)";
                stat = (y, p) => -Brier(y, p);
                a = stat(labels, mine); c = stat(labels, theirs);
            }
            prefix = $"saturated: both trials reach {objective.Describe()} = 1.000 on {judged}, so it cannot tell them apart; judged on the finer {name} instead. ";
            if (!(a > c + objective.MinImprovement))
                return new AcceptanceDecision(false, "paired:saturated", prefix + string.Create(inv, $"{name} {a:0.0000} vs {c:0.0000}: not better by the margin {objective.MinImprovement:0.###}"));
        }
        else
        {
            name = objective.Describe();
            stat = (y, p) => ObjectiveEvaluator.Evaluate(objective, y, p, positiveIndex).Objective;
            a = candidate.Best.Objective; c = best.Best.Objective;
        }
        double share = ShareBetter(labels, mine, theirs, stat, seed);
        bool keep = share >= MinShareBetter;
        string foldWins = FoldWins(folds, labels, ids, mine, theirs, stat) is { } w ? $"; it wins in {w.Wins} of {w.Folds} folds" : "";
        return new AcceptanceDecision(keep, saturated ? "paired:saturated" : "paired:bootstrap", prefix + string.Create(inv,
            $"{name} {a:0.0000} vs {c:0.0000} on {judged}; in a paired bootstrap ({Resamples} resamples) the change is better in {share:0%} of resamples, {(keep ? "at least" : "under")} the {MinShareBetter:0%} needed to tell it from noise{foldWins}"));
    }

    /// <summary>Share of paired, label-stratified resamples in which <paramref name="candidate"/> beats <paramref name="best"/> under <paramref name="stat"/> (ties count half).</summary>
    public static double ShareBetter(int[] labels, double[][] candidate, double[][] best, Func<int[], double[][], double> stat, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(stat);
        double Diff(int[] idx)
        {
            var y = idx.Select(i => labels[i]).ToArray();
            return stat(y, idx.Select(i => candidate[i]).ToArray()) - stat(y, idx.Select(i => best[i]).ToArray());
        }
        var diffs = Bootstrap.Replicates(labels.Length, Diff, Resamples, seed, labels);
        return diffs.Length == 0 ? 0 : diffs.Average(d => d > 0 ? 1.0 : d == 0 ? 0.5 : 0.0);
    }

    private static (int Wins, int Folds)? FoldWins(IReadOnlyList<IReadOnlyList<string>>? folds, int[] labels, string[] ids, double[][] mine, double[][] theirs, Func<int[], double[][], double> stat)
    {
        if (folds is null) return null;
        var index = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        int wins = 0, counted = 0;
        foreach (var fold in folds)
        {
            var idx = fold.Where(index.ContainsKey).Select(id => index[id]).ToArray();
            var y = idx.Select(i => labels[i]).ToArray();
            if (y.Distinct().Count() < 2) continue;
            double d = stat(y, idx.Select(i => mine[i]).ToArray()) - stat(y, idx.Select(i => theirs[i]).ToArray());
            if (double.IsNaN(d)) continue;
            counted++;
            if (d > 0) wins++;
        }
        return counted == 0 ? null : (wins, counted);
    }

    /// <summary>Mean squared error of the class probabilities against the one-hot labels (Brier 1950).</summary>
    private static double Brier(int[] labels, double[][] probs)
    {
        if (labels.Length == 0) return double.NaN;
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
            for (int k = 0; k < probs[i].Length; k++)
            {
                double t = labels[i] == k ? 1 : 0;
                sum += (probs[i][k] - t) * (probs[i][k] - t);
            }
        return sum / labels.Length;
    }

    /// <summary>Both trials' validation predictions on the same images, in the candidate's order; null when they differ.</summary>
    private (int[] Labels, double[][] Mine, double[][] Theirs, string[] Ids)? Pair(int candidate, int best)
    {
        var a = run.Trial(candidate).ValPredictions;
        var b = run.Trial(best).ValPredictions;
        if (!File.Exists(a) || !File.Exists(b)) return null;
        var mine = PredictionTable.Read(a);
        var theirs = PredictionTable.Read(b);
        if (mine.Ids.Count != theirs.Ids.Count || mine.Ids.Count == 0) return null;
        var at = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < theirs.Ids.Count; i++) if (!at.TryAdd(theirs.Ids[i], i)) return null;
        var order = new int[mine.Ids.Count];
        for (int i = 0; i < mine.Ids.Count; i++)
        {
            if (!at.TryGetValue(mine.Ids[i], out order[i]) || theirs.Labels[order[i]] != mine.Labels[i]) return null;
        }
        return (mine.Labels, mine.Probabilities, order.Select(j => theirs.Probabilities[j]).ToArray(), [.. mine.Ids]);
    }
}
