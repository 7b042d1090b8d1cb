using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>The default: accept if the clinician's objective improved on validation (Algorithm 1 of Zhao et al. 2026).</summary>
public sealed class ObjectiveAcceptance(Objective objective) : IAcceptance
{
    /// <inheritdoc />
    public AcceptanceDecision Decide(TrialMetrics candidate, TrialMetrics? best, double? bestObjective)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        bool ok = candidate.Status == TrialStatus.Succeeded && candidate.Best?.Objective is { } v && objective.Better(v, bestObjective);
        return new(ok, "objective", ok ? "the objective improved on validation" : "the objective did not improve on validation");
    }
}
