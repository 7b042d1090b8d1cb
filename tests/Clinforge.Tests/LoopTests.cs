using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class LoopTests
{
    /// <summary>A runner that returns scripted results: it stands in for training, which other tests run for real.</summary>
    private sealed class ScriptedRunner(params double?[] objectives) : ITrialRunner
    {
        public TrialMetrics Run(RunPaths run, int number, TimeSpan budget, Action<TrialProgressReport>? progress, CancellationToken cancel, int concurrent = 1)
        {
            var value = objectives[number];
            var m = value is { } v
                ? new TrialMetrics { Status = TrialStatus.Succeeded, Best = new ValidationMetrics(v, "auc", v, v, v, v, v, 0.5), BestEpoch = 1, Curve = [new EpochLog(1, 0.5, 0.5, v, v, 1)] }
                : new TrialMetrics { Status = TrialStatus.Failed, Error = "exit code 139", Diagnosis = "native crash in the training library" };
            Json.Write(run.Trial(number).Metrics, m);
            return m;
        }
    }

    [Fact]
    public void Should_KeepOnlyImprovementsAndCarryOnAfterAFailure_When_RunningRounds()
    {
        // Given scripted validation results: 0.80, better 0.85, worse 0.84, a crash, better 0.90
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        using var journal = new Journal(run.Journal);
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(50, 450);
        var loop = new DeveloperLoop(run, journal, new PlaybookProposer(), new ScriptedRunner(0.80, 0.85, 0.84, null, 0.90), new SilentMonitor());

        // When the loop runs four rounds after the initial trial
        loop.Run(spec, card, Initializer.Plan(spec, card, 1), rounds: 4, TimeSpan.FromSeconds(5), CancellationToken.None);

        // Then every trial is journaled, only improvements are kept, the failure is recorded and the loop went on
        var trials = journal.Trials();
        Assert.Equal([0, 1, 2, 3, 4], trials.Select(t => t.Number));
        Assert.Equal([true, true, false, false, true], trials.Select(t => t.Accepted));
        Assert.Equal(TrialStatus.Failed, trials[3].Status);
        Assert.Equal("native crash in the training library", trials[3].Diagnosis);
        Assert.Equal(0.85, trials[2].BestBefore);
        Assert.Equal(4, DeveloperLoop.BestTrial(journal)!.Number);
        // the round after the crash is the playbook's repair move
        Assert.Equal("lower_learning_rate", trials[4].Move);
        // each trial folder holds its recipe and the proposal with its reason
        Assert.All(trials, t => Assert.True(File.Exists(run.Trial(t.Number).Recipe)));
        Assert.All(trials.Skip(1), t => Assert.False(string.IsNullOrWhiteSpace(t.Reason)));
    }

    /// <summary>A runner that asks for a pause (as the web page's button does) while trial <paramref name="pauseDuring"/> trains.</summary>
    private sealed class PausingRunner(int pauseDuring, ScriptedRunner inner) : ITrialRunner
    {
        public TrialMetrics Run(RunPaths run, int number, TimeSpan budget, Action<TrialProgressReport>? progress, CancellationToken cancel, int concurrent = 1)
        {
            if (number == pauseDuring) File.WriteAllText(run.PauseRequest, "");
            return inner.Run(run, number, budget, progress, cancel, concurrent);
        }
    }

    [Fact]
    public void Should_FinishTheRoundThenPause_When_APauseIsRequestedDuringARound()
    {
        // Given a loop of four rounds where a pause is requested while round 1 trains
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        using var journal = new Journal(run.Journal);
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(50, 450);
        var scripted = new ScriptedRunner(0.80, 0.85, 0.84, 0.86, 0.87);
        var loop = new DeveloperLoop(run, journal, new PlaybookProposer(), new PausingRunner(1, scripted), new SilentMonitor());

        // When it runs
        var end = loop.Run(spec, card, Initializer.Plan(spec, card, 1), rounds: 4, TimeSpan.FromSeconds(5), CancellationToken.None);

        // Then round 1 finished and was recorded, nothing after it started, and the pause is journaled
        Assert.Equal(LoopEnd.Paused, end);
        Assert.Equal([0, 1], journal.Trials().Select(t => t.Number));
        Assert.False(Directory.Exists(run.Trial(2).Root));
        Assert.Contains(journal.Events("pause"), e => e.Message.Contains("after 2 finished trial(s)", StringComparison.Ordinal));

        // When the clinician continues (the request withdrawn) with the same loop contract
        File.Delete(run.PauseRequest);
        end = new DeveloperLoop(run, journal, new PlaybookProposer(), scripted, new SilentMonitor())
            .Run(spec, card, Initializer.Plan(spec, card, 1), rounds: 4, TimeSpan.FromSeconds(5), CancellationToken.None);

        // Then the remaining rounds run once each, and none is lost or repeated
        Assert.Equal(LoopEnd.Finished, end);
        Assert.Equal([0, 1, 2, 3, 4], journal.Trials().Select(t => t.Number));
    }

    [Fact]
    public void Should_RunDifferentChangesTogetherAndKeepTheBest_When_TrialsRunInParallel()
    {
        // Given two trials at a time and scripted results where the later-numbered trial of a pair is better
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        using var journal = new Journal(run.Journal);
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(50, 450);
        var loop = new DeveloperLoop(run, journal, new PlaybookProposer(), new ScriptedRunner(0.80, 0.82, 0.86, 0.85, 0.84), new SilentMonitor(), parallel: 2);

        // When four refinement rounds run, two at a time
        loop.Run(spec, card, Initializer.Plan(spec, card, 1), rounds: 4, TimeSpan.FromSeconds(5), CancellationToken.None);

        // Then every trial is recorded once, each pair tried two different moves, and the best is the highest kept
        var trials = journal.Trials();
        Assert.Equal([0, 1, 2, 3, 4], trials.Select(t => t.Number));
        Assert.NotEqual(trials[1].Move, trials[2].Move);
        Assert.NotEqual(trials[3].Move, trials[4].Move);
        Assert.Equal(2, DeveloperLoop.BestTrial(journal)!.Number);
        Assert.False(trials[3].Accepted);
        Assert.False(trials[4].Accepted);
    }

    [Fact]
    public void Should_ContinueWhereItStopped_When_RunAgainOnTheSameFolder()
    {
        // Given a loop that ran two rounds
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        var spec = DevelopmentTests.Spec(ErrorPreference.Balanced);
        var card = DevelopmentTests.Card(50, 450);
        var runner = new ScriptedRunner(0.80, 0.81, 0.86, 0.87);
        using (var journal = new Journal(run.Journal))
            new DeveloperLoop(run, journal, new PlaybookProposer(), runner, new SilentMonitor()).Run(spec, card, Initializer.Plan(spec, card, 1), 1, TimeSpan.FromSeconds(5), CancellationToken.None);

        // When it is started again with a larger round count
        using var again = new Journal(run.Journal);
        new DeveloperLoop(run, again, new PlaybookProposer(), runner, new SilentMonitor()).Run(spec, card, Initializer.Plan(spec, card, 1), 3, TimeSpan.FromSeconds(5), CancellationToken.None);

        // Then earlier trials are kept and numbering continues
        Assert.Equal([0, 1, 2, 3], again.Trials().Select(t => t.Number));
    }
}

public sealed class StopPolicyTests
{
    private static TrialRecord T(int n, bool accepted) => new(n, "m", "c", "r", null, TrialStatus.Succeeded, 0.5, accepted, 0.5, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Should_StopOnAPlateau_When_TheLastRoundsAllFailedToImprove()
    {
        // Given patience 3 and rounds 1-3 discarded / When asked / Then stop, saying why
        var policy = new StopPolicy(Rounds: 10, PlateauPatience: 3);
        var reason = policy.Reason([T(0, true), T(1, false), T(2, false), T(3, false)], TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.Contains("plateau", reason);
        // but one improvement among them keeps the search going
        Assert.Null(policy.Reason([T(0, true), T(1, false), T(2, true), T(3, false)], TimeSpan.Zero, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Should_StopBeforeOverrunning_When_AnotherTrialWouldExceedTheTotalBudget()
    {
        var policy = new StopPolicy(Rounds: 10, TotalBudget: TimeSpan.FromMinutes(5));
        Assert.Null(policy.Reason([T(0, true)], TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1.5)));
        Assert.Contains("total budget", policy.Reason([T(0, true)], TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(1.5)));
        // the initial trial always runs, whatever the budget
        Assert.Null(policy.Reason([], TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(1.5)));
    }

    [Fact]
    public void Should_StopAfterTheRequestedRounds_When_NoOtherLimitApplies()
    {
        var policy = new StopPolicy(Rounds: 2);
        Assert.Null(policy.Reason([T(0, true), T(1, true)], TimeSpan.Zero, TimeSpan.Zero));
        Assert.Contains("2 refinement rounds", policy.Reason([T(0, true), T(1, true), T(2, false)], TimeSpan.Zero, TimeSpan.Zero));
    }
}

public sealed class RandomSearchTests
{
    [Fact]
    public void Should_DrawValidReproducibleRecipes_When_UsedAsTheBaseline()
    {
        // Given the random-search baseline and a state after trial 0
        var spec = DevelopmentTests.Spec();
        var card = DevelopmentTests.Card();
        var r0 = Initializer.Plan(spec, card, 1);
        var t0 = new TrialRecord(0, "initial", "v0", "start", null, TrialStatus.Succeeded, 0.7, true, null, null, DateTimeOffset.UnixEpoch);
        var state = new DevelopmentState(spec, card, [(t0, r0, null)], r0, null);
        // When it proposes twice with the same seed, and once with another
        var a = new RandomSearchProposer(5).Propose(state)!;
        var b = new RandomSearchProposer(5).Propose(state)!;
        var c = new RandomSearchProposer(6).Propose(state)!;
        // Then the recipes are valid, equal for a seed, and different across seeds
        Assert.Empty(RecipeSchema.Problems(a.Recipe));
        Assert.True(PlaybookProposer.Same(a.Recipe, b.Recipe));
        Assert.False(PlaybookProposer.Same(a.Recipe, c.Recipe));
        Assert.Equal("random_search", a.Move);
    }
}
