using Clinforge.Core;
using Clinforge.Development;
using Microsoft.Data.Sqlite;

namespace Clinforge.Tests;

public sealed class DevelopmentTests
{
    internal static TaskSpec Spec(ErrorPreference pref = ErrorPreference.Sensitivity) => new()
    {
        Request = "tell melanoma from nevus; don't miss melanoma",
        Classes = ["melanoma", "nevus"],
        PositiveClass = "melanoma",
        ErrorPreference = pref,
        PrimaryMetric = pref == ErrorPreference.Sensitivity ? Metrics.SensitivityAtSpecificity : Metrics.Auc,
        OperatingPoint = pref == ErrorPreference.Sensitivity ? new OperatingPoint("sensitivity", "specificity", 0.8) : null,
    };

    internal static DataCard Card(int melanoma = 100, int nevus = 400, int size = 64) => new()
    {
        Format = "folder",
        Source = "/data",
        Classes = ["melanoma", "nevus"],
        TotalItems = (int)((melanoma + nevus) / 0.7),
        Counts = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["train"] = new Dictionary<string, int> { ["melanoma"] = melanoma, ["nevus"] = nevus },
            ["val"] = new Dictionary<string, int> { ["melanoma"] = 20, ["nevus"] = 80 },
            ["test"] = new Dictionary<string, int> { ["melanoma"] = 20, ["nevus"] = 80 },
        },
        ImageSizes = new SizeSummary(size, size, size, size, size, size),
        Channels = 3,
        SplitMethod = "stratified_grouped",
    };

    [Fact]
    public void Should_PlanTheSameRecipeWithOrigins_When_GivenTheSameSpecAndCard()
    {
        // Given a spec and a card / When planned twice
        var a = Initializer.Plan(Spec(), Card(), 17);
        var b = Initializer.Plan(Spec(), Card(), 17);
        // Then the recipe is identical (pure function) and explains itself
        Assert.Equal(Json.Serialize(a), Json.Serialize(b));
        Assert.Equal(64, a.Input.Size);
        Assert.Equal(3, a.Input.Channels);
        foreach (var key in new[] { "input.size", "model", "optimizer", "augmentation", "loss", "batch_size" })
            Assert.True(a.Origins.ContainsKey(key), key);
        // the minority positive class the clinician must not miss gets mild class weights from the start
        Assert.Equal("sqrt_inverse_frequency", a.Loss.ClassWeights);
        Assert.Equal("none", Initializer.Plan(Spec(ErrorPreference.Balanced), Card(), 17).Loss.ClassWeights);
    }

    [Fact]
    public void Should_RoundTripTheRecipe_When_SerialisedAsSnakeCaseJson()
    {
        // Given a recipe / When serialised and read back / Then it is equal and uses snake_case names
        var r = Initializer.Plan(Spec(), Card(), 3);
        var json = Json.Serialize(r);
        Assert.Contains("\"learning_rate\"", json);
        Assert.Contains("\"class_weights\"", json);
        var back = Json.Deserialize<Recipe>(json, "recipe.json");
        Assert.Equal(json, Json.Serialize(back));
    }

    [Fact]
    public void Should_OfferAtLeastFifteenMoves_When_ListingThePlaybook()
    {
        Assert.True(PlaybookProposer.MoveNames.Count >= 15);
        Assert.Equal(PlaybookProposer.MoveNames.Count, PlaybookProposer.MoveNames.Distinct().Count());
    }

    private static (TrialRecord, Recipe, TrialMetrics?) Done(int n, string move, Recipe r, bool accepted, TrialStatus status = TrialStatus.Succeeded, TrialMetrics? m = null) =>
        (new TrialRecord(n, move, move, "why", null, status, status == TrialStatus.Succeeded ? 0.5 : null, accepted, null, status == TrialStatus.Succeeded ? null : "diverged", DateTimeOffset.UtcNow), r, m);

    [Fact]
    public void Should_ProposeClassBalancedSampling_When_TrainingDataAreImbalanced()
    {
        // Given an imbalanced card and only the initial trial
        var r0 = Initializer.Plan(Spec(), Card(), 1);
        var state = new DevelopmentState(Spec(), Card(50, 450), [Done(0, "initial", r0, true)], r0, null);
        // When the playbook proposes
        var p = new PlaybookProposer().Propose(state)!;
        // Then it balances the sampler, says why with the ratio, and cites a source
        Assert.Equal("class_balanced_sampling", p.Move);
        Assert.Equal("class_balanced", p.Recipe.Sampler.Name);
        Assert.Contains("9.0:1", p.Reason);
        Assert.False(string.IsNullOrWhiteSpace(p.Source));
    }

    [Fact]
    public void Should_ProposeARepair_When_TheLastTrialFailed()
    {
        // Given a failed last trial
        var r0 = Initializer.Plan(Spec(), Card(), 1);
        var state = new DevelopmentState(Spec(), Card(), [Done(0, "initial", r0, true), Done(1, "wider_network", r0 with { Model = r0.Model with { Width = 32 } }, false, TrialStatus.Failed)], r0, null);
        // When the playbook proposes / Then it lowers the learning rate and clips gradients
        var p = new PlaybookProposer().Propose(state)!;
        Assert.Equal("lower_learning_rate", p.Move);
        Assert.True(p.Recipe.Optimizer.LearningRate < r0.Optimizer.LearningRate);
        Assert.Equal(1.0, p.Recipe.Optimizer.GradClip);
    }

    [Fact]
    public void Should_NotRepeatADiscardedMove_When_ProposingAgain()
    {
        // Given class-balanced sampling was tried and discarded
        var r0 = Initializer.Plan(Spec(), Card(), 1);
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, true), Done(1, "class_balanced_sampling", r0 with { Sampler = new SamplerSpec("class_balanced") }, false) };
        // When the playbook proposes / Then it moves on to something else
        var p = new PlaybookProposer().Propose(new DevelopmentState(Spec(), Card(50, 450), history, r0, null))!;
        Assert.NotEqual("class_balanced_sampling", p.Move);
    }

    [Fact]
    public void Should_TakeAnotherStepTheSameWay_When_ALearningRateChangeWasKept()
    {
        // Given a kept halving of the learning rate
        var r0 = Initializer.Plan(Spec(), Card(), 1);
        var r1 = r0 with { Optimizer = r0.Optimizer with { LearningRate = r0.Optimizer.LearningRate / 2 } };
        var kept = Done(1, "lower_learning_rate_plateau", r1, true);
        kept.Item1 = kept.Item1 with { Objective = 0.6 };
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, true), kept };
        // When the playbook proposes
        var p = new PlaybookProposer().Propose(new DevelopmentState(Spec(), Card(100, 120), history, r1, null))!;
        // Then it halves again, saying it extends what worked
        Assert.Equal("lower_learning_rate_plateau", p.Move);
        Assert.Equal(r0.Optimizer.LearningRate / 4, p.Recipe.Optimizer.LearningRate, 10);
        Assert.Contains("same direction", p.Reason);
        // and once a further step failed, it neither repeats it nor turns to the opposite direction
        var r2 = r1 with { Optimizer = r1.Optimizer with { LearningRate = r1.Optimizer.LearningRate / 2 } };
        history.Add(Done(2, "lower_learning_rate_plateau", r2, false));
        var next = new PlaybookProposer().Propose(new DevelopmentState(Spec(), Card(100, 120), history, r1, null))!;
        Assert.NotEqual("lower_learning_rate_plateau", next.Move);
        Assert.NotEqual("higher_learning_rate", next.Move);
    }

    [Fact]
    public void Should_ProposeLabelSmoothingNamingTheEce_When_ValidationConfidenceIsMiscalibrated()
    {
        // Given a balanced card, a still-improving best trial, but validation confidence far from accuracy
        var spec = Spec(ErrorPreference.Balanced);
        var r0 = Initializer.Plan(spec, Card(100, 120), 1) with { TestTimeAugmentation = true };
        var curve = Enumerable.Range(1, 5).Select(e => new EpochLog(e, 1.0 / e, 1.0 / e, 0.5 + e / 20.0, 0.7, 1)).ToList();
        TrialMetrics Metrics(double ece) => new()
        {
            Status = TrialStatus.Succeeded, Curve = curve, BestEpoch = 5,
            Best = new ValidationMetrics(0.8, "auc", 0.8, 0.75, 0.75, 0.7, 0.8, 0.5, ece),
        };
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, true, m: Metrics(0.18)) };
        // When the playbook proposes, with moves for a still-improving curve ruled out as already tried
        var tried = new[] { "wider_network", "deeper_network", "higher_learning_rate", "sgd_momentum" }
            .Select((m, i) => Done(i + 1, m, r0 with { Seed = 100 + i }, false)).ToList();
        var p = new PlaybookProposer().Propose(new DevelopmentState(spec, Card(100, 120), [.. history, .. tried], r0, Metrics(0.18)))!;
        // Then label smoothing is proposed because of the calibration error, which the reason quotes
        Assert.Equal("label_smoothing", p.Move);
        Assert.Contains("0.18", p.Reason);
        // and a well-calibrated model gets no such proposal
        var calm = new PlaybookProposer().Propose(new DevelopmentState(spec, Card(100, 120), [.. history, .. tried], r0, Metrics(0.03)));
        Assert.NotEqual("label_smoothing", calm?.Move);
    }

    [Fact]
    public void Should_DiagnoseOverfitting_When_ValidationLossRisesWhileTrainingLossFalls()
    {
        var curve = new[] { (1.0, 0.8), (0.7, 0.6), (0.5, 0.55), (0.3, 0.65), (0.2, 0.75) }
            .Select((c, i) => new EpochLog(i + 1, c.Item1, c.Item2, 0.5, 0.5, 1)).ToList();
        var m = new TrialMetrics { Status = TrialStatus.Succeeded, Curve = curve, BestEpoch = 3 };
        Assert.Equal(CurveDiagnosis.Overfitting, PlaybookProposer.Diagnose(m));
        var under = curve.Select(e => e with { TrainLoss = 0.9, ValLoss = 0.9 }).ToList();
        Assert.Equal(CurveDiagnosis.Underfitting, PlaybookProposer.Diagnose(m with { Curve = under }));
    }

    [Fact]
    public void Should_RecordTheTestLookOnceAndRefuseASecond_When_OpeningTheSeal()
    {
        // Given a run with splits and a journal
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        Json.Write(run.Splits, new Splits([new DataItem("a", 0)], [new DataItem("b", 1)], [new DataItem("c", 1)], "official", 1));
        using var journal = new Journal(run.Journal);
        // When development loads its data, nothing is recorded and no test item is returned
        var dev = SplitStore.LoadDevelopment(run);
        Assert.Equal(0, journal.TestLookCount);
        Assert.DoesNotContain(dev.Train.Concat(dev.Val), i => i.Id == "c");
        // When the test split is opened
        var test = SplitStore.OpenTest(run, journal, "final", allowRepeat: false);
        // Then the look is journaled and a second look is refused unless allowed, and then recorded as repeated
        Assert.Equal("c", Assert.Single(test).Id);
        Assert.Equal(1, journal.TestLookCount);
        var e = Assert.Throws<ClinforgeException>(() => SplitStore.OpenTest(run, journal, "again", allowRepeat: false));
        Assert.Contains("already looked", e.Message);
        SplitStore.OpenTest(run, journal, "again", allowRepeat: true);
        Assert.Equal(2, journal.TestLookCount);
        Assert.Contains("REPEATED", journal.Events("test_look")[1].Message);
    }

    [Fact]
    public void Should_RefuseUpdatesAndDeletes_When_TheJournalIsWritten()
    {
        // Given a journal with a trial
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "journal.db");
        using (var j = new Journal(path))
            j.AppendTrial(new TrialRecord(0, "initial", "v0", "start", null, TrialStatus.Succeeded, 0.8, true, null, null, DateTimeOffset.UtcNow));
        // When someone tries to rewrite history through SQL
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE trials SET objective = 0.99";
        // Then SQLite refuses, and the record survives a reopen
        Assert.Throws<SqliteException>(() => cmd.ExecuteNonQuery());
        using var again = new Journal(path);
        Assert.Equal(0.8, Assert.Single(again.Trials()).Objective);
    }

    [Fact]
    public void Should_KillAndRecordATimeout_When_ATrialOverrunsItsBudget()
    {
        // Given a "trial" process that hangs
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        Directory.CreateDirectory(run.Trial(0).Root);
        var runner = new LocalProcessTrialRunner(new TrialLauncher("bash", ["-c", "sleep 60", "trial"]), 1, graceFraction: 0, minGraceSeconds: 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // When run with a 1 s budget
        var m = runner.Run(run, 0, TimeSpan.FromSeconds(1), null, CancellationToken.None);
        // Then it is killed soon after the budget plus grace and recorded as timed out with a diagnosis
        Assert.Equal(TrialStatus.TimedOut, m.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), clock.Elapsed.ToString());
        Assert.Contains("did not finish in time", m.Diagnosis);
        Assert.Contains("killed", File.ReadAllText(run.Trial(0).Log));
    }

    [Fact]
    public void Should_WaitForOneTimeWorkUpToOneBudget_When_ATrialReportsIt()
    {
        // Given "trials" that run 5 s on a 3 s budget with 1 s of grace (killed at 4 s unless told otherwise)
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        Directory.CreateDirectory(run.Trial(0).Root);
        LocalProcessTrialRunner Runner(string script) => new(new TrialLauncher("bash", ["-c", script, "trial"]), 1, graceFraction: 0, minGraceSeconds: 1);

        // When one reports 6 s of one-time work for the run first
        var reported = Runner("echo '@prepared 6'; sleep 5").Run(run, 0, TimeSpan.FromSeconds(3), null, CancellationToken.None);
        // Then the limit moves by one budget at most (3 s, to 7 s): it ends on its own, a failed trial (no metrics), not a timed-out one
        Assert.Equal(TrialStatus.Failed, reported.Status);

        // When one reports nothing, it is killed at the limit
        var silent = Runner("sleep 5").Run(run, 0, TimeSpan.FromSeconds(3), null, CancellationToken.None);
        Assert.Equal(TrialStatus.TimedOut, silent.Status);

        // When the budget is 1 s, 6 s reported grant 1 s: killed at 3 s, and the log says so
        var capped = Runner("echo '@prepared 6'; sleep 5").Run(run, 0, TimeSpan.FromSeconds(1), null, CancellationToken.None);
        Assert.Equal(TrialStatus.TimedOut, capped.Status);
        Assert.Contains("1s more for one-time work", File.ReadAllText(run.Trial(0).Log));

        // And the report lines are read strictly, as the trial workers write them
        Assert.Equal(TimeSpan.FromSeconds(2.5), LocalProcessTrialRunner.ParsePrepared(TrialProtocol.PreparedLine(TimeSpan.FromSeconds(2.5))));
        Assert.Equal(TimeSpan.FromSeconds(2.5), LocalProcessTrialRunner.ParsePrepared("@prepared 2.5"));
        Assert.Null(LocalProcessTrialRunner.ParsePrepared("@prepared -3"));
        Assert.Null(LocalProcessTrialRunner.ParsePrepared("@prepared NaN"));
        Assert.Null(LocalProcessTrialRunner.ParsePrepared("@progress 1 2 0.5 -"));
        Assert.Equal(new TrialProgressReport(3, 9, 0.25, 0.75), LocalProcessTrialRunner.ParseProgress(TrialProtocol.ProgressLine(3, 9, 0.25, 0.75)));
    }

    [Fact]
    public void Should_DiagnoseOutOfMemory_When_ATrialProcessCrashes()
    {
        // Given a "trial" process that dies reporting memory exhaustion
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Path);
        Directory.CreateDirectory(run.Trial(0).Root);
        var runner = new LocalProcessTrialRunner(new TrialLauncher("bash", ["-c", "echo 'RuntimeError: out of memory' >&2; exit 1", "trial"]), 1);
        // When run / Then it is a failed trial with an out-of-memory diagnosis, and the loop can carry on
        var m = runner.Run(run, 0, TimeSpan.FromSeconds(30), null, CancellationToken.None);
        Assert.Equal(TrialStatus.Failed, m.Status);
        Assert.Contains("out of memory", m.Diagnosis);
    }
}
