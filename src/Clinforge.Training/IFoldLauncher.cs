namespace Clinforge.Training;

/// <summary>
/// Starts one fold of a cross-validated trial in a child process and waits for it (implemented by the
/// program that knows how to start itself). The child writes the fold's files in its fold folder; the
/// trial reads them back exactly as it reads a fold finished before a restart.
/// </summary>
public interface IFoldLauncher
{
    /// <summary>How many folds may train at once: one process each, the trial's threads split between them.</summary>
    int Workers { get; }

    /// <summary>
    /// Trains fold <paramref name="fold"/> with <paramref name="threads"/> torch threads until
    /// <paramref name="untilUtc"/>; reports the fold's progress (0–1) through <paramref name="fraction"/>;
    /// returns the child's exit code (0 when the fold finished), or throws when it could not start.
    /// </summary>
    int Run(int fold, DateTime untilUtc, int threads, Action<double> fraction);
}
