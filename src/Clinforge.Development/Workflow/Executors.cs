using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>Where a run's trials execute: child processes on this machine, or one Slurm job each.</summary>
public static class Executors
{
    /// <summary>The executor for a run: checked against the cluster before the first trial is submitted.</summary>
    public static IExecutor Create(RunPaths run, RunSettings settings, TrialLauncher launcher, IWorkflowView view)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(view);
        if (settings.Executor == "slurm")
        {
            var slurm = new SlurmExecutor(launcher, settings.Slurm ?? new SlurmSettings(), settings.Threads);
            slurm.Check(run);
            view.Line($"Slurm, one job per trial ({slurm.Describe()}); the loop, the journal and the test look stay on this machine.", Tone.Heading, "Executor");
            return slurm;
        }
        // A run moved from Slurm to local: jobs it left queued or running must not train beside the local trials.
        if (Directory.Exists(run.TrialsDir) && Directory.EnumerateFiles(run.TrialsDir, SlurmJobRecord.FileName, SearchOption.AllDirectories).Any()
            && SlurmExecutor.CancelRecorded(run) is { Count: > 0 } cancelled)
            view.Line($"Cancelled Slurm job(s) {string.Join(", ", cancelled)} left by this run: its trials now run locally.");
        // With --threads 0 the runner splits the cores between the trials running at once (see LocalProcessTrialRunner).
        return new LocalProcessTrialRunner(launcher, settings.Threads, foldWorkers: settings.FoldWorkers);
    }
}
