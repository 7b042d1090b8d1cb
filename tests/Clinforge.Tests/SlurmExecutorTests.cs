using System.Diagnostics;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;

namespace Clinforge.Tests;

/// <summary>
/// The Slurm executor on a real (single-node) cluster: real jobs submitted with sbatch, ended by Slurm
/// at their time limit, cancelled with scancel, reattached after the loop was killed. The tests of one
/// class run one after another, so they never compete for the node's two CPUs.
/// </summary>
public sealed class SlurmExecutorTests
{
    private static readonly SlurmSettings Tiny = new() { Cpus = 1, Memory = "200M", GraceMinutes = 0, PollSeconds = 0.5 };

    /// <summary>A "trial" that is a bash script: the launcher's prefix arguments run it, the trial arguments follow as $1...</summary>
    private static TrialLauncher Bash(string script) => new("bash", ["-c", script, "trial"]);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static RunPaths NewRun(TempDir tmp, int trials = 1)
    {
        var run = new RunPaths(tmp.Combine("run"));
        for (int i = 0; i < trials; i++) Directory.CreateDirectory(run.Trial(i).Root);
        return run;
    }

    /// <summary>Cancels whatever a test left queued or running, so a failed assertion leaves no job behind.</summary>
    private static void CleanUp(RunPaths run) => SlurmExecutor.CancelRecorded(run);

    private static SlurmJobRecord Record(RunPaths run, int n) => Json.Read<SlurmJobRecord>(SlurmExecutor.RecordFile(run, n));

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"timed out after {timeout} waiting for {what}");
            Thread.Sleep(200);
        }
    }

    [Fact]
    public void Should_ReadStateExitCodeAndSignal_When_ScontrolOrSacctDescribeAJob()
    {
        // Given a line of scontrol show job -o and a line of sacct -P (real formats of Slurm 22.05)
        var scontrol = SlurmJobState.FromScontrol("JobId=12 JobName=clinforge-run-000 UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) ExitCode=0:15 RunTime=00:01:05 StartTime=2026-12-04T17:00:01 EndTime=2026-12-04T17:01:06");
        var sacct = SlurmJobState.FromSacct("CANCELLED by 0|0:15|2026-12-04T17:00:01|2026-12-04T17:00:09\n");
        // Then state, exit code, signal and times are read; a time limit is not a job the cluster lost
        Assert.NotNull(scontrol);
        Assert.Equal(("TIMEOUT", 0, 15), (scontrol.State, scontrol.ExitCode, scontrol.Signal));
        Assert.Equal(TimeSpan.FromSeconds(65), scontrol.End - scontrol.Start);
        Assert.False(scontrol.IsActive);
        Assert.False(scontrol.LostByCluster);
        Assert.Equal("CANCELLED", sacct!.State);
        Assert.True(SlurmJobState.FromScontrol("JobId=3 JobState=PENDING Reason=Resources ExitCode=0:0")!.IsActive);
        Assert.True(SlurmJobState.FromSacct("NODE_FAIL|0:0|Unknown|Unknown")!.LostByCluster);
        Assert.Null(SlurmJobState.FromScontrol("slurm_load_jobs error: Invalid job id specified"));
    }

    [Fact]
    public void Should_MapSlurmEndingsToTheOutcomesOfLocalTrials_When_AJobEnds()
    {
        // Given a trial folder whose job ended in each of Slurm's ways
        using var tmp = new TempDir();
        var paths = NewRun(tmp).Trial(0);
        var job = new SlurmJobRecord("7", 1, 60, 3, DateTimeOffset.UtcNow);
        TrialMetrics Ended(string state, int code = 0, int signal = 0) => SlurmExecutor.Outcome(paths, job, new SlurmJobState(state, code, signal, null, null, null))!;
        // Then a time limit is a timed-out trial, OUT_OF_MEMORY an out-of-memory failure (the playbook's repair),
        // an exit code a failure diagnosed from stderr, and node failure or preemption a job to submit again (null)
        Assert.Equal(TrialStatus.TimedOut, Ended("TIMEOUT").Status);
        Assert.Contains("did not finish in time", Ended("TIMEOUT").Diagnosis);
        Assert.Equal(LocalProcessTrialRunner.Diagnose(137, ""), Ended("OUT_OF_MEMORY").Diagnosis);
        File.WriteAllText(Path.Combine(paths.Root, "slurm-7.err"), "Fatal error. 0xC0000005\n");
        Assert.Equal(("native crash in the training library", TrialStatus.Failed), (Ended("FAILED", 139).Diagnosis, Ended("FAILED", 139).Status));
        Assert.Contains("cancelled", Ended("CANCELLED", 0, 15).Error);
        Assert.Null(SlurmExecutor.Outcome(paths, job, new SlurmJobState("NODE_FAIL", 0, 0, null, null, null)));
        Assert.Null(SlurmExecutor.Outcome(paths, job, new SlurmJobState("PREEMPTED", 0, 0, null, null, null)));
        Assert.True(File.ReadAllText(Path.Combine(paths.Root, "slurm.log")).Contains("time limit of 3 min", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_AddTheGraceAndRoundUpToWholeMinutes_When_TheJobTimeLimitIsDerived()
    {
        // Given the default grace (2 min, at least a quarter of the budget)
        var s = new SlurmSettings();
        // Then the time limit covers budget + grace in Slurm's unit, minutes
        Assert.Equal(3, s.TimeLimitMinutes(TimeSpan.FromSeconds(9)));     // 9 s + 120 s → 2.15 min → 3
        Assert.Equal(13, s.TimeLimitMinutes(TimeSpan.FromMinutes(10)));   // 10 + 2.5 (a quarter) → 13
        Assert.Equal(1, new SlurmSettings { GraceMinutes = 0 }.TimeLimitMinutes(TimeSpan.FromSeconds(1)));

        // And a trial may use for one-time work only what that limit holds beyond the budget and a margin
        Assert.Equal(111, s.PreparationAllowanceSeconds(TimeSpan.FromSeconds(9)));   // 180 s − 9 s − 60 s
        Assert.Equal(30, s.PreparationAllowanceSeconds(TimeSpan.FromMinutes(10)));   // 780 s − 600 s − 150 s
        Assert.Equal(0, new SlurmSettings { GraceMinutes = 0 }.PreparationAllowanceSeconds(TimeSpan.FromSeconds(1)));

        // And a trial that may compute frozen features for the run asks for one budget more, and may use it
        Assert.Equal(23, s.TimeLimitMinutes(TimeSpan.FromMinutes(10), oneTimeWork: true));            // 10 + 2.5 + 10 → 23
        Assert.Equal(630, s.PreparationAllowanceSeconds(TimeSpan.FromMinutes(10), oneTimeWork: true)); // 1380 s − 600 s − 150 s
        Assert.Equal(0, new SlurmSettings { GraceMinutes = 0 }.PreparationAllowanceSeconds(TimeSpan.FromSeconds(1), oneTimeWork: true)); // 60 s − 1 s − 60 s
    }

    [Fact]
    public void Should_AskForTimeForFrozenFeatures_When_OnlyAHeadOnlyOrPartialClassifierComputesThem()
    {
        // Given recipes of each fine-tuning strategy and kind
        var classifier = new Recipe { Input = new InputSpec(224, 3), Model = new ModelSpec("resnet18_pretrained", 0, 0) };
        // Then only the classifier whose frozen stages are cached for the run does one-time work
        Assert.True((classifier with { FineTune = new FineTuneSpec("head_only") }).CachesFrozenFeatures);
        Assert.True((classifier with { FineTune = new FineTuneSpec("partial") }).CachesFrozenFeatures);
        Assert.False((classifier with { FineTune = new FineTuneSpec("full") }).CachesFrozenFeatures);
        Assert.False(classifier.CachesFrozenFeatures);
        Assert.False((classifier with { FineTune = new FineTuneSpec("partial"), Detection = new DetectionRecipe() }).CachesFrozenFeatures);
        Assert.False((classifier with { FineTune = new FineTuneSpec("full"), Segmentation = new SegmentationRecipe() }).CachesFrozenFeatures);
    }

    [SlurmFact]
    public void Should_SubmitWithOneBudgetMoreAndPassItAsTheAllowance_When_TheTrialMayComputeFrozenFeatures()
    {
        // Given two trials of 50 s, one head-only on frozen features and one fine-tuning every stage,
        // each a "trial" that writes the arguments it was started with and its metrics
        using var tmp = new TempDir();
        var run = NewRun(tmp, trials: 2);
        var recipe = new Recipe { Input = new InputSpec(224, 3), Model = new ModelSpec("resnet18_pretrained", 0, 0) };
        Json.Write(run.Trial(0).Recipe, recipe with { FineTune = new FineTuneSpec("head_only") });
        Json.Write(run.Trial(1).Recipe, recipe with { FineTune = new FineTuneSpec("full") });
        var metricsJson = Json.Serialize(new TrialMetrics { Status = TrialStatus.Succeeded, Epochs = 1, TrainSeconds = 1 }).Replace("'", "", StringComparison.Ordinal);
        // $2 is --run and $3 the run folder, $5 the trial number: each trial writes into its own folder
        var executor = new SlurmExecutor(Bash($"dir=\"$3/trials/$(printf %03d $5)\"; echo \"$@\" > \"$dir/args.txt\"; printf '%s' '{metricsJson}' > \"$dir/metrics.json\""),
            Tiny with { GraceMinutes = 0.5 });
        try
        {
            // When both run through Slurm
            var budget = TimeSpan.FromSeconds(50);
            Assert.Equal(TrialStatus.Succeeded, executor.Run(run, 0, budget, null, CancellationToken.None).Status);
            Assert.Equal(TrialStatus.Succeeded, executor.Run(run, 1, budget, null, CancellationToken.None).Status);
            // Then the head-only job was given one budget more and told it may use it (50 + 30 + 50 s → 3 min; 180 − 50 − 60 = 70 s);
            // the other keeps the plain limit and only its slack (50 + 30 s → 2 min; 120 − 50 − 60 = 10 s)
            Assert.Equal(3, Record(run, 0).TimeLimitMinutes);
            Assert.Equal(2, Record(run, 1).TimeLimitMinutes);
            Assert.Contains("--preparation-allowance 70 ", File.ReadAllText(Path.Combine(run.Trial(0).Root, "args.txt")), StringComparison.Ordinal);
            Assert.Contains("--preparation-allowance 10 ", File.ReadAllText(Path.Combine(run.Trial(1).Root, "args.txt")), StringComparison.Ordinal);
            Assert.Contains("one budget more for frozen features", File.ReadAllText(SlurmExecutor.LogFile(run, 0)), StringComparison.Ordinal);
            Assert.DoesNotContain("one budget more", File.ReadAllText(SlurmExecutor.LogFile(run, 1)), StringComparison.Ordinal);
        }
        finally { CleanUp(run); }
    }

    [Fact]
    public void Should_RefuseWithTheFileNamed_When_TheSlurmSettingsFileIsWrong()
    {
        // Given a workspace settings file with an unusable memory value
        using var tmp = new TempDir();
        var config = tmp.Combine(SlurmSettings.FileName);
        File.WriteAllText(config, """{ "partition": "gpu", "memory": "lots" }""");
        // When develop reads it
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "Tell melanoma from nevus.", "--data", tmp.Path, "--slurm-config", config);
        // Then it stops with the file and the problem named, without a stack trace
        Assert.Equal(2, code);
        Assert.Contains(config, stderr);
        Assert.Contains("memory must be", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [SlurmFact]
    public void Should_RecordTheTrialsMetrics_When_ItsJobCompletes_And_NotSubmitAgain_When_RunTwice()
    {
        // Given a "trial" job that writes its metrics.json, as clinforge trial does
        using var tmp = new TempDir();
        var run = NewRun(tmp);
        var metricsJson = Json.Serialize(new TrialMetrics { Status = TrialStatus.Succeeded, Epochs = 3, TrainSeconds = 1 }).Replace("'", "", StringComparison.Ordinal);
        var executor = new SlurmExecutor(Bash($"echo '@progress 1 3 0.333 0.5'; echo 'on the node' >&2; printf '%s' '{metricsJson}' > {run.Trial(0).Metrics}"), Tiny);
        try
        {
            // When it runs through Slurm
            var progress = new List<TrialProgressReport>();
            var m = executor.Run(run, 0, TimeSpan.FromSeconds(20), p => { lock (progress) progress.Add(p); }, CancellationToken.None);
            // Then the metrics come back, the job id is recorded, stdout/stderr are in the trial folder, progress was read
            Assert.Equal(TrialStatus.Succeeded, m.Status);
            Assert.Equal(3, m.Epochs);
            var job = Record(run, 0);
            Assert.Contains("on the node", File.ReadAllText(Path.Combine(run.Trial(0).Root, $"slurm-{job.JobId}.err")));
            Assert.Equal(new TrialProgressReport(1, 3, 0.333, 0.5), Assert.Single(progress));
            var timing = Json.Read<SlurmJobTiming>(Path.Combine(run.Trial(0).Root, SlurmJobTiming.FileName));
            Assert.True(timing.EndToRecordSeconds < 5, $"end to record {timing.EndToRecordSeconds}s");

            // When the same trial is asked for again (a loop that died after the job finished, before recording it)
            var again = executor.Run(run, 0, TimeSpan.FromSeconds(20), null, CancellationToken.None);
            // Then what the job left is recorded and no second job is submitted
            Assert.Equal(Json.Serialize(m), Json.Serialize(again));
            Assert.Equal(job.JobId, Record(run, 0).JobId);
            Assert.Single(Directory.GetFiles(run.Trial(0).Root, "slurm-*.out"));
            Assert.Contains("finished while the developer loop was away", File.ReadAllText(SlurmExecutor.LogFile(run, 0)));
        }
        finally { CleanUp(run); }
    }

    [SlurmFact]
    public void Should_DiagnoseTheFailureAsForALocalTrial_When_TheJobExitsNonZero()
    {
        // Given a "trial" job that dies reporting memory exhaustion
        using var tmp = new TempDir();
        var run = NewRun(tmp);
        var executor = new SlurmExecutor(Bash("echo 'RuntimeError: out of memory' >&2; exit 1"), Tiny);
        try
        {
            // When it runs / Then it is a failed trial with the local runner's out-of-memory diagnosis
            var m = executor.Run(run, 0, TimeSpan.FromSeconds(20), null, CancellationToken.None);
            Assert.Equal(TrialStatus.Failed, m.Status);
            Assert.Equal(LocalProcessTrialRunner.Diagnose(1, "RuntimeError: out of memory"), m.Diagnosis);
            Assert.Contains("exit code 1", m.Error);
        }
        finally { CleanUp(run); }
    }

    [SlurmFact]
    public void Should_RecordATimedOutTrial_When_SlurmEndsAJobThatOverrunsItsTimeLimit()
    {
        // Given a "trial" that hangs, submitted with a 1 s budget and no grace: a 1-minute time limit
        using var tmp = new TempDir();
        var run = NewRun(tmp);
        var executor = new SlurmExecutor(Bash("sleep 600"), Tiny);
        try
        {
            var clock = Stopwatch.StartNew();
            // When it runs
            var m = executor.Run(run, 0, TimeSpan.FromSeconds(1), null, CancellationToken.None);
            // Then Slurm ends it at the limit (its timer checks every ~30 s), and it is a timed-out trial with the local diagnosis
            Assert.Equal(TrialStatus.TimedOut, m.Status);
            Assert.Contains("did not finish in time", m.Diagnosis);
            Assert.Contains("time limit of 1 min", m.Error);
            Assert.InRange(clock.Elapsed.TotalSeconds, 55, 150);
            Assert.Equal("TIMEOUT", SlurmExecutor.Query(Record(run, 0).JobId)!.State);
        }
        finally { CleanUp(run); }
    }

    [SlurmFact]
    public void Should_RecordAFailedTrial_When_ItsJobIsCancelledWithScancel()
    {
        // Given a running "trial" job
        using var tmp = new TempDir();
        var run = NewRun(tmp);
        var executor = new SlurmExecutor(Bash("sleep 600"), Tiny);
        try
        {
            var task = Task.Run(() => executor.Run(run, 0, TimeSpan.FromSeconds(60), null, CancellationToken.None));
            WaitFor(() => File.Exists(SlurmExecutor.RecordFile(run, 0)) && SlurmExecutor.Query(Record(run, 0).JobId)?.State == "RUNNING", TimeSpan.FromSeconds(60), "the job to run");
            // When someone cancels it on the cluster
            Assert.True(SlurmTools.Run("scancel", [Record(run, 0).JobId]).Ok);
            // Then the trial is recorded as failed (not judged), promptly, and not submitted again
            Assert.True(task.Wait(TimeSpan.FromSeconds(30)), "the executor did not notice the cancellation");
            Assert.Equal(TrialStatus.Failed, task.Result.Status);
            Assert.Contains("cancelled outside Clinforge", task.Result.Error);
            Assert.Single(Directory.GetFiles(run.Trial(0).Root, "slurm-*.out"));
        }
        finally { CleanUp(run); }
    }

    [SlurmFact]
    public void Should_CancelTheJob_When_TheLoopIsStopped()
    {
        // Given a running "trial" job
        using var tmp = new TempDir();
        var run = NewRun(tmp);
        var executor = new SlurmExecutor(Bash("sleep 600"), Tiny);
        using var stop = new CancellationTokenSource();
        try
        {
            var task = Task.Run(() => executor.Run(run, 0, TimeSpan.FromSeconds(60), null, stop.Token));
            WaitFor(() => File.Exists(SlurmExecutor.RecordFile(run, 0)) && SlurmExecutor.Query(Record(run, 0).JobId)?.State == "RUNNING", TimeSpan.FromSeconds(60), "the job to run");
            // When the loop is stopped (Ctrl-C)
            stop.Cancel();
            // Then the job is cancelled, no longer runs, and is marked as the loop's own cancellation (run again on resume)
            Assert.True(task.Wait(TimeSpan.FromSeconds(40)), "the executor did not stop");
            Assert.Equal("cancelled", task.Result.Error);
            var job = Record(run, 0);
            Assert.True(job.CancelledByClinforge);
            Assert.False(SlurmExecutor.Query(job.JobId)!.IsActive);
        }
        finally { CleanUp(run); }
    }

    [SlurmFact]
    public void Should_ReattachToTheRunningJobAndLoseNoTrial_When_DevelopIsKilledWithSigkillAndResumed()
    {
        // Given a develop run on Slurm, killed with SIGKILL while trial 0's job runs
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 160, seed: 5, positiveShare: 0.4, size: 24);
        var run = new RunPaths(tmp.Combine("run"));
        try
        {
            Repo.KillCliAfter(SlurmExecutor.RecordFile(run, 0), TimeSpan.FromSeconds(1),
                "develop", "--request", "Tell melanoma from nevus.", "--data", data, "--rounds", "1", "--trial-minutes", "0.15", "--run", run.Root,
                "--non-interactive", "--executor", "slurm", "--slurm-cpus", "1", "--slurm-mem", "1G");
            var job = Record(run, 0);
            Assert.True(SlurmExecutor.Query(job.JobId)!.IsActive, "the job should outlive the killed loop");
            using (var journal = new Journal(run.Journal)) Assert.Empty(journal.Trials());

            // When the run is resumed (the executor comes from run.json)
            var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(5), "resume", run.Root);

            // Then the loop waited for the same job instead of submitting another, recorded both trials,
            // looked at the test split once, and left no job running
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            var log = File.ReadAllText(SlurmExecutor.LogFile(run, 0));
            Assert.True(log.Contains($"reattached to job {job.JobId}", StringComparison.Ordinal), log + "\n" + stdout);
            Assert.Single(Directory.GetFiles(run.Trial(0).Root, "slurm-*.out"));
            using var after = new Journal(run.Journal);
            Assert.Equal([0, 1], after.Trials().Select(t => t.Number));
            Assert.Equal(TrialStatus.Succeeded, after.Trials()[0].Status);
            Assert.Equal(1, after.TestLookCount);
            Assert.All(new[] { 0, 1 }, n => Assert.False(SlurmExecutor.Query(Record(run, n).JobId)!.IsActive));
        }
        finally { CleanUp(run); }
    }

    [SlurmFact]
    public void Should_CancelTheRunningJobAndExit_When_DevelopIsStoppedWithSigterm()
    {
        // Given a develop run on Slurm whose trial 0 job is running
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 160, seed: 5, positiveShare: 0.4, size: 24);
        var run = new RunPaths(tmp.Combine("run"));
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Repo.CliDll, "develop", "--request", "Tell melanoma from nevus.", "--data", data, "--rounds", "1", "--trial-minutes", "0.5",
                     "--run", run.Root, "--non-interactive", "--executor", "slurm", "--slurm-cpus", "1", "--slurm-mem", "1G" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            WaitFor(() => p.HasExited || File.Exists(SlurmExecutor.RecordFile(run, 0)), TimeSpan.FromMinutes(2), "trial 0's job to be submitted");
            Thread.Sleep(2000);
            if (p.HasExited) Assert.Fail($"develop ended early\n{stdout.Result}\n{stderr.Result}");
            Assert.True(SlurmExecutor.Query(Record(run, 0).JobId)!.IsActive, "trial 0's job should be queued or running");

            // When the loop is told to stop (SIGTERM, as a service manager or the shell's kill does)
            Assert.True(Kill(p.Id, 15) == 0, $"kill({p.Id}, SIGTERM) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "develop did not stop");

            // Then it exits 130 after cancelling the job: nothing keeps running, the journal says so, and resume would run trial 0 again
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
            var job = Record(run, 0);
            Assert.True(job.CancelledByClinforge);
            Assert.False(SlurmExecutor.Query(job.JobId)!.IsActive);
            using var journal = new Journal(run.Journal);
            Assert.Empty(journal.Trials());
            Assert.Contains(journal.Events("stop"), e => e.Message.Contains("signal", StringComparison.Ordinal));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            CleanUp(run);
        }
    }
}
