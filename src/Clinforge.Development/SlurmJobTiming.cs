using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// trials/NNN/slurm_timing.json: what running the trial on Slurm cost beyond the trial itself, in
/// seconds: from sbatch's answer to the batch script starting on its node, and from the script's end
/// to the loop having the trial's result (null when not measurable, e.g. a job killed by Slurm).
/// </summary>
public sealed record SlurmJobTiming(string JobId, double? SubmitToStartSeconds, double? EndToRecordSeconds)
{
    /// <summary>File name inside the trial folder.</summary>
    public const string FileName = TrialPaths.SlurmTimingFile;
}
