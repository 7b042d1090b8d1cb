using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class ResumeTests
{
    [Fact]
    public void Should_LoseNoFinishedTrialAndRerunTheInterruptedOne_When_TheRunIsKilledWithSigkill()
    {
        // Given a develop run in a real process, killed with SIGKILL while trial 1 is training
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 160, seed: 5, positiveShare: 0.4, size: 24);
        var run = new RunPaths(tmp.Combine("run"));
        Repo.KillCliAfter(run.Trial(1).Log, TimeSpan.FromSeconds(1.5), // well inside trial 1
            "develop", "--request", "Tell melanoma from nevus.", "--data", data, "--rounds", "2", "--trial-minutes", "0.15", "--run", run.Root, "--threads", "1");
        TrialRecord trial0;
        using (var journal = new Journal(run.Journal))
        {
            var before = journal.Trials();
            trial0 = Assert.Single(before);
            Assert.Equal(0, trial0.Number);
        }
        Assert.False(File.Exists(run.Trial(1).Metrics));

        // When the run is resumed
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "resume", run.Root);

        // Then it completes: trial 0 kept as it was, trial 1 run again, trial 2 added, test looked at once
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using var after = new Journal(run.Journal);
        var trials = after.Trials();
        Assert.Equal([0, 1, 2], trials.Select(t => t.Number));
        Assert.Equal(trial0, trials[0]);
        Assert.True(File.Exists(run.Trial(1).Metrics));
        Assert.Single(after.Events("resume"));
        Assert.Equal(1, after.TestLookCount);
        Assert.True(File.Exists(run.Evaluation));
    }
}
