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

    /// <summary>Reads a learning curve (<see cref="LearningCurve.Diagnose"/>).</summary>
    public static CurveDiagnosis Diagnose(TrialMetrics? m) => LearningCurve.Diagnose(m);
}
