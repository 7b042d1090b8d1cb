using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The local executor: runs each trial as a child process (<c>clinforge trial</c>), so a native crash, an out-of-memory
/// kill or a hang cannot take the loop down. The child is killed after the budget plus a grace
/// period; whatever it left (best checkpoint so far) stays in the trial folder. A child may take up to
/// one more budget for one-time work it does for the whole run (frozen-stage outputs later trials read
/// from the cache): it reports each such extension on stdout (<c>@prepared SECONDS</c>) and the limit
/// moves by as much, so the first trial of a pretrained run is not judged on less training time than the rest.
/// </summary>
/// <param name="launcher">how to start the clinforge program</param>
/// <param name="threads">torch threads per trial; 0 splits the cores evenly between the trials running at once.</param>
/// <param name="graceFraction">extra time after the budget, as a fraction of it, before the child is killed</param>
/// <param name="minGraceSeconds">the smallest grace period</param>
/// <param name="foldWorkers">folds of a cross-validated trial trained at once, one child process each; 0 lets the trial run one per two of its threads</param>
public sealed class LocalProcessTrialRunner(TrialLauncher launcher, int threads, double graceFraction = 0.25, double minGraceSeconds = 20, int foldWorkers = 0) : ITrialRunner
{
    /// <summary>Line prefix the child prints for progress.</summary>
    public const string ProgressPrefix = TrialProtocol.ProgressPrefix;

    /// <summary>Line prefix the child prints when it moves its deadline for one-time work (seconds follow).</summary>
    public const string PreparedPrefix = TrialProtocol.PreparedPrefix;

    /// <inheritdoc />
    public TrialMetrics Run(RunPaths run, int number, TimeSpan budget, Action<TrialProgressReport>? progress, CancellationToken cancel, int concurrent = 1)
    {
        // Compute-bound training: more threads than cores per trial only adds contention.
        int torchThreads = threads > 0 ? threads : Math.Max(1, Environment.ProcessorCount / Math.Max(1, concurrent));
        var paths = run.Trial(number);
        if (File.Exists(paths.Metrics)) File.Delete(paths.Metrics); // a re-run replaces an interrupted attempt
        var psi = new ProcessStartInfo(launcher.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in launcher.PrefixArguments) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "trial", "--run", run.Root, "--trial", number.ToString(CultureInfo.InvariantCulture),
                     "--budget-seconds", budget.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture),
                     "--preparation-allowance", budget.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture),
                     "--threads", torchThreads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        if (foldWorkers > 0) foreach (var a in new[] { "--fold-workers", foldWorkers.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);

        var stderr = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = psi };
        long preparedTicks = 0; // written by the reader thread, read by the wait loop
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            if (progress is not null && ParseProgress(line) is { } report) progress(report);
            if (ParsePrepared(line) is { } extra) Interlocked.Add(ref preparedTicks, extra.Ticks);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var limit = budget + TimeSpan.FromSeconds(Math.Max(minGraceSeconds, budget.TotalSeconds * graceFraction));
        bool exited = false;
        while (!exited)
        {
            exited = process.WaitForExit(200);
            // The child's one-time work extends the limit by at most one budget, whatever it reports.
            var prepared = TimeSpan.FromTicks(Math.Min(Interlocked.Read(ref preparedTicks), budget.Ticks));
            if (!exited && (clock.Elapsed > limit + prepared || cancel.IsCancellationRequested))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                File.AppendAllText(paths.Log, $"killed by the developer loop after {clock.Elapsed.TotalSeconds:F0}s (budget {budget.TotalSeconds:F0}s{(prepared > TimeSpan.Zero ? $", {prepared.TotalSeconds:F0}s more for one-time work" : "")})\n");
                return new TrialMetrics
                {
                    Status = TrialStatus.TimedOut,
                    Error = cancel.IsCancellationRequested ? "cancelled" : $"exceeded its budget of {budget.TotalSeconds:F0}s plus grace",
                    Diagnosis = "The trial did not finish in time: a smaller model, lower resolution or fewer epochs is needed.",
                    FailureKind = TrialFailure.TimedOut,
                };
            }
        }
        process.WaitForExit(); // flush async readers
        if (process.ExitCode == 0 && File.Exists(paths.Metrics))
            return Json.Read<TrialMetrics>(paths.Metrics);

        string err = stderr.ToString();
        string tail = string.Join('\n', err.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(5));
        File.AppendAllText(paths.Log, $"trial process exited with code {process.ExitCode}\n{err}\n");
        if (File.Exists(paths.Metrics))
        {
            var written = Json.Read<TrialMetrics>(paths.Metrics);
            if (written.Status != TrialStatus.Succeeded) return written;
        }
        return new TrialMetrics { Status = TrialStatus.Failed, Error = $"exit code {process.ExitCode}: {tail}", Diagnosis = Diagnose(process.ExitCode, err), FailureKind = Kind(process.ExitCode, err) };
    }

    /// <summary>A progress line of a trial's stdout ("@progress epoch planned fraction best|-"), or null for any other line.</summary>
    public static TrialProgressReport? ParseProgress(string line)
    {
        if (!line.StartsWith(ProgressPrefix, StringComparison.Ordinal)) return null;
        var parts = line[ProgressPrefix.Length..].Split(' ');
        return parts.Length >= 4
            && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var planned)
            && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction)
            ? new TrialProgressReport(epoch, planned, fraction, parts[3] == "-" ? null : double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) ? b : null)
            : null;
    }

    /// <summary>The extension a "@prepared SECONDS" line of a trial's stdout reports, or null for any other line.</summary>
    public static TimeSpan? ParsePrepared(string line) =>
        line.StartsWith(PreparedPrefix, StringComparison.Ordinal)
        && double.TryParse(line.AsSpan(PreparedPrefix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
        && double.IsFinite(seconds) && seconds > 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2))
            : null;

    /// <summary>The <see cref="TrialFailure"/> kind of a crashed trial process, by the same evidence as <see cref="Diagnose"/>.</summary>
    public static string Kind(int exitCode, string stderr) =>
        exitCode == 137 || stderr.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || stderr.Contains("OutOfMemory", StringComparison.Ordinal) ? TrialFailure.OutOfMemory
        : stderr.Contains("nan", StringComparison.OrdinalIgnoreCase) ? TrialFailure.Diverged
        : exitCode is 134 or 139 ? TrialFailure.NativeCrash
        : TrialFailure.Error;

    /// <summary>Turns a crash into a diagnosis the playbook can answer.</summary>
    public static string Diagnose(int exitCode, string stderr)
    {
        if (exitCode == 137 || stderr.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || stderr.Contains("OutOfMemory", StringComparison.Ordinal))
            return "out of memory: use a smaller batch, model or resolution";
        if (stderr.Contains("nan", StringComparison.OrdinalIgnoreCase))
            return "numerical failure (NaN): lower the learning rate or clip gradients";
        if (exitCode == 134 || exitCode == 139)
            return "native crash in the training library";
        return "the trial process failed; see its log.txt";
    }
}
