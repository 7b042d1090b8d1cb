using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// trials/NNN/slurm_job.json: the job that runs (or ran) a trial, written as soon as sbatch answers,
/// so that a loop killed with SIGKILL can find the job again on resume.
/// </summary>
/// <param name="JobId">Slurm's job id</param>
/// <param name="Attempt">1 for the first submission, then one more for each resubmission after the cluster lost the job</param>
/// <param name="BudgetSeconds">the trial budget the job was submitted with (a job for another budget is not reattached)</param>
/// <param name="TimeLimitMinutes">the job's --time</param>
/// <param name="Submitted">when sbatch was called</param>
/// <param name="CancelledByClinforge">true when the loop itself cancelled the job (Ctrl-C, stop): the trial is run again on resume</param>
public sealed record SlurmJobRecord(string JobId, int Attempt, double BudgetSeconds, int TimeLimitMinutes, DateTimeOffset Submitted, bool CancelledByClinforge = false)
{
    /// <summary>File name inside the trial folder.</summary>
    public const string FileName = TrialPaths.SlurmJobFile;
}
