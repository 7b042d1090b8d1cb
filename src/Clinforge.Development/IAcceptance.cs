using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>The verdict on one finished trial: kept or not, the rule that decided, and a plain reason (journaled).</summary>
public sealed record AcceptanceDecision(bool Accepted, string Rule, string Reason);

/// <summary>
/// When the developer loop keeps a trial. The loop stays one rule-agnostic step ("accept if the
/// contract says so"); the workflow picks the contract from the spec.
/// </summary>
public interface IAcceptance
{
    /// <summary>Decides on <paramref name="candidate"/> against the best kept trial so far (null before the first is kept).</summary>
    AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective);

    /// <summary>
    /// The same decision when the rule needs the trials' own files (their numbers in the run folder);
    /// the loop calls this one. By default it ignores the numbers.
    /// </summary>
    AcceptanceDecision Decide(int candidateNumber, int? bestNumber, TrialMetrics candidate, TrialMetrics? best, double? bestObjective) =>
        Decide(candidate, best, bestObjective);
}
