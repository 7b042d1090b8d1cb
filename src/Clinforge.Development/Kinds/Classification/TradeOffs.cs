using System.Globalization;
using Clinforge.Core;
using static Clinforge.Core.TradeOffKeys;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// Trade-off negotiation, on the validation (or pooled out-of-fold) predictions of the chosen model,
/// before the test look. Two situations need the clinician:
/// <list type="bullet">
/// <item>Conflicting floors: sensitivity and specificity floors were both stated and no threshold
/// meets both. The options: keep the sensitivity floor, keep the specificity floor, or the balanced
/// (Youden) point.</item>
/// <item>A costly margin: a sensitivity floor is met for new patients at its lower confidence bound
/// (<see cref="ObjectiveEvaluator.ChooseThresholdForNewPatients"/>), and with few positives that
/// margin can force the threshold so low that nearly every case is flagged. When the margin costs
/// more than half of the specificity the floor allows at its point estimate (and at least
/// <see cref="MarginCostFloor"/> of it), the options are: promise the floor (flag nearly all),
/// meet it on these images only, or the balanced point.</item>
/// </list>
/// The clinician chooses; unattended, the stated error preference decides. The decision is journaled
/// and written to final/trade_off.json before the test look, so the choice is made on validation only.
/// </summary>
public static class TradeOffs
{
    /// <summary>The smallest loss of specificity (absolute) that makes the margin for new patients worth a question.</summary>
    public const double MarginCostFloor = 0.10;

    /// <summary>
    /// The achievable options when the spec's sensitivity and specificity floors cannot both be met on
    /// these validation labels and positive scores; null when there is nothing to negotiate (fewer
    /// than two floors, or some threshold meets them all).
    /// </summary>
    public static IReadOnlyList<OperatingOption>? Conflict(TaskSpec spec, IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores)
    {
        var sens = spec.Requirements.FirstOrDefault(r => r.Metric == "sensitivity");
        var spec2 = spec.Requirements.FirstOrDefault(r => r.Metric == "specificity");
        if (sens is null || spec2 is null) return null;
        var (bestSpec, tSens) = BinaryMetrics.SpecificityAtSensitivity(binaryLabels, scores, sens.Minimum);
        if (double.IsNaN(tSens)) return null;
        if (bestSpec >= spec2.Minimum) return null; // both floors met at one threshold
        var (_, tSpec) = BinaryMetrics.SensitivityAtSpecificity(binaryLabels, scores, spec2.Minimum);
        double tYouden = BinaryMetrics.YoudenThreshold(binaryLabels, scores);
        OperatingOption At(string key, double t, OperatingPoint? op, Func<Confusion, string> describe)
        {
            var c = BinaryMetrics.ConfusionAt(binaryLabels, scores, t);
            return new OperatingOption(key, describe(c), t, c.Sensitivity, c.Specificity, op);
        }
        return
        [
            At(SensitivityFirst, tSens, new OperatingPoint("specificity", "sensitivity", sens.Minimum),
                c => $"keep sensitivity ≥ {P(sens.Minimum)}: specificity falls to {P(c.Specificity)} (asked ≥ {P(spec2.Minimum)})"),
            At(SpecificityFirst, tSpec, new OperatingPoint("sensitivity", "specificity", spec2.Minimum),
                c => $"keep specificity ≥ {P(spec2.Minimum)}: sensitivity falls to {P(c.Sensitivity)} (asked ≥ {P(sens.Minimum)})"),
            At(Balanced, tYouden, null,
                c => $"balance the two (Youden): sensitivity {P(c.Sensitivity)}, specificity {P(c.Specificity)}; neither floor is guaranteed"),
        ];
    }

    /// <summary>
    /// The options when meeting the spec's sensitivity floor at its lower confidence bound costs most of
    /// the specificity that meeting it at the point estimate leaves (see the type's remarks), with the
    /// question in words; null when the margin is affordable or there is no sensitivity floor.
    /// </summary>
    public static (IReadOnlyList<OperatingOption> Options, string Question)? MarginCost(TaskSpec spec, IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores)
    {
        var objective = Objective.From(spec);
        if (objective.OperatingPoint is not { Maximize: "specificity", Constraint: "sensitivity", PointEstimate: false } op) return null;
        var margin = ObjectiveEvaluator.ChooseThresholdForNewPatients(objective, binaryLabels, scores).Threshold;
        var point = ObjectiveEvaluator.ChooseThreshold(objective, binaryLabels, scores).Threshold;
        if (double.IsNaN(margin) || double.IsNaN(point)) return null;
        var atMargin = BinaryMetrics.ConfusionAt(binaryLabels, scores, margin);
        var atPoint = BinaryMetrics.ConfusionAt(binaryLabels, scores, point);
        double lost = atPoint.Specificity - atMargin.Specificity;
        if (lost < MarginCostFloor || atMargin.Specificity >= atPoint.Specificity / 2) return null;

        int positives = atMargin.Tp + atMargin.Fn;
        double level = 2 * ObjectiveEvaluator.FloorConfidence - 1;
        double LowerBound(Confusion c) => Wilson.Interval(c.Tp, positives, level).Lower;
        var floor = P(op.ConstraintValue);
        var confidence = P(ObjectiveEvaluator.FloorConfidence);
        var options = new List<OperatingOption>
        {
            new(PromiseFloor,
                $"promise sensitivity ≥ {floor} on new patients ({atMargin.Tp} of {positives} positives caught here, lower {confidence} bound {LowerBound(atMargin):0.000}): specificity {P(atMargin.Specificity)}, so {P(1 - atMargin.Specificity)} of the cases without the condition are flagged",
                margin, atMargin.Sensitivity, atMargin.Specificity, op),
            new(PointEstimate,
                $"sensitivity ≥ {floor} on these images only ({atPoint.Tp} of {positives}); on new patients it is only known to be ≥ {LowerBound(atPoint):0.000}: specificity {P(atPoint.Specificity)}",
                point, atPoint.Sensitivity, atPoint.Specificity, op with { PointEstimate = true }),
        };
        double tYouden = BinaryMetrics.YoudenThreshold(binaryLabels, scores);
        var y = BinaryMetrics.ConfusionAt(binaryLabels, scores, tYouden);
        options.Add(new(Balanced, $"balance the two (Youden): sensitivity {P(y.Sensitivity)}, specificity {P(y.Specificity)}; the floor is not guaranteed", tYouden, y.Sensitivity, y.Specificity, null));
        var reach = LowerBound(atMargin) >= op.ConstraintValue
            ? $"To promise sensitivity ≥ {floor} on new patients with only {positives} positives to learn from, the threshold must catch {atMargin.Tp} of them (so that the lower {confidence} confidence bound reaches {op.ConstraintValue:0.00})"
            : $"With only {positives} positives, even catching all of them shows sensitivity on new patients to be only ≥ {LowerBound(atMargin):0.000} (lower {confidence} bound), short of {floor}, and catching them all";
        var question = $"{reach}; specificity then falls from {P(atPoint.Specificity)} (the floor met on these images only) to {P(atMargin.Specificity)}, " +
            $"so {P(1 - atMargin.Specificity)} of the cases without the condition would be flagged. More positives would make the promise cheaper.";
        return (options, question);
    }

    /// <summary>What must be decided on these predictions: conflicting floors first, else a costly margin; null when nothing.</summary>
    public static (IReadOnlyList<OperatingOption> Options, string Question)? Pending(TaskSpec spec, IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores)
    {
        if (Conflict(spec, binaryLabels, scores) is { } options)
        {
            var floors = string.Join(" and ", spec.Requirements.Select(r => $"{r.Metric} ≥ {P(r.Minimum)}"));
            return (options, $"The stated floors cannot all be met: no threshold reaches {floors}.");
        }
        return MarginCost(spec, binaryLabels, scores);
    }

    /// <summary>The option the stated priority picks: the floor of the error the clinician fears most, else the first stated floor.
    /// For a costly margin: the promise, unless the clinician fears false alarms more than misses.</summary>
    public static OperatingOption ByPriority(TaskSpec spec, IReadOnlyList<OperatingOption> options)
    {
        if (options.Any(o => o.Key == PromiseFloor))
            return options.First(o => o.Key == (spec.ErrorPreference == ErrorPreference.Specificity ? PointEstimate : PromiseFloor));
        var key = spec.ErrorPreference switch
        {
            ErrorPreference.Sensitivity => SensitivityFirst,
            ErrorPreference.Specificity => SpecificityFirst,
            _ => spec.Requirements[0].Metric == "sensitivity" ? SensitivityFirst : SpecificityFirst,
        };
        return options.First(o => o.Key == key);
    }

    /// <summary>
    /// Checks the best trial's validation predictions against the spec's floors; on a conflict asks
    /// <paramref name="ask"/> (null: unattended, follow the stated priority), journals the question
    /// and the decision, and writes final/trade_off.json. Returns the decision, or null when nothing
    /// had to be decided. A decision already on disk (a resumed run) is kept, not re-asked.
    /// </summary>
    public static TradeOffDecision? Negotiate(RunPaths run, Journal journal, TaskSpec spec, DataCard card,
        Func<IReadOnlyList<OperatingOption>, OperatingOption?>? ask)
    {
        if (File.Exists(run.TradeOff)) return Json.Read<TradeOffDecision>(run.TradeOff);
        if (Find(run, journal, spec, card) is not { } found) return null;
        var (best, options, question) = found;

        journal.Event("question", $"On validation, the best model (trial {best}): {question} Options: " +
            string.Join("; ", options.Select(o => $"[{o.Key}] {o.Description}")), best, Json.Serialize(options));
        var answered = ask?.Invoke(options);
        var chosen = answered ?? ByPriority(spec, options);
        var decision = new TradeOffDecision
        {
            Requirements = spec.Requirements,
            Trial = best,
            Options = options,
            Chosen = chosen,
            ChosenBy = answered is null ? "stated priority" : "clinician",
            Reason = answered is null
                ? $"unattended run: the request's priority is {spec.ErrorPreference.ToString().ToLowerInvariant()} (\"{spec.Provenance.GetValueOrDefault("error_preference", "default")}\"), so: {chosen.Description}"
                : $"chosen by the clinician: {chosen.Description}",
            DecidedAt = DateTimeOffset.UtcNow,
            Question = question,
        };
        Json.Write(run.TradeOff, decision);
        journal.Event(answered is null ? "decision" : "answer", $"operating point: {decision.Reason}", best, Json.Serialize(decision));
        return decision;
    }

    /// <summary>
    /// The options and the question when the best model's validation predictions leave an operating
    /// point to choose (see the type's remarks) and nothing was decided yet; null otherwise. Used to park a run for a choice made elsewhere (the web app).
    /// </summary>
    public static (IReadOnlyList<OperatingOption> Options, string Question)? Undecided(RunPaths run, Journal journal, TaskSpec spec, DataCard card) =>
        File.Exists(run.TradeOff) ? null : Find(run, journal, spec, card) is { } f ? (f.Options, f.Question) : null;

    /// <summary>The best trial and what its validation predictions leave to decide; null when nothing (or not a binary task).</summary>
    private static (int Trial, IReadOnlyList<OperatingOption> Options, string Question)? Find(RunPaths run, Journal journal, TaskSpec spec, DataCard card)
    {
        if (card.Classes.Count != 2) return null;
        var best = TrialRecord.Best(journal.Trials());
        if (best is null) return null;
        int positive = spec.ReportedClassIndex(card.Classes);
        var val = PredictionTable.Read(run.Trial(best.Number).ValPredictions);
        var labels = val.Labels.Select(l => l == positive ? 1 : 0).ToArray();
        var scores = val.Probabilities.Select(p => p[positive]).ToArray();
        return Pending(spec, labels, scores) is { } p ? (best.Number, p.Options, p.Question) : null;
    }

    /// <summary>
    /// An asker that answers with the option named <paramref name="key"/> (a choice made before the
    /// question came up, e.g. in the web app after seeing the options); a key that is not offered is refused.
    /// </summary>
    public static Func<IReadOnlyList<OperatingOption>, OperatingOption?> Choose(string key) => options =>
        options.FirstOrDefault(o => o.Key == key)
        ?? throw new ClinforgeException($"--trade-off {key}: not one of the options offered ({string.Join(", ", options.Select(o => o.Key))}).");

    /// <summary>The objective whose threshold rule the final evaluation applies: the negotiated one when there is a decision.</summary>
    public static Objective ObjectiveFor(RunPaths run, TaskSpec spec)
    {
        var objective = Objective.From(spec);
        if (!File.Exists(run.TradeOff)) return objective;
        var chosen = Json.Read<TradeOffDecision>(run.TradeOff).Chosen;
        return chosen.OperatingPoint is { } op
            ? objective with { Metric = op.Maximize == "sensitivity" ? Metrics.SensitivityAtSpecificity : Metrics.SpecificityAtSensitivity, OperatingPoint = op }
            : objective with { Metric = Metrics.BalancedAccuracy, OperatingPoint = null };
    }

    private static string P(double v) => (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
