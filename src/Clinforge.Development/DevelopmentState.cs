using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>What the proposer sees: the spec, the data card, every finished trial with its metrics, and the current best.</summary>
public sealed record DevelopmentState(
    TaskSpec Spec,
    DataCard Card,
    IReadOnlyList<(TrialRecord Record, Recipe Recipe, TrialMetrics? Metrics)> History,
    Recipe BestRecipe,
    TrialMetrics? BestMetrics)
{
    /// <summary>Proposals already chosen for this round of parallel trials (not to be proposed twice).</summary>
    public IReadOnlyList<Proposal> Pending { get; init; } = [];

    /// <summary>Teacher–student rounds of the best trial (its pseudo_labels.json), or null: detection only.</summary>
    public IReadOnlyList<PseudoLabelRound>? BestPseudoLabelRounds { get; init; }

    /// <summary>Whether <paramref name="recipe"/> trains the same pipeline as the best, a finished (not a search) or a pending trial.</summary>
    public bool AlreadyTried(Recipe recipe) =>
        PlaybookProposer.Same(recipe, BestRecipe)
        // A successive-halving trial trained its resolved recipe on only part of its budget: training
        // that recipe with the whole budget is a different experiment.
        || History.Any(h => h.Metrics?.Search is null && PlaybookProposer.Same(h.Recipe, recipe))
        || Pending.Any(p => PlaybookProposer.Same(p.Recipe, recipe));
}
