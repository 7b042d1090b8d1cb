using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>A trial's per-image validation objective as its trial writes it (val_scores.json).</summary>
/// <param name="Id">The image.</param>
/// <param name="Objective">Its objective.</param>
public sealed record ValidationImageScore(string Id, double Objective);

/// <summary>
/// The acceptance rule of segmentation runs: a trial is kept when its validation objective beats the
/// best trial's by the objective's margin (as <see cref="ObjectiveAcceptance"/>) <b>and</b> by more than
/// the validation images' sampling noise: in a paired bootstrap over the validation images (Efron &amp;
/// Tibshirani 1993, §16) the candidate's mean per-image objective must exceed the best's in at least
/// <see cref="MinShareBetter"/> of the resamples. With a handful of validation images (DRIVE's 20 give
/// three) a gain has to hold on most images to pass; the reason names the count.
/// </summary>
public sealed class SegmentationAcceptance(Objective objective, RunPaths run, int seed) : IAcceptance
{
    /// <summary>Share of paired resamples in which the candidate must be better (one-sided 80%, as for detection).</summary>
    public const double MinShareBetter = 0.8;

    /// <summary>Bootstrap resamples.</summary>
    public const int Resamples = 1000;

    /// <inheritdoc />
    public AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective) =>
        new ObjectiveAcceptance(objective).Decide(candidate, best, bestObjective) with { Rule = "segmentation:objective" };

    /// <inheritdoc />
    public AcceptanceDecision Decide(int candidateNumber, int? bestNumber, TrialMetrics candidate, TrialMetrics? best, double? bestObjective)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var byObjective = new ObjectiveAcceptance(objective).Decide(candidate, best, bestObjective);
        if (!byObjective.Accepted || bestNumber is not { } b || best?.Best is null) return byObjective with { Rule = "segmentation:objective" };
        var mine = Read(candidateNumber);
        var theirs = Read(b);
        if (mine is null || theirs is null || !mine.Select(x => x.Id).SequenceEqual(theirs.Select(x => x.Id)))
            return byObjective with { Rule = "segmentation:objective_fallback", Reason = byObjective.Reason + " (the trials' per-image validation scores could not be paired, so the objective rule alone decided)" };
        double share = ShareBetter(mine.Select(x => x.Objective).ToArray(), theirs.Select(x => x.Objective).ToArray(), seed);
        bool keep = share >= MinShareBetter;
        int better = mine.Zip(theirs).Count(p => p.First.Objective > p.Second.Objective);
        return new AcceptanceDecision(keep, "segmentation:paired_bootstrap", string.Create(CultureInfo.InvariantCulture,
            $"validation {objective.Describe()} {candidate.Best!.Objective:0.0000} vs {best.Best.Objective:0.0000}, better on {better} of {mine.Count} validation images; in a paired bootstrap over them ({Resamples} resamples) the change is better in {share:0%} of resamples, {(keep ? "at least" : "under")} the {MinShareBetter:0%} needed to tell it from noise"));
    }

    /// <summary>Share of paired bootstrap resamples of the images in which the mean of <paramref name="candidate"/> beats that of <paramref name="best"/> (ties count half).</summary>
    public static double ShareBetter(IReadOnlyList<double> candidate, IReadOnlyList<double> best, int seed)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(best);
        if (candidate.Count != best.Count || candidate.Count == 0) throw new ArgumentException("both trials need scores on the same validation images");
        var diff = Bootstrap.Replicates(candidate.Count, idx => idx.Average(i => candidate[i] - best[i]), Resamples, seed);
        return diff.Average(d => d > 0 ? 1.0 : d == 0 ? 0.5 : 0.0);
    }

    private List<ValidationImageScore>? Read(int trial)
    {
        var path = run.Trial(trial).ValScores;
        return File.Exists(path) ? Json.Read<List<ValidationImageScore>>(path) : null;
    }
}
