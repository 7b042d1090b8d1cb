using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>
/// Trade-off negotiation: when the clinician stated floors for both sensitivity and
/// specificity, check them on the validation predictions of the chosen model. If no threshold meets
/// both, lay out what is achievable — keep the sensitivity floor, keep the specificity floor, or the
/// balanced (Youden) point — and let the clinician choose; unattended, follow the stated error
/// preference. The decision is journaled and written to final/trade_off.json before the test look,
/// so the choice is made on validation only.
/// </summary>
public static class TradeOffs
{
    /// <summary>Key of the option that keeps the sensitivity floor.</summary>
    public const string SensitivityFirst = "sensitivity_first";
    /// <summary>Key of the option that keeps the specificity floor.</summary>
    public const string SpecificityFirst = "specificity_first";
    /// <summary>Key of the balanced (Youden) option.</summary>
    public const string Balanced = "balanced";

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

    /// <summary>The option the stated priority picks: the floor of the error the clinician fears most, else the first stated floor.</summary>
    public static OperatingOption ByPriority(TaskSpec spec, IReadOnlyList<OperatingOption> options)
    {
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
        if (card.Classes.Count != 2 || spec.Requirements.Count < 2) return null;
        var best = TrialRecord.Best(journal.Trials());
        if (best is null) return null;
        int positive = spec.ReportedClassIndex(card.Classes);
        var val = PredictionTable.Read(run.Trial(best.Number).ValPredictions);
        var labels = val.Labels.Select(l => l == positive ? 1 : 0).ToArray();
        var scores = val.Probabilities.Select(p => p[positive]).ToArray();
        var options = Conflict(spec, labels, scores);
        if (options is null) return null;

        var floors = string.Join(" and ", spec.Requirements.Select(r => $"{r.Metric} ≥ {P(r.Minimum)}"));
        journal.Event("question", $"On validation, the best model (trial {best.Number}) cannot reach {floors} at any threshold. Options: " +
            string.Join("; ", options.Select(o => $"[{o.Key}] {o.Description}")), best.Number, Json.Serialize(options));
        var answered = ask?.Invoke(options);
        var chosen = answered ?? ByPriority(spec, options);
        var decision = new TradeOffDecision
        {
            Requirements = spec.Requirements,
            Trial = best.Number,
            Options = options,
            Chosen = chosen,
            ChosenBy = answered is null ? "stated priority" : "clinician",
            Reason = answered is null
                ? $"unattended run: the request's priority is {spec.ErrorPreference.ToString().ToLowerInvariant()} (\"{spec.Provenance.GetValueOrDefault("error_preference", "default")}\"), so: {chosen.Description}"
                : $"chosen by the clinician: {chosen.Description}",
            DecidedAt = DateTimeOffset.UtcNow,
        };
        Json.Write(run.TradeOff, decision);
        journal.Event(answered is null ? "decision" : "answer", $"operating point: {decision.Reason}", best.Number, Json.Serialize(decision));
        return decision;
    }

    /// <summary>
    /// The options when the best model's validation predictions cannot meet every stated floor and
    /// nothing was decided yet; null otherwise. Used to park a run for a choice made elsewhere (the web app).
    /// </summary>
    public static IReadOnlyList<OperatingOption>? Undecided(RunPaths run, Journal journal, TaskSpec spec, DataCard card)
    {
        if (File.Exists(run.TradeOff) || card.Classes.Count != 2 || spec.Requirements.Count < 2) return null;
        var best = TrialRecord.Best(journal.Trials());
        if (best is null) return null;
        int positive = spec.ReportedClassIndex(card.Classes);
        var val = PredictionTable.Read(run.Trial(best.Number).ValPredictions);
        return Conflict(spec, val.Labels.Select(l => l == positive ? 1 : 0).ToArray(), val.Probabilities.Select(p => p[positive]).ToArray());
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
