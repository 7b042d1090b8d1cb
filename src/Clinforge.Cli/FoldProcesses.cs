using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>
/// Starts folds of a cross-validated trial as child processes of the trial (<c>clinforge trial --fold F</c>),
/// through the same dotnet host and assembly as the trial itself. Each child watches this process and
/// exits when it is gone, so a trial killed with -9 leaves no fold training behind it; a child that
/// overruns its deadline by more than the grace period is killed.
/// </summary>
internal sealed class FoldProcesses(RunPaths run, int trial, int workers) : IFoldLauncher
{
    /// <inheritdoc />
    public int Workers => workers;

    /// <inheritdoc />
    public int Run(int fold, DateTime untilUtc, int threads, Action<double> fraction)
    {
        var inv = CultureInfo.InvariantCulture;
        var launcher = TrialLauncher.ForAssembly(typeof(FoldProcesses).Assembly.Location);
        var psi = new ProcessStartInfo(launcher.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in launcher.PrefixArguments) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "trial", "--run", run.Root, "--trial", trial.ToString(inv), "--fold", fold.ToString(inv),
                     "--until", untilUtc.ToString("o", inv), "--threads", threads.ToString(inv), "--parent-pid", Environment.ProcessId.ToString(inv) })
            psi.ArgumentList.Add(a);
        var stderr = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && LocalProcessTrialRunner.ParseProgress(line) is { } p) fraction(p.Fraction);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var span = untilUtc - DateTime.UtcNow;
        var limit = untilUtc + TimeSpan.FromSeconds(Math.Max(20, span.TotalSeconds * 0.25));
        while (!process.WaitForExit(200))
        {
            if (DateTime.UtcNow <= limit) continue;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            File.AppendAllText(run.Trial(trial).Fold(fold).Log,
                string.Create(inv, $"killed by its trial at {DateTime.UtcNow:HH:mm:ss}: past its deadline {untilUtc:HH:mm:ss} plus grace\n"));
            return 137;
        }
        process.WaitForExit(); // flush the asynchronous readers
        if (process.ExitCode != 0 && stderr.Length > 0)
            File.AppendAllText(run.Trial(trial).Fold(fold).Log, $"fold process exited with code {process.ExitCode}\n{stderr}\n");
        return process.ExitCode;
    }

    /// <summary>
    /// In a fold's child process: ends it (exit code 5) as soon as the trial that started it is gone, so an
    /// orphaned fold never writes into a trial that a resumed run is redoing. The watch asks the kernel
    /// for this process's parent once a second and allocates nothing while the fold trains: a managed
    /// allocation on a second thread could set off a garbage collection in the middle of a TorchSharp
    /// call on the training thread (see ImageBatches).
    /// </summary>
    public static void ExitWithParent(int parentPid)
    {
        if (OperatingSystem.IsWindows()) return; // folds and their trials run on Linux or macOS
        if (GetParentProcessId() != parentPid) Environment.Exit(5); // already orphaned before the watch began
        var watcher = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(1000);
                // An orphan is adopted by init or a subreaper: its parent id changes the moment the trial dies.
                if (GetParentProcessId() != parentPid) Environment.Exit(5);
            }
        }) { IsBackground = true, Name = "parent watch" };
        watcher.Start();
    }

    [DllImport("libc", EntryPoint = "getppid")]
    private static extern int GetParentProcessId();
}
