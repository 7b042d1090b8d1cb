using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Answers a clinician's questions about a run from its journal alone (offline templates):
/// "what changed in round 7?", "why was round 9 discarded?", "why did you add focal loss?".
/// Every sentence is built from recorded fields; nothing is inferred that the journal does not hold.
/// </summary>
public static partial class Explainer
{
    /// <summary>The answer to <paramref name="question"/> (or about <paramref name="round"/>, or a summary when both are null).</summary>
    /// <remarks><paramref name="decisions"/>: the journaled acceptance decisions by trial (a run with a non-default rule, e.g. the shortcut rule); they replace the objective wording.</remarks>
    public static string Answer(IReadOnlyList<TrialRecord> trials, Objective objective, int? round, string? question, TradeOffDecision? tradeOff = null,
        IReadOnlyDictionary<int, string>? decisions = null)
    {
        if (trials.Count == 0) return "No trial has finished in this run yet, so there is nothing to explain.";
        if (question is not null && tradeOff is not null && TradeOffPattern().IsMatch(question)) return Explain(tradeOff);
        round ??= question is null ? null : RoundIn(question);
        if (round is { } n)
        {
            var t = trials.FirstOrDefault(x => x.Number == n);
            return t is null
                ? $"There is no round {n} in this run: rounds 0 to {trials[^1].Number} were recorded."
                : Explain(t, objective, decisions?.GetValueOrDefault(t.Number));
        }
        if (question is not null)
        {
            var match = BestMatch(trials, question);
            return match is null
                ? $"I could not tie the question to a recorded change. The changes tried were: {string.Join("; ", trials.Skip(1).Select(t => $"round {t.Number}: {t.Change}"))}."
                : Explain(match, objective, decisions?.GetValueOrDefault(match.Number));
        }
        return Summary(trials, objective);
    }

    /// <summary>One round in plain words: what changed, why, its source, the result and the decision.</summary>
    public static string Explain(TrialRecord t, Objective objective, string? decision = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (t.Number == 0)
            sb.Append("Round 0 trained the starting recipe planned from the task spec and the data card.");
        else
            sb.Append($"Round {t.Number} tried: {t.Change}. Why: {t.Reason}");
        if (t.Source is not null) sb.Append($" (technique: {t.Source})");
        sb.Append(' ');
        if (t.Status != TrialStatus.Succeeded)
        {
            sb.Append($"The trial {(t.Status == TrialStatus.TimedOut ? "ran out of time" : "failed")}: {t.Diagnosis ?? "no diagnosis recorded"}. It was recorded and the loop carried on.");
            return sb.ToString();
        }
        if (decision is not null && t.Number > 0)
        {
            // The rule that decided (journaled with its numbers), instead of the plain objective wording.
            sb.Append($"The acceptance rule decided ({decision})");
            return sb.ToString();
        }
        string value = t.Objective?.ToString("0.0000", inv) ?? "n/a";
        string before = t.BestBefore?.ToString("0.0000", inv) ?? "none";
        if (t.Number == 0)
            sb.Append($"It reached {objective.Describe()} = {value} on validation and became the first best model.");
        else if (t.Accepted)
            sb.Append($"On validation, {objective.Describe()} went from {before} (best so far) to {value}, an improvement larger than the {objective.MinImprovement.ToString("0.000", inv)} needed, so the change was kept.");
        else
            sb.Append($"On validation, {objective.Describe()} was {value} against the best so far of {before}; it did not improve by at least {objective.MinImprovement.ToString("0.000", inv)}, so the change was discarded and later rounds started from the earlier best recipe.");
        return sb.ToString();
    }

    /// <summary>The operating-point decision in plain words: the conflict, the options, who chose and why.</summary>
    public static string Explain(TradeOffDecision d)
    {
        var inv = CultureInfo.InvariantCulture;
        var floors = string.Join(" and ", d.Requirements.Select(r => $"{r.Metric} of at least {r.Minimum.ToString("0.##", inv)}"));
        var options = string.Join("; ", d.Options.Select(o => $"{o.Key} (sensitivity {o.Sensitivity.ToString("0.000", inv)}, specificity {o.Specificity.ToString("0.000", inv)})"));
        var situation = d.Question is { } q
            ? $"On validation, the best model (round {d.Trial}): {q} "
            : $"You asked for {floors}. On validation, the best model (round {d.Trial}) could not meet both at any threshold. ";
        return situation +
               $"The achievable points were: {options}. The {(d.ChosenBy == "clinician" ? "choice was yours" : "run was unattended, so your stated priority decided")}: {d.Chosen.Description}. " +
               "This was settled on validation, before the test split was opened, and the test threshold follows it.";
    }

    private static string Summary(IReadOnlyList<TrialRecord> trials, Objective objective)
    {
        var kept = trials.Where(t => t.Accepted).ToList();
        var best = TrialRecord.Best(trials);
        var sb = new StringBuilder($"{trials.Count} trial(s) were run; {kept.Count} kept, {trials.Count(t => !t.Accepted && t.Status == TrialStatus.Succeeded)} discarded, {trials.Count(t => t.Status != TrialStatus.Succeeded)} failed. ");
        if (best is not null)
            sb.Append($"The final model is round {best.Number} with {objective.Describe()} = {best.Objective?.ToString("0.0000", CultureInfo.InvariantCulture)} on validation. ");
        sb.Append("Kept changes: ").Append(kept.Count <= 1 ? "none beyond the starting recipe." : string.Join("; ", kept.Skip(1).Select(t => $"round {t.Number}: {t.Change}")) + ".");
        return sb.ToString();
    }

    /// <summary>"round 7", "trial 7", "#7" → 7.</summary>
    private static int? RoundIn(string question)
    {
        var m = RoundPattern().Match(question);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The round whose move and change share the most words with the question (ties: the earliest).</summary>
    private static TrialRecord? BestMatch(IReadOnlyList<TrialRecord> trials, string question)
    {
        var words = Words(question);
        var scored = trials.Skip(1)
            .Select(t => (t, score: Words(t.Move.Replace('_', ' ') + " " + t.Change).Count(words.Contains)))
            .Where(x => x.score > 0)
            .OrderByDescending(x => x.score).ThenBy(x => x.t.Number)
            .ToList();
        return scored.Count == 0 ? null : scored[0].t;
    }

    private static readonly HashSet<string> s_stop = new(StringComparer.OrdinalIgnoreCase)
    { "why", "did", "you", "the", "a", "an", "add", "use", "was", "what", "in", "on", "of", "to", "is", "it", "and", "change", "changed", "round", "trial", "discarded", "kept", "how", "from" };

    private static HashSet<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => !s_stop.Contains(w) && w.Length > 1).ToHashSet();

    [GeneratedRegex(@"(?:round|trial|#)\s*(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex RoundPattern();

    [GeneratedRegex(@"operating point|threshold|trade-?off|cut-?off|sensitivity|specificity", RegexOptions.IgnoreCase)]
    private static partial Regex TradeOffPattern();

    [GeneratedRegex(@"[a-z0-9]+")]
    private static partial Regex WordPattern();
}
