using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>One run as the workflow hands it to its task kind: the folder, the journal, the decisions so far and the services of the host.</summary>
public sealed record RunContext(RunPaths Run, Journal Journal, TaskSpec Spec, DataCard Card, RunSettings Settings, IWorkflowView View, IModelRuntime Runtime)
{
    /// <summary>Asks the clinician to choose an operating point when the stated floors conflict (null: nobody to ask).</summary>
    public Func<IReadOnlyList<OperatingOption>, OperatingOption?>? AskTradeOff { get; init; }

    /// <summary>The run's seed.</summary>
    public int Seed => Settings.Seed;
}
