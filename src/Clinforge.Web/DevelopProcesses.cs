using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Web;

/// <summary>
/// The developer runs as a real child process (<c>clinforge develop</c> / <c>resume</c>); the run
/// folder holds its state, so this class only starts, finds and stops it. Its pid is written to
/// web/pid so that a restarted server still sees (and can stop) a developer it started earlier.
/// </summary>
public sealed class DevelopProcesses(string cliDll)
{
    private readonly ConcurrentDictionary<string, Process> _children = new(StringComparer.Ordinal);

    /// <summary>web/pid.</summary>
    public static string PidFile(RunPaths run) => Path.Combine(RunStore.WebDir(run), "pid");

    /// <summary>web/exit_code: written when a child this server watched has ended.</summary>
    public static string ExitFile(RunPaths run) => Path.Combine(RunStore.WebDir(run), "exit_code");

    /// <summary>Starts <c>clinforge ARGS</c> for the run, output appended to web/develop.log.</summary>
    public void Start(string id, RunPaths run, IReadOnlyList<string> args)
    {
        if (IsRunning(run)) throw new InvalidOperationException("development is already running for this project.");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = run.Root,
        };
        psi.ArgumentList.Add(cliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // No colours or terminal questions: the child talks to a log file.
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["TERM"] = "dumb";
        File.Delete(ExitFile(run));
        var log = new StreamWriter(new FileStream(RunStore.LogFile(run), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        object gate = new();
        void Write(string? line) { if (line is null) return; lock (gate) log.WriteLine(line); }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) =>
        {
            // Let the output readers drain before the log closes.
            process.WaitForExit();
            lock (gate)
            {
                log.WriteLine($"[clinforge web] the developer process ended (exit code {process.ExitCode}).");
                log.Dispose();
            }
            try { AtomicFile.WriteAllText(ExitFile(run), process.ExitCode.ToString(CultureInfo.InvariantCulture)); } catch (IOException) { }
            try { File.Delete(PidFile(run)); } catch (IOException) { }
            _children.TryRemove(id, out _);
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _children[id] = process;
        AtomicFile.WriteAllText(PidFile(run), process.Id.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Whether a developer runs for this run: a child of this server, or one recorded in web/pid that is still alive.</summary>
    public bool IsRunning(RunPaths run) => FindPid(run) is not null;

    /// <summary>Stops the developer (its whole process tree: trials run as grandchildren). True when one was running.</summary>
    public bool Stop(RunPaths run)
    {
        var pid = FindPid(run);
        if (pid is null) return false;
        try
        {
            using var p = Process.GetProcessById(pid.Value);
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { File.Delete(PidFile(run)); } catch (IOException) { }
        // Trials on a cluster are not in the process tree: their jobs are cancelled too, so nothing keeps training.
        if (RunStore.TryRead<RunSettings>(run.Settings) is { Executor: "slurm" }) Clinforge.Development.SlurmExecutor.CancelRecorded(run);
        return true;
    }

    /// <summary>Stops every child of this server (server shutdown: no orphans keep training).</summary>
    public void StopAll()
    {
        foreach (var (_, p) in _children)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
    }

    private int? FindPid(RunPaths run)
    {
        var id = Path.GetFileName(run.Root);
        if (_children.TryGetValue(id, out var child) && !child.HasExited) return child.Id;
        if (!File.Exists(PidFile(run)) || !int.TryParse(File.ReadAllText(PidFile(run)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return null;
        // A pid can be reused after a reboot: only a process whose command line names this run counts.
        var cmdline = $"/proc/{pid}/cmdline";
        try
        {
            return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains(run.Root, StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException) { return null; }
    }
}
