using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The offline proposer: the playbook of the run's task kind (<see cref="ITaskKind.Playbook"/>), a
/// table of established techniques, each a move with a condition read from the evidence and a
/// plain-language reason citing its source. Moves that were tried and discarded are not repeated; a
/// failed trial gets a repair move first (AIDE's debug step).
/// </summary>
public sealed class PlaybookProposer : IProposer
{
    /// <inheritdoc />
    public Proposal? Propose(DevelopmentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return TaskKinds.For(state.Spec, state.Card).Playbook.Propose(state);
    }

    /// <summary>The classification playbook's move names, for documentation and tests.</summary>
    public static IReadOnlyList<string> MoveNames => ClassificationPlaybook.MoveNames;

    /// <summary>Two recipes train the same pipeline (their explanations aside).</summary>
    public static bool Same(Recipe a, Recipe b) =>
        Json.Serialize(a.WithoutOrigins()) == Json.Serialize(b.WithoutOrigins());

    /// <summary>
    /// Whether a playbook move may be tried now: never again after a trial of it was discarded, once
    /// unless it is repeatable, at most three times, and not while a trial of it is pending.
    /// </summary>
    public static bool MayTry(DevelopmentState state, string move, bool repeatable)
    {
        ArgumentNullException.ThrowIfNull(state);
        var past = state.History.Select(h => h.Record).Where(t => t.Move == move).ToList();
        if (past.Any(t => !t.Accepted && t.Status == TrialStatus.Succeeded)) return false;
        if (past.Count > 0 && !repeatable) return false;
        return past.Count < 3 && !state.Pending.Any(p => p.Move == move);
    }

    /// <summary>Reads a learning curve (<see cref="LearningCurve.Diagnose"/>).</summary>
    public static CurveDiagnosis Diagnose(TrialMetrics? m) => LearningCurve.Diagnose(m);
}
