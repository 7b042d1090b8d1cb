using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;

namespace Clinforge.Tests;

/// <summary>Folds of a cross-validated trial trained side by side, one real child process each.</summary>
public sealed class FoldProcessTests
{
    [Fact]
    public void Should_TrainFoldsInChildProcessesAndStopThemWithTheirTrial_When_TwoFoldWorkersAreAllowed()
    {
        // Given a small lesion folder developed under 5-fold cross-validation with two fold workers
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 120, seed: 5, positiveShare: 0.4, size: 16);
        var runDir = tmp.Combine("run");
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop", "--request", "Tell melanoma from nevus.",
            "--data", data, "--rounds", "0", "--trial-minutes", "0.4", "--run", runDir, "--threads", "2", "--protocol", "folds",
            "--fold-workers", "2", "--non-interactive");

        // Then the run finishes, its trial says the folds ran side by side, and each fold logged from its own process
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var run = new RunPaths(runDir);
        var trial = run.Trial(0);
        var log = File.ReadAllText(trial.Log);
        Assert.Contains("side by side in 2 child processes of 1 thread(s) each", log);
        Assert.Contains("fold models (", log);
        var card = Json.Read<DataCard>(run.DataCard);
        int k = card.Protocol!.Folds;
        for (int f = 0; f < k; f++)
        {
            var fold = trial.Fold(f);
            // each fold finished (its metrics), and its model file was folded into the trial's once the trial finished
            Assert.True(File.Exists(fold.Metrics), fold.Metrics);
            Assert.False(File.Exists(fold.Model), fold.Model);
            // the last fold of an odd count trains alone, in the trial's own process with both threads
            if (f < k - k % 2) Assert.Contains($"fold {f + 1} of trial 0 in its own process, threads 1", File.ReadAllText(fold.Log));
        }
        var metrics = Json.Read<TrialMetrics>(trial.Metrics);
        Assert.Equal(TrialStatus.Succeeded, metrics.Status);
        Assert.Equal(k, metrics.FoldObjectives!.Count);
        Assert.Equal(120 - Json.Read<Splits>(run.Splits).Test.Count, PredictionTable.Read(trial.ValPredictions).Ids.Count);

        // When the trial is run again and killed with -9 while its folds train
        foreach (var f in Enumerable.Range(0, k)) Directory.Delete(trial.Fold(f).Root, recursive: true);
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Repo.CliDll, "trial", "--run", runDir, "--trial", "0", "--budget-seconds", "120", "--threads", "2", "--fold-workers", "2" })
            psi.ArgumentList.Add(a);
        using var parent = Process.Start(psi)!;
        parent.OutputDataReceived += (_, _) => { };
        parent.ErrorDataReceived += (_, _) => { };
        parent.BeginOutputReadLine();
        parent.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        List<int> children = [];
        while (clock.Elapsed < TimeSpan.FromMinutes(1) && !parent.HasExited && (children = ChildrenOf(parent.Id)).Count < 2) Thread.Sleep(100);
        Assert.True(children.Count == 2, $"expected two fold processes of trial process {parent.Id}, found {children.Count}");
        parent.Kill(entireProcessTree: false);
        parent.WaitForExit();

        // Then the orphaned fold processes notice and end on their own within seconds, leaving no finished fold behind
        clock.Restart();
        while (clock.Elapsed < TimeSpan.FromSeconds(15) && children.Any(Alive)) Thread.Sleep(200);
        Assert.False(children.Any(Alive), $"fold processes still running 15 s after their trial was killed: {string.Join(", ", children.Where(Alive))}");
        Assert.All(Enumerable.Range(0, 2), f => Assert.False(File.Exists(trial.Fold(f).Metrics)));
    }

    /// <summary>Processes whose command line names <paramref name="parent"/> as the trial they serve (Linux /proc).</summary>
    private static List<int> ChildrenOf(int parent)
    {
        var mark = "--parent-pid\0" + parent.ToString(CultureInfo.InvariantCulture) + "\0";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(mark, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException)
            {
                // the process ended while being read
            }
            catch (UnauthorizedAccessException)
            {
                // another user's process
            }
        }
        return found;
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // a zombie (state Z) has ended; it only waits for its parent to read its exit code
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
