namespace Clinforge.Core;

/// <summary>Progress reported by a running trial.</summary>
public sealed record TrialProgressReport(int Epoch, int PlannedEpochs, double Fraction, double? Best);

/// <summary>
/// Runs one trial of a run under a time budget and returns what it measured (ML.NET AutoML-style
/// contract). The trial reads and writes only its run folder, so an executor may run it in a local
/// child process or as a job on a cluster node that sees the same folder; the loop, the journal and
/// the sealed test stay with the caller.
/// </summary>
public interface IExecutor
{
    /// <summary>
    /// Runs trial <paramref name="number"/> whose recipe is already in its folder; never throws for a
    /// failed trial. <paramref name="concurrent"/> is how many trials run at the same time, so the
    /// executor can share the cores between them. Cancelling stops the trial (nothing keeps running).
    /// </summary>
    TrialMetrics Run(RunPaths run, int number, TimeSpan budget, Action<TrialProgressReport>? progress, CancellationToken cancel, int concurrent = 1);
}
