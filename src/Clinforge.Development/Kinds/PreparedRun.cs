using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// A new run as a kind prepared it: the understood request, the sealed splits and the data card.
/// <see cref="Complete"/>, when set, finishes what needs the run folder (such as a debiasing run's
/// confounder labels) before the spec marks the run prepared, and returns the card to write.
/// </summary>
public sealed record PreparedRun(TaskSpec Spec, Splits Splits, DataCard Card)
{
    /// <summary>Work that needs the run folder and journal; returns the data card to write.</summary>
    public Func<RunPaths, Journal, DataCard>? Complete { get; init; }
}
