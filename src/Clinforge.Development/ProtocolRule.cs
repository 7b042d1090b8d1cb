using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// Chooses the development protocol from the data before any training, and writes the rule and its
/// evidence into the data card. Hold-out validation is kept when its validation split holds enough
/// images of the class that matters to tell changes apart; otherwise the development pool is cut into
/// k folds and every change is judged on all of it (out-of-fold predictions).
/// </summary>
/// <remarks>
/// The rule: cross-validation when the validation split would hold fewer than <see cref="MinValidationCases"/>
/// images of the clinician's class (or of the rarest class when none is named) and the development pool
/// has at most <see cref="MaxPoolForFolds"/> images. Why 30: a sensitivity near 0.8 measured on 30
/// positives has a 95% Wilson interval of about ±0.14, already wider than most changes the playbook
/// makes; on the 6 melanomas of a 200-image dermoscopy folder it is ±0.29, which cannot tell anything
/// apart. Why a cap: each fold trains on the pool minus one fold within an equal share of the trial's
/// time, so on a large pool the fold models would be undertrained, and there a validation split is large
/// enough anyway. k = 5 (Kohavi 1995; Hastie et al. 2009, §7.10), fewer when the class that matters has
/// fewer than 5 groups (patients) in the pool; hold-out when it has fewer than 3, or when the trial's time
/// split k ways leaves a fold under <see cref="MinFoldSeconds"/> (folds share the trial's time). Debiasing runs stay on
/// hold-out: their confounder labels and shortcut measures are per validation split.
/// </remarks>
public static class ProtocolRule
{
    /// <summary>Fewer images of the class that matters in validation than this: judge on folds.</summary>
    public const int MinValidationCases = 30;

    /// <summary>Development pools larger than this stay on hold-out.</summary>
    public const int MaxPoolForFolds = 5000;

    /// <summary>Seconds of trial time each fold needs at least; below it, k fold models would each be too short-trained to judge anything.</summary>
    public const double MinFoldSeconds = 15;

    /// <summary>Folds when cross-validating.</summary>
    public const int DefaultFolds = 5;

    /// <summary>
    /// The protocol for <paramref name="splits"/> and the splits to write (with folds when they are used).
    /// <paramref name="requested"/> is the clinician's choice: auto (this rule), holdout or folds.
    /// </summary>
    public static (Splits Splits, DevelopmentProtocol Protocol) Choose(Splits splits, IReadOnlyList<string> classes, TaskSpec spec, string requested = "auto",
        double trialSeconds = double.PositiveInfinity)
    {
        var (chosen, protocol) = ChooseProtocol(splits, classes, spec, requested, trialSeconds);
        return (chosen, protocol with { FloorEvidence = FloorEvidence(spec, protocol) });
    }

    /// <summary>
    /// Before training: whether the images the threshold will be set on (validation, or the whole pool
    /// under folds) can carry the request's sensitivity floor to new patients. Too few positives and the
    /// floor cannot be promised even by catching all of them; barely enough and the threshold may miss
    /// almost none of them, which usually costs many false alarms (the run then asks, see TradeOffs).
    /// Null when there is no sensitivity floor or the images suffice.
    /// </summary>
    public static string? FloorEvidence(TaskSpec spec, DevelopmentProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(protocol);
        if (spec.OperatingPoint is not { Maximize: "specificity", Constraint: "sensitivity" } op || protocol.PriorityClass is not { } name) return null;
        var inv = CultureInfo.InvariantCulture;
        int n = protocol.JudgedCount;
        int needed = ObjectiveEvaluator.PositivesToPromise(op.ConstraintValue);
        int allowed = ObjectiveEvaluator.MissesAllowed(n, op.ConstraintValue);
        int atPoint = (int)Math.Floor((1 - op.ConstraintValue) * n + 1e-9);
        string where = protocol.UsesFolds ? "the development pool" : "the validation split";
        if (allowed < 0)
            return string.Create(inv, $"too few '{name}' images for the request: promising sensitivity ≥ {op.ConstraintValue:0.00} on new patients needs the threshold set on at least {needed} of them, all caught, and {where} holds {n}. The run meets the floor on the images at hand and says how far that is known to hold; {needed - n} more '{name}' images would make the promise possible");
        if (allowed < atPoint / 2.0)
            return string.Create(inv, $"barely enough '{name}' images for the request: to promise sensitivity ≥ {op.ConstraintValue:0.00} on new patients from the {n} in {where}, the threshold may miss at most {allowed} of them (meeting the floor on these images alone would allow {atPoint}), which can cost many false alarms; if it does, the run asks before the test look");
        return null;
    }

    private static (Splits Splits, DevelopmentProtocol Protocol) ChooseProtocol(Splits splits, IReadOnlyList<string> classes, TaskSpec spec, string requested,
        double trialSeconds)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(spec);
        var inv = CultureInfo.InvariantCulture;
        var pool = splits.Pool();
        int priority = spec.ReportedClassIndex(classes);
        if (priority < 0)
            priority = Enumerable.Range(0, classes.Count).Where(c => pool.Any(i => i.Label == c)).OrderBy(c => pool.Count(i => i.Label == c)).ThenBy(c => c).FirstOrDefault();
        string name = classes[priority];
        int inVal = splits.Val.Count(i => i.Label == priority);
        int inPool = pool.Count(i => i.Label == priority);
        int groups = pool.Where(i => i.Label == priority).Select(i => i.Group ?? "item:" + i.Id).Distinct(StringComparer.Ordinal).Count();
        double valWidth = Wilson.HalfWidth(0.8, inVal), poolWidth = Wilson.HalfWidth(0.8, inPool);
        string evidence = string.Create(inv,
            $"the validation split holds {inVal} '{name}' image(s): a sensitivity near 0.8 measured on them is known to ±{valWidth:0.00} (95% Wilson interval)");
        DevelopmentProtocol HoldOut(string why) => new(DevelopmentProtocol.HoldOut, 1, why, name, inVal, inVal, valWidth, valWidth);

        if (requested is not ("auto" or "holdout" or "folds"))
            throw new ClinforgeException($"--protocol: '{requested}' is not one of auto, holdout, folds.");
        if (spec.Task != TaskKind.Classification) return (splits, HoldOut("hold-out validation: cross-validation is implemented for classification"));
        if (spec.Confounders.Count > 0)
            return (splits, HoldOut($"hold-out validation: the request names a confounder, and the debiasing rule measures reliance on it on the validation split; {evidence}"));
        if (requested == "holdout") return (splits, HoldOut($"hold-out validation, as asked (--protocol holdout); {evidence}"));
        if (requested == "auto" && inVal >= MinValidationCases)
            return (splits, HoldOut($"hold-out validation: {evidence}, enough to tell changes apart (rule: folds below {MinValidationCases})"));
        if (requested == "auto" && pool.Count > MaxPoolForFolds)
            return (splits, HoldOut(string.Create(inv, $"hold-out validation: {evidence}, but the development pool has {pool.Count:N0} images, more than the {MaxPoolForFolds:N0} up to which each fold model still gets enough training time")));
        int k = Math.Min(DefaultFolds, groups);
        if (requested == "auto" && trialSeconds / k < MinFoldSeconds)
            return (splits, HoldOut(string.Create(inv, $"hold-out validation: {evidence}, but a trial of {trialSeconds:0} s would leave each of {k} fold models {trialSeconds / k:0} s, under the {MinFoldSeconds:0} s a fold needs; give trials more time (--trial-minutes) or ask for folds (--protocol folds)")));
        if (k < 3)
            return (splits, HoldOut($"hold-out validation: only {groups} patient group(s) hold '{name}', too few for folds that each contain one; {evidence}"));
        var folded = Splitter.WithFolds(splits, classes.Count, k);
        string why = string.Create(inv,
            $"{k}-fold cross-validation{(requested == "folds" ? ", as asked (--protocol folds)" : "")}: {evidence}, too coarse to tell changes apart; folds judge every change on all {inPool} development '{name}' images (±{poolWidth:0.00}), each predicted by a model that never saw it (rule: folds when validation holds fewer than {MinValidationCases} and the pool has at most {MaxPoolForFolds:N0} images)");
        return (folded, new DevelopmentProtocol(DevelopmentProtocol.CrossValidation, k, why, name, inVal, inPool, valWidth, poolWidth));
    }
}
