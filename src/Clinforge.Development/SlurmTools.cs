using System.Diagnostics;

namespace Clinforge.Development;

/// <summary>What a Slurm command printed and how it ended.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>True when the command ran and exited 0.</summary>
    public bool Ok => ExitCode == 0;
}

/// <summary>
/// Runs Slurm's own command-line tools (sbatch, squeue, scontrol, sacct, scancel) as the user would,
/// with the environment of this process (SLURM_CONF included). A tool that is missing or hangs is an
/// answer (exit code 127 or 124), never an exception, so the supervisor can decide what to do.
/// </summary>
public static class SlurmTools
{
    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/>, giving up after <paramref name="timeoutSeconds"/>.</summary>
    public static ToolResult Run(string tool, IEnumerable<string> args, double timeoutSeconds = 30)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { return new ToolResult(127, "", $"{tool}: {e.Message}"); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return new ToolResult(124, "", $"{tool} did not answer within {timeoutSeconds:F0}s");
            }
            process.WaitForExit();
            return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Whether a Slurm controller answers here (sinfo lists at least one node).</summary>
    public static bool ControllerAnswers() => Run("sinfo", ["-h", "-o", "%T"], 10) is { Ok: true } r && r.Stdout.Trim().Length > 0;
}
