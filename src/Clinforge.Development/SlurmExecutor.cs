using System.Diagnostics;
using System.Globalization;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The Slurm executor: each trial is one batch job (<c>sbatch --parsable</c>) that runs
/// <c>clinforge trial</c> on a node seeing the run folder, supervised with <c>scontrol</c> (or
/// <c>sacct</c> once the controller has forgotten the job) and stopped with <c>scancel</c>. The job's
/// stdout and stderr go to <c>trials/NNN/slurm-JOBID.out/.err</c> and its id to
/// <c>trials/NNN/slurm_job.json</c> the moment sbatch answers; what the executor did is in
/// <c>trials/NNN/slurm.log</c>. The job's end is mapped to the same
/// outcomes, diagnoses and repair moves as a local trial: a time limit is a timed-out trial, an
/// out-of-memory kill an out-of-memory failure, a non-zero exit a failure diagnosed from its stderr.
/// A job the cluster lost (node failure, preemption) is submitted again, up to
/// <see cref="SlurmSettings.Retries"/> times.
/// </summary>
/// <remarks>
/// Reattaching (after the loop was killed): when the trial folder names a job that is still queued or
/// running for the same budget, the executor waits for that job instead of submitting another; a job
/// for a different budget is cancelled and the trial submitted again; a job that finished while the
/// loop was away is recorded from what it left (metrics.json, or Slurm's state). A job the loop
/// cancelled itself (Ctrl-C, stop) is submitted again.
/// </remarks>
/// <param name="launcher">how a node starts the clinforge program (the same path must exist there: a shared installation)</param>
/// <param name="settings">partition, account, CPUs, memory, GPUs, grace and retries</param>
/// <param name="threads">torch threads per trial when <see cref="SlurmSettings.Cpus"/> is 0 (0: 2)</param>
public sealed class SlurmExecutor(TrialLauncher launcher, SlurmSettings settings, int threads = 0) : ITrialRunner
{
    /// <summary>CPUs asked for each job (and torch threads of its trial).</summary>
    public int Cpus => settings.Cpus > 0 ? settings.Cpus : threads > 0 ? threads : 2;

    /// <summary>
    /// Asks sbatch whether a job with these settings could run (<c>--test-only</c>, nothing is
    /// submitted), so that a wrong partition, account or gres stops the run before its first trial.
    /// </summary>
    public void Check(RunPaths run)
    {
        var r = SlurmTools.Run("sbatch", [.. JobOptions(run, "check", TimeSpan.FromMinutes(1)), "--test-only", "--wrap", "true"]);
        if (r.ExitCode == 127) throw new ClinforgeException("--executor slurm: sbatch was not found on this machine; run clinforge on a Slurm submit host (or use --executor local).");
        if (!r.Ok) throw new ClinforgeException($"--executor slurm: Slurm refused a job with these settings ({Describe()}): {r.Stderr.Trim()}");
    }

    /// <summary>The settings in a line, for messages.</summary>
    public string Describe() =>
        $"partition {settings.Partition ?? "(default)"}, account {settings.Account ?? "(default)"}, {Cpus} CPUs, memory {settings.Memory ?? "(default)"}, gres {settings.Gres ?? "none"}";

    /// <inheritdoc />
    public TrialMetrics Run(RunPaths run, int number, TimeSpan budget, Action<TrialProgressReport>? progress, CancellationToken cancel, int concurrent = 1)
    {
        var paths = run.Trial(number);
        var recordFile = RecordFile(run, number);
        SlurmJobRecord? job = null;
        int attempt = 0;
        if (File.Exists(recordFile) && Json.Read<SlurmJobRecord>(recordFile) is { CancelledByClinforge: false } previous)
        {
            var state = Query(previous.JobId);
            if (state is { IsActive: true } && Math.Abs(previous.BudgetSeconds - budget.TotalSeconds) < 0.5)
            {
                Log(paths, $"slurm: reattached to job {previous.JobId} ({state.State}), submitted {previous.Submitted:u} before the developer loop stopped");
                job = previous;
                attempt = previous.Attempt;
            }
            else if (state is { IsActive: true })
            {
                Cancel(run, number, previous);
                Log(paths, $"slurm: cancelled job {previous.JobId}: it was submitted with a budget of {previous.BudgetSeconds:F0}s, this run asks {budget.TotalSeconds:F0}s");
            }
            else if (ExitFile(paths, previous.JobId) is { Code: 0 } && File.Exists(paths.Metrics))
            {
                Log(paths, $"slurm: job {previous.JobId} finished while the developer loop was away; recording what it left");
                return Json.Read<TrialMetrics>(paths.Metrics);
            }
            else if (state is not null)
            {
                Log(paths, $"slurm: job {previous.JobId} ended as {state.State} while the developer loop was away");
                var outcome = Outcome(paths, previous, state);
                if (outcome is not null) return outcome;
                attempt = previous.Attempt;
            }
        }

        while (true)
        {
            if (job is null)
            {
                if (cancel.IsCancellationRequested) return Cancelled();
                attempt++;
                job = Submit(run, number, budget, attempt);
                if (job is null)
                    return new TrialMetrics { Status = TrialStatus.Failed, Error = "sbatch refused the job (see slurm.log)", Diagnosis = "the cluster refused the job: check the Slurm settings (partition, account, memory, gres)", FailureKind = TrialFailure.Error };
            }
            var (state, metrics) = Supervise(run, number, job, progress, cancel);
            if (metrics is not null) return metrics;
            // The cluster lost the job (node failure, preemption): the recipe is not at fault, so it runs again.
            if (attempt <= settings.Retries && !cancel.IsCancellationRequested)
            {
                Log(paths, $"slurm: job {job.JobId} was ended by the cluster ({state!.State}); submitting the trial again (attempt {attempt + 1} of {settings.Retries + 1})");
                job = null;
                continue;
            }
            return new TrialMetrics
            {
                Status = TrialStatus.Failed,
                Error = $"Slurm job {job.JobId} ended as {state!.State} ({attempt} attempt(s))",
                Diagnosis = $"the cluster could not finish the trial ({state.State} on each of {attempt} attempts); the recipe was not judged",
                FailureKind = TrialFailure.Error,
            };
        }
    }

    /// <summary>
    /// Cancels the jobs recorded in the run's trial folders that are still queued or running (a stop
    /// from outside the loop, or a switch to the local executor); returns their ids.
    /// </summary>
    public static IReadOnlyList<string> CancelRecorded(RunPaths run)
    {
        var cancelled = new List<string>();
        if (!Directory.Exists(run.TrialsDir)) return cancelled;
        foreach (var dir in Directory.GetDirectories(run.TrialsDir).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(dir, SlurmJobRecord.FileName);
            if (!File.Exists(file) || !int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) continue;
            var job = Json.Read<SlurmJobRecord>(file);
            if (Query(job.JobId) is not { IsActive: true }) continue;
            Cancel(run, n, job);
            cancelled.Add(job.JobId);
        }
        return cancelled;
    }

    /// <summary>trials/NNN/slurm_job.json.</summary>
    public static string RecordFile(RunPaths run, int number) => run.Trial(number).SlurmJob;

    /// <summary>The job's state from <c>scontrol</c>, else <c>sacct</c>; null when neither knows it (or the controller does not answer).</summary>
    public static SlurmJobState? Query(string jobId)
    {
        var r = SlurmTools.Run("scontrol", ["show", "job", "-o", jobId]);
        if (r.Ok && SlurmJobState.FromScontrol(r.Stdout) is { } s) return s;
        var a = SlurmTools.Run("sacct", ["-n", "-X", "-P", "-j", jobId, "-o", "State,ExitCode,Start,End"]);
        return a.Ok ? SlurmJobState.FromSacct(a.Stdout) : null;
    }

    /// <summary>Submits trial <paramref name="number"/>; the record is written before anything else can fail. Null when sbatch refused.</summary>
    private SlurmJobRecord? Submit(RunPaths run, int number, TimeSpan budget, int attempt)
    {
        var paths = run.Trial(number);
        if (File.Exists(paths.Metrics)) File.Delete(paths.Metrics); // a new attempt replaces an interrupted one
        var script = paths.SlurmScript;
        bool oneTimeWork = MayDoOneTimeWork(paths);
        AtomicFile.WriteAllText(script, Script(run, number, budget, oneTimeWork));
        int minutes = settings.TimeLimitMinutes(budget, oneTimeWork);
        var submitted = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var r = SlurmTools.Run("sbatch", [.. JobOptions(run, number.ToString("D3", CultureInfo.InvariantCulture), budget, oneTimeWork), script], 60);
        if (!r.Ok)
        {
            Log(paths, $"slurm: sbatch refused trial {number} (exit {r.ExitCode}): {r.Stderr.Trim()}");
            return null;
        }
        // --parsable prints "jobid" or "jobid;cluster".
        var id = r.Stdout.Trim().Split(';')[0];
        var job = new SlurmJobRecord(id, attempt, budget.TotalSeconds, minutes, submitted);
        Json.Write(RecordFile(run, number), job);
        Log(paths, $"slurm: submitted job {id} (attempt {attempt}, time limit {minutes} min{(oneTimeWork ? " with one budget more for frozen features the run may not have cached yet" : "")}, {Describe()}; sbatch took {clock.Elapsed.TotalSeconds:F2}s)");
        return job;
    }

    /// <summary>
    /// Whether the trial's recipe may compute frozen features for the run (<see cref="Recipe.CachesFrozenFeatures"/>),
    /// which its job's time limit must then hold; a recipe that cannot be read asks for nothing more.
    /// </summary>
    private static bool MayDoOneTimeWork(TrialPaths paths)
    {
        try { return File.Exists(paths.Recipe) && Json.Read<Recipe>(paths.Recipe).CachesFrozenFeatures; }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or ClinforgeException) { return false; }
    }

    /// <summary>sbatch options for one job (without the script).</summary>
    private List<string> JobOptions(RunPaths run, string label, TimeSpan budget, bool oneTimeWork = false)
    {
        var o = new List<string>
        {
            "--parsable",
            $"--job-name=clinforge-{Path.GetFileName(run.Root.TrimEnd('/'))}-{label}",
            $"--time={settings.TimeLimitMinutes(budget, oneTimeWork)}",
            $"--cpus-per-task={Cpus}",
            "--ntasks=1",
            // Resubmission after a lost job is the executor's decision (journaled in log.txt), not Slurm's.
            "--no-requeue",
            $"--chdir={run.Root}",
        };
        if (label != "check")
        {
            var dir = Path.Combine(run.TrialsDir, label);
            o.Add($"--output={Path.Combine(dir, "slurm-%j.out")}");
            o.Add($"--error={Path.Combine(dir, "slurm-%j.err")}");
        }
        if (settings.Memory is { } m) o.Add($"--mem={m}");
        if (settings.Partition is { } p) o.Add($"--partition={p}");
        if (settings.Account is { } a) o.Add($"--account={a}");
        if (settings.Gres is { } g) o.Add($"--gres={g}");
        o.AddRange(settings.ExtraArguments);
        return o;
    }

    /// <summary>The batch script: marks its start, runs the trial, writes its exit code and end time (the fast path for the supervisor).</summary>
    private string Script(RunPaths run, int number, TimeSpan budget, bool oneTimeWork)
    {
        var args = launcher.PrefixArguments.Concat(["trial", "--run", run.Root, "--trial", number.ToString(CultureInfo.InvariantCulture),
            "--budget-seconds", budget.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture),
            "--preparation-allowance", settings.PreparationAllowanceSeconds(budget, oneTimeWork).ToString("F0", CultureInfo.InvariantCulture),
            "--threads", Cpus.ToString(CultureInfo.InvariantCulture)]);
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append($"# Clinforge trial {number} of {run.Root}: written by the developer loop, submitted with sbatch.\n");
        sb.Append($"dir={Quote(run.Trial(number).Root)}\n");
        sb.Append("date +%s.%N > \"$dir/slurm-$SLURM_JOB_ID.start\"\n");
        sb.Append(Quote(launcher.FileName)).Append(' ').AppendJoin(' ', args.Select(Quote)).Append('\n');
        sb.Append("code=$?\n");
        sb.Append("echo \"$code $(date +%s.%N)\" > \"$dir/slurm-$SLURM_JOB_ID.exit.tmp\" && mv -f \"$dir/slurm-$SLURM_JOB_ID.exit.tmp\" \"$dir/slurm-$SLURM_JOB_ID.exit\"\n");
        sb.Append("exit $code\n");
        return sb.ToString();
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Waits for the job: progress from its stdout, its end from the exit file it writes (fast) or from
    /// Slurm's state (time limit, cancellation, node failure, out of memory). Returns the trial's
    /// metrics, or the state alone when the cluster lost the job and it deserves another try.
    /// </summary>
    private (SlurmJobState? State, TrialMetrics? Metrics) Supervise(RunPaths run, int number, SlurmJobRecord job, Action<TrialProgressReport>? progress, CancellationToken cancel)
    {
        var paths = run.Trial(number);
        var stdout = Path.Combine(paths.Root, $"slurm-{job.JobId}.out");
        long offset = 0;
        var pending = new StringBuilder();
        var poll = TimeSpan.FromSeconds(settings.PollSeconds);
        var clock = Stopwatch.StartNew();
        // How long the job may go unseen by the controller before it counts as lost.
        var patience = TimeSpan.FromMinutes(job.TimeLimitMinutes) + TimeSpan.FromMinutes(10);
        DateTimeOffset lastSeen = DateTimeOffset.UtcNow;
        while (true)
        {
            if (cancel.IsCancellationRequested)
            {
                Cancel(run, number, job);
                Log(paths, $"slurm: cancelled job {job.JobId} (the developer loop was stopped)");
                return (null, Cancelled());
            }
            offset = ReadProgress(stdout, offset, pending, progress);
            if (ExitFile(paths, job.JobId) is { } exit && exit.Code == 0 && File.Exists(paths.Metrics))
            {
                ReadProgress(stdout, offset, pending, progress);
                Timing(paths, job, exit.End);
                return (null, Json.Read<TrialMetrics>(paths.Metrics));
            }
            var state = Query(job.JobId);
            if (state is not null) lastSeen = DateTimeOffset.UtcNow;
            if (state is { IsActive: false })
            {
                Timing(paths, job, ExitFile(paths, job.JobId)?.End);
                if (Outcome(paths, job, state) is { } metrics) return (state, metrics);
                return (state, null);
            }
            if (state is null && DateTimeOffset.UtcNow - lastSeen > patience)
            {
                Log(paths, $"slurm: job {job.JobId} has not been seen by scontrol or sacct for {patience.TotalMinutes:F0} min; counting it as lost");
                return (new SlurmJobState("LOST", 0, 0, null, null, null), null);
            }
            Thread.Sleep(clock.Elapsed < TimeSpan.FromSeconds(5) ? TimeSpan.FromMilliseconds(Math.Min(250, poll.TotalMilliseconds)) : poll);
        }
    }

    /// <summary>A finished job as a trial outcome (null: the cluster lost it, try again).</summary>
    public static TrialMetrics? Outcome(TrialPaths paths, SlurmJobRecord job, SlurmJobState state)
    {
        if (state.LostByCluster) return null;
        var stderr = Path.Combine(paths.Root, $"slurm-{job.JobId}.err");
        string err = File.Exists(stderr) ? File.ReadAllText(stderr) : "";
        int code = ExitFile(paths, job.JobId)?.Code ?? state.ExitCode;
        switch (state.State)
        {
            case "COMPLETED" when code == 0 && File.Exists(paths.Metrics):
                return Json.Read<TrialMetrics>(paths.Metrics);
            case "TIMEOUT" or "DEADLINE":
                Log(paths, $"slurm: job {job.JobId} was ended by Slurm at its time limit of {job.TimeLimitMinutes} min (budget {job.BudgetSeconds:F0}s plus grace)");
                return new TrialMetrics
                {
                    Status = TrialStatus.TimedOut,
                    Error = $"Slurm job {job.JobId} exceeded its time limit of {job.TimeLimitMinutes} min (budget {job.BudgetSeconds:F0}s plus grace)",
                    Diagnosis = "The trial did not finish in time: a smaller model, lower resolution or fewer epochs is needed.",
                    FailureKind = TrialFailure.TimedOut,
                };
            case "OUT_OF_MEMORY":
                Log(paths, $"slurm: job {job.JobId} was ended by Slurm for using more memory than it asked for");
                return new TrialMetrics
                {
                    Status = TrialStatus.Failed,
                    Error = $"Slurm job {job.JobId}: OUT_OF_MEMORY",
                    Diagnosis = LocalProcessTrialRunner.Diagnose(137, "out of memory"),
                    FailureKind = TrialFailure.OutOfMemory,
                };
            case "CANCELLED":
                Log(paths, $"slurm: job {job.JobId} was cancelled on the cluster (scancel or an administrator), not by the developer loop");
                return new TrialMetrics
                {
                    Status = TrialStatus.Failed,
                    Error = $"Slurm job {job.JobId} was cancelled outside Clinforge",
                    Diagnosis = "the trial's job was cancelled on the cluster before it finished; the recipe was not judged",
                    FailureKind = TrialFailure.Error,
                };
        }
        // COMPLETED without metrics, FAILED, or anything else: what the trial's own stderr says, as for a local trial.
        Log(paths, $"slurm: job {job.JobId} ended as {state.State} with exit code {code}{(state.Signal > 0 ? $" (signal {state.Signal})" : "")}");
        if (File.Exists(paths.Metrics) && Json.Read<TrialMetrics>(paths.Metrics) is { Status: not TrialStatus.Succeeded } written) return written;
        string tail = string.Join('\n', err.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(5));
        int effective = state.Signal == 9 ? 137 : code;
        return new TrialMetrics { Status = TrialStatus.Failed, Error = $"exit code {effective}: {tail}", Diagnosis = LocalProcessTrialRunner.Diagnose(effective, err), FailureKind = LocalProcessTrialRunner.Kind(effective, err) };
    }

    /// <summary>scancel, then wait (up to 30 s) until Slurm no longer runs it; the record says the loop did it.</summary>
    private static void Cancel(RunPaths run, int number, SlurmJobRecord job)
    {
        Json.Write(RecordFile(run, number), job with { CancelledByClinforge = true });
        SlurmTools.Run("scancel", [job.JobId]);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && Query(job.JobId) is { IsActive: true }) Thread.Sleep(250);
    }

    private static TrialMetrics Cancelled() => new()
    {
        Status = TrialStatus.TimedOut,
        Error = "cancelled",
        FailureKind = TrialFailure.TimedOut,
        Diagnosis = "The trial did not finish in time: a smaller model, lower resolution or fewer epochs is needed.",
    };

    /// <summary>The exit code and end time the batch script wrote, or null when it has not (yet, or was killed).</summary>
    private static (int Code, double End)? ExitFile(TrialPaths paths, string jobId)
    {
        var file = Path.Combine(paths.Root, $"slurm-{jobId}.exit");
        if (!File.Exists(file)) return null;
        var parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length >= 1 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code)
            ? (code, parts.Length > 1 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var end) ? end : double.NaN)
            : null;
    }

    /// <summary>
    /// trials/NNN/slurm_timing.json: the executor's overhead for this job, submission to start (queue
    /// and node start-up) and end of the batch script to the trial being handed back to the loop.
    /// </summary>
    private static void Timing(TrialPaths paths, SlurmJobRecord job, double? scriptEnd)
    {
        var startFile = Path.Combine(paths.Root, $"slurm-{job.JobId}.start");
        double? start = File.Exists(startFile) && double.TryParse(File.ReadAllText(startFile).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : null;
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        double submitted = job.Submitted.ToUnixTimeMilliseconds() / 1000.0;
        var timing = new SlurmJobTiming(job.JobId, start is { } st ? st - submitted : null, scriptEnd is { } e && !double.IsNaN(e) ? now - e : null);
        Json.Write(paths.SlurmTiming, timing);
    }

    /// <summary>Reads the job's new stdout lines and reports its progress lines; returns the new offset.</summary>
    private static long ReadProgress(string file, long offset, StringBuilder pending, Action<TrialProgressReport>? progress)
    {
        if (!File.Exists(file)) return offset;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= offset) return offset;
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        pending.Append(reader.ReadToEnd());
        long next = stream.Length;
        var text = pending.ToString();
        int lastNewline = text.LastIndexOf('\n');
        if (lastNewline < 0) return next;
        pending.Clear().Append(text[(lastNewline + 1)..]);
        foreach (var line in text[..lastNewline].Split('\n'))
            if (progress is not null && LocalProcessTrialRunner.ParseProgress(line.TrimEnd('\r')) is { } report) progress(report);
        return next;
    }

    /// <summary>trials/NNN/slurm.log: the executor's account of the trial's jobs (submitted, reattached, ended, cancelled, submitted again).</summary>
    public static string LogFile(RunPaths run, int number) => run.Trial(number).SlurmLog;

    // Not log.txt: the trial process keeps that file open at its own position while it runs, so lines
    // appended by another process meanwhile would be overwritten.
    private static void Log(TrialPaths paths, string line)
    {
        Directory.CreateDirectory(paths.Root);
        File.AppendAllText(paths.SlurmLog, $"[{DateTimeOffset.UtcNow:HH:mm:ss}] {line}\n");
    }
}
