using System.Diagnostics;

namespace Clinforge.Tests;

/// <summary>A temporary folder deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("clinforge-test-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A tiny separable image task: 16×16 greyscale, class 1 has a brighter centre square than class 0.</summary>
public static class CentreSquares
{
    /// <summary><paramref name="n"/> images alternating classes 0 and 1: uniform noise in [0, noise) plus <paramref name="signal"/> inside the centre of class-1 images.</summary>
    public static Clinforge.Training.ImageSet Make(int n, int seed, double noise, double signal)
    {
        var rng = new Random(seed);
        var px = new float[n * 16 * 16];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            for (int p = 0; p < 256; p++)
            {
                int r = p / 16, c = p % 16;
                bool centre = r is > 4 and < 11 && c is > 4 and < 11;
                px[i * 256 + p] = (float)(rng.NextDouble() * noise + (centre && labels[i] == 1 ? signal : 0));
            }
        }
        return Clinforge.Training.ImageSet.FromUnitFloats(px, labels, 1, 16, Enumerable.Range(0, n).Select(i => $"{seed}/{i}").ToArray());
    }
}

/// <summary>Locations of the repository, ../shared/data and the built CLI.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>../shared/data beside the checkout, or null when absent (tests that need it skip).</summary>
    public static string? SharedData =>
        Directory.Exists(System.IO.Path.Combine(Root, "..", "shared", "data")) ? System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, "..", "shared", "data")) : null;

    /// <summary>clinforge.dll, copied to the test output by the project reference.</summary>
    public static string CliDll => System.IO.Path.Combine(AppContext.BaseDirectory, "clinforge.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Clinforge.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Clinforge.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs the CLI as a real child process; returns exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCli(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"clinforge {string.Join(' ', args)} did not finish in {timeout}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// The last lines of every trial and fold log under <paramref name="runDir"/>, for a failure message:
    /// a trial that failed on another machine says why in the test output, not only in a deleted folder.
    /// </summary>
    public static string TrialLogs(string runDir, int lastLines = 40)
    {
        var trials = System.IO.Path.Combine(runDir, "trials");
        if (!Directory.Exists(trials)) return "(no trials folder)";
        var text = new System.Text.StringBuilder();
        foreach (var log in Directory.EnumerateFiles(trials, "log.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            text.AppendLine($"--- {System.IO.Path.GetRelativePath(runDir, log)}");
            foreach (var line in File.ReadLines(log).TakeLast(lastLines)) text.AppendLine(line);
        }
        return text.ToString();
    }

    /// <summary>
    /// Starts the CLI as a real child process and kills it (SIGKILL, with its trial children) once
    /// <paramref name="file"/> exists plus <paramref name="after"/>: a crash in the middle of that step.
    /// Fails if the process ended before it could be killed.
    /// </summary>
    public static void KillCliAfter(string file, TimeSpan after, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(file) && clock.Elapsed < TimeSpan.FromMinutes(3) && !p.HasExited) Thread.Sleep(100);
        Thread.Sleep(after);
        Xunit.Assert.False(p.HasExited, $"clinforge {string.Join(' ', args)} finished before it could be killed");
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
    }
}
