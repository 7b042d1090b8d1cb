using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class TradeOffTests
{
    // 10 positives and 10 negatives whose score distributions overlap, worked by hand:
    // sensitivity ≥ 0.9 needs threshold 0.30, where 4 negatives are called (specificity 0.6);
    // specificity ≥ 0.9 needs threshold 0.70, where 5 positives are caught (sensitivity 0.5);
    // Youden's J is highest (0.5) at 0.50 (sensitivity 0.7, specificity 0.8) and at 0.40; ties go to the higher threshold.
    private static readonly double[] s_positives = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.1];
    private static readonly double[] s_negatives = [0.75, 0.65, 0.45, 0.35, 0.25, 0.2, 0.15, 0.12, 0.08, 0.05];

    private static (int[] Labels, double[] Scores) Validation() =>
        (s_positives.Select(_ => 1).Concat(s_negatives.Select(_ => 0)).ToArray(), s_positives.Concat(s_negatives).ToArray());

    private static TaskSpec Spec(double sensitivity, double specificity, ErrorPreference preference) => DevelopmentTests.Spec() with
    {
        ErrorPreference = preference,
        PrimaryMetric = Metrics.SpecificityAtSensitivity,
        OperatingPoint = new OperatingPoint("specificity", "sensitivity", sensitivity),
        Requirements = [new Requirement("sensitivity", sensitivity), new Requirement("specificity", specificity)],
        Provenance = new Dictionary<string, string> { ["error_preference"] = "never miss" },
    };

    [Fact]
    public void Should_LayOutTheAchievablePoints_When_BothFloorsCannotBeMet()
    {
        // Given floors of 90% sensitivity and 90% specificity that no threshold meets on validation
        var (labels, scores) = Validation();
        // When the conflict is analysed
        var options = TradeOffs.Conflict(Spec(0.9, 0.9, ErrorPreference.Sensitivity), labels, scores)!;
        // Then three options carry the hand-computed rates and thresholds
        Assert.Equal([TradeOffKeys.SensitivityFirst, TradeOffKeys.SpecificityFirst, TradeOffKeys.Balanced], options.Select(o => o.Key));
        Assert.Equal((0.9, 0.6, 0.3), (options[0].Sensitivity, options[0].Specificity, options[0].Threshold));
        Assert.Equal((0.5, 0.9, 0.7), (options[1].Sensitivity, options[1].Specificity, options[1].Threshold));
        Assert.Equal((0.7, 0.8, 0.5), (options[2].Sensitivity, options[2].Specificity, options[2].Threshold));
        Assert.Contains("specificity falls to 60%", options[0].Description);
        Assert.Equal(new OperatingPoint("specificity", "sensitivity", 0.9), options[0].OperatingPoint);
        Assert.Null(options[2].OperatingPoint);
    }

    [Fact]
    public void Should_NotAsk_When_OneThresholdMeetsBothFloors()
    {
        // Given floors of 50% sensitivity and 90% specificity (threshold 0.70 meets both)
        var (labels, scores) = Validation();
        // When analysed / Then there is nothing to negotiate
        Assert.Null(TradeOffs.Conflict(Spec(0.5, 0.9, ErrorPreference.Sensitivity), labels, scores));
        // and a single floor never needs negotiation
        Assert.Null(TradeOffs.Conflict(Spec(0.9, 0.9, ErrorPreference.Sensitivity) with { Requirements = [new Requirement("sensitivity", 0.9)] }, labels, scores));
    }

    private static RunPaths PreparedRun(TempDir tmp)
    {
        var run = new RunPaths(tmp.Combine("run"));
        Directory.CreateDirectory(run.Trial(0).Root);
        var (labels, scores) = Validation();
        // Class 0 is melanoma (the positive class), so the positive-class label is 0 in the table.
        PredictionTable.Write(run.Trial(0).ValPredictions, labels.Select((_, i) => $"v{i}").ToArray(),
            labels.Select(l => l == 1 ? 0 : 1).ToArray(), scores.Select(s => new[] { s, 1 - s }).ToArray(), ["melanoma", "nevus"]);
        return run;
    }

    [Fact]
    public void Should_FollowTheStatedPriorityAndJournalIt_When_TheRunIsUnattended()
    {
        // Given a run whose best model cannot meet both floors, and a clinician who fears missed cases
        using var tmp = new TempDir();
        var run = PreparedRun(tmp);
        using var journal = new Journal(run.Journal);
        journal.AppendTrial(new TrialRecord(0, "initial", "v0", "start", null, TrialStatus.Succeeded, 0.6, true, null, null, DateTimeOffset.UtcNow));
        var spec = Spec(0.9, 0.9, ErrorPreference.Sensitivity);

        // When negotiated without anyone to ask
        var decision = TradeOffs.Negotiate(run, journal, spec, DevelopmentTests.Card(), ask: null)!;

        // Then the sensitivity floor is kept, the decision is on disk and in the journal with the question before it
        Assert.Equal(TradeOffKeys.SensitivityFirst, decision.Chosen.Key);
        Assert.Equal("stated priority", decision.ChosenBy);
        Assert.Contains("never miss", decision.Reason);
        Assert.Equal(decision.Chosen, Json.Read<TradeOffDecision>(run.TradeOff).Chosen);
        var events = journal.Events().Select(e => e.Kind).ToList();
        Assert.True(events.IndexOf("question") >= 0 && events.IndexOf("question") < events.LastIndexOf("decision"), string.Join(",", events));
        Assert.Contains(journal.Events("decision"), e => e.Message.StartsWith("operating point:", StringComparison.Ordinal));
        // and the final evaluation's threshold rule is the negotiated one
        var objective = TradeOffs.ObjectiveFor(run, spec);
        Assert.Equal(new OperatingPoint("specificity", "sensitivity", 0.9), objective.OperatingPoint);

        // When asked again (a resumed run) / Then the recorded decision stands and nobody is asked twice
        var again = TradeOffs.Negotiate(run, journal, spec, DevelopmentTests.Card(), ask: _ => throw new InvalidOperationException("asked twice"));
        Assert.Equal(decision.Chosen.Key, again!.Chosen.Key);
    }

    [Fact]
    public void Should_UseTheClinicianChoice_When_Asked()
    {
        // Given the same conflict and a clinician who picks the balanced point
        using var tmp = new TempDir();
        var run = PreparedRun(tmp);
        using var journal = new Journal(run.Journal);
        journal.AppendTrial(new TrialRecord(0, "initial", "v0", "start", null, TrialStatus.Succeeded, 0.6, true, null, null, DateTimeOffset.UtcNow));
        IReadOnlyList<OperatingOption>? shown = null;

        // When negotiated
        var decision = TradeOffs.Negotiate(run, journal, Spec(0.9, 0.9, ErrorPreference.Specificity), DevelopmentTests.Card(),
            options => { shown = options; return options.Single(o => o.Key == TradeOffKeys.Balanced); })!;

        // Then the clinician saw all three options, the choice is recorded as theirs, and Youden's rule sets the threshold
        Assert.Equal(3, shown!.Count);
        Assert.Equal(("clinician", TradeOffKeys.Balanced), (decision.ChosenBy, decision.Chosen.Key));
        Assert.Contains(journal.Events(), e => e.Kind == "answer");
        Assert.Null(TradeOffs.ObjectiveFor(run, DevelopmentTests.Spec()).OperatingPoint);
    }
}

public sealed class TradeOffCliTests
{
    [Fact]
    public void Should_StopBeforeTheTestLookAndContinueWithTheChoice_When_AskedToDecideLater()
    {
        // Given lesion images and floors no small model can meet together
        using var tmp = new TempDir();
        var data = Clinforge.Data.SyntheticLesions.Generate(tmp.Combine("data"), count: 160, seed: 6, positiveShare: 0.5, size: 16);
        // A fifth of each class carries the other label, so no threshold can be near-perfect on validation.
        foreach (var (from, to) in new[] { ("melanoma_like", "nevus_like"), ("nevus_like", "melanoma_like") })
            foreach (var f in Directory.GetFiles(Path.Combine(data, from)).Order(StringComparer.Ordinal).Take(16).ToList())
                File.Move(f, Path.Combine(data, to, "swapped_" + Path.GetFileName(f)));
        var run = new RunPaths(tmp.Combine("run"));

        // When developing with --trade-off later
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "develop", "--request",
            "Tell melanoma from nevus with a sensitivity of at least 99.9% and a specificity of at least 99.9%", "--data", data,
            "--run", run.Root, "--rounds", "0", "--trial-minutes", "0.15", "--non-interactive", "--trade-off", "later");

        // Then it stops with the options written and the question journaled, before any look at the test split
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(run.TradeOffOptions), stdout);
        Assert.Contains("floors cannot all be met", stdout);
        Assert.False(File.Exists(run.Evaluation));
        using (var journal = new Journal(run.Journal))
        {
            Assert.Equal(0, journal.TestLookCount);
            Assert.Contains(journal.Events("question"), e => e.Message.Contains("waiting for the clinician", StringComparison.Ordinal));
        }

        // When the clinician's choice comes with resume
        (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "resume", run.Root, "--trade-off", TradeOffKeys.Balanced);

        // Then the decision is theirs, the test split is looked at once, and the report says so
        Assert.True(code == 0, stderr);
        var decision = Json.Read<TradeOffDecision>(run.TradeOff);
        Assert.Equal(("clinician", TradeOffKeys.Balanced), (decision.ChosenBy, decision.Chosen.Key));
        Assert.True(File.Exists(run.Evaluation));
        using var after = new Journal(run.Journal);
        Assert.Equal(1, after.TestLookCount);
        Assert.Contains("Decided by the clinician", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")));
    }
}

public sealed class MarginCostTests
{
    // 40 positives and 160 negatives. 39 positives score 0.90–0.995 and one scores 0.05; the negatives
    // score 0.10–0.85. Sensitivity ≥ 0.90 at the point estimate is met with specificity 1.0 by any
    // threshold catching 36–39 positives (the lowest such threshold, 39 of 40, is taken); at its
    // one-sided 95% Wilson lower bound it needs all 40 (39/40 gives about 0.89), so the threshold drops
    // to 0.05 and every negative is flagged (specificity 0.0).
    private static (int[] Labels, double[] Scores) OneHardPositive()
    {
        var positives = Enumerable.Range(0, 39).Select(i => 0.90 + i * 0.0025).Append(0.05);
        var negatives = Enumerable.Range(0, 160).Select(i => 0.10 + i * 0.75 / 159);
        return (positives.Select(_ => 1).Concat(negatives.Select(_ => 0)).ToArray(), positives.Concat(negatives).ToArray());
    }

    private static TaskSpec FloorOnly(ErrorPreference preference) => DevelopmentTests.Spec() with
    {
        ErrorPreference = preference,
        PrimaryMetric = Metrics.SpecificityAtSensitivity,
        OperatingPoint = new OperatingPoint("specificity", "sensitivity", 0.9),
        Requirements = [new Requirement("sensitivity", 0.9)],
        Provenance = new Dictionary<string, string> { ["error_preference"] = "at least 90% sensitivity" },
    };

    [Fact]
    public void Should_OfferThePromiseOrThesePositivesOnly_When_TheMarginCostsMostSpecificity()
    {
        // Given validation predictions where the margin for new patients forces catching a hard positive
        var (labels, scores) = OneHardPositive();

        // When the operating point is checked
        var (options, question) = TradeOffs.MarginCost(FloorOnly(ErrorPreference.Sensitivity), labels, scores)!.Value;

        // Then the promise (all 40 caught, specificity 0), the floor on these images only (36 of 40, specificity 1) and Youden are offered
        Assert.Equal([TradeOffKeys.PromiseFloor, TradeOffKeys.PointEstimate, TradeOffKeys.Balanced], options.Select(o => o.Key));
        Assert.Equal((1.0, 0.0, 0.05), (options[0].Sensitivity, options[0].Specificity, options[0].Threshold));
        Assert.Equal((0.975, 1.0), (options[1].Sensitivity, options[1].Specificity));
        Assert.Contains("40 of 40", options[0].Description);
        Assert.Contains("100% of the cases without the condition are flagged", options[0].Description);
        Assert.Contains("39 of 40", options[1].Description);
        Assert.True(options[1].OperatingPoint!.PointEstimate);
        Assert.False(options[0].OperatingPoint!.PointEstimate);
        Assert.Contains("falls from 100% (the floor met on these images only) to 0%", question);
    }

    [Fact]
    public void Should_NotAsk_When_TheMarginIsAffordable()
    {
        // Given the same positives without the hard one (all 40 score above every negative)
        var (labels, scores) = OneHardPositive();
        scores[39] = 0.95;
        // When checked / Then there is nothing to decide
        Assert.Null(TradeOffs.MarginCost(FloorOnly(ErrorPreference.Sensitivity), labels, scores));
        Assert.Null(TradeOffs.Pending(FloorOnly(ErrorPreference.Sensitivity), labels, scores));
        // and an objective without a sensitivity floor never asks
        var auc = FloorOnly(ErrorPreference.Balanced) with { PrimaryMetric = Metrics.Auc, OperatingPoint = null, Requirements = [] };
        Assert.Null(TradeOffs.MarginCost(auc, OneHardPositive().Labels, OneHardPositive().Scores));
    }

    private static (RunPaths Run, Journal Journal) PreparedRun(TempDir tmp)
    {
        var run = new RunPaths(tmp.Combine("run"));
        Directory.CreateDirectory(run.Trial(0).Root);
        var (labels, scores) = OneHardPositive();
        PredictionTable.Write(run.Trial(0).ValPredictions, labels.Select((_, i) => $"v{i}").ToArray(),
            labels.Select(l => l == 1 ? 0 : 1).ToArray(), scores.Select(s => new[] { s, 1 - s }).ToArray(), ["melanoma", "nevus"]);
        var journal = new Journal(run.Journal);
        journal.AppendTrial(new TrialRecord(0, "initial", "v0", "start", null, TrialStatus.Succeeded, 0.0, true, null, null, DateTimeOffset.UtcNow));
        return (run, journal);
    }

    [Fact]
    public void Should_KeepThePromiseAndSayWhatItCosts_When_UnattendedWithSensitivityPriority()
    {
        // Given a run whose margin is costly and a clinician who fears misses
        using var tmp = new TempDir();
        var (run, journal) = PreparedRun(tmp);
        using var _ = journal;
        var spec = FloorOnly(ErrorPreference.Sensitivity);

        // When negotiated unattended
        var decision = TradeOffs.Negotiate(run, journal, spec, DevelopmentTests.Card(), ask: null)!;

        // Then the promise is kept, the question is recorded with it, and the threshold rule keeps the margin
        Assert.Equal((TradeOffKeys.PromiseFloor, "stated priority"), (decision.Chosen.Key, decision.ChosenBy));
        Assert.Contains("would be flagged", decision.Question);
        Assert.Contains(journal.Events("question"), e => e.Message.Contains("would be flagged", StringComparison.Ordinal));
        var objective = TradeOffs.ObjectiveFor(run, spec);
        var (labels, scores) = OneHardPositive();
        Assert.Equal(0.05, Clinforge.Evaluation.ObjectiveEvaluator.ChooseThresholdForNewPatients(objective, labels, scores).Threshold);
    }

    [Fact]
    public void Should_SetTheThresholdAtThePointEstimate_When_TheClinicianGivesUpTheMargin()
    {
        // Given the same run and a clinician who chooses the floor on these images only
        using var tmp = new TempDir();
        var (run, journal) = PreparedRun(tmp);
        using var _ = journal;
        var spec = FloorOnly(ErrorPreference.Sensitivity);

        // When negotiated with that answer
        var decision = TradeOffs.Negotiate(run, journal, spec, DevelopmentTests.Card(), TradeOffs.Choose(TradeOffKeys.PointEstimate))!;

        // Then the choice survives the file round trip and the final threshold is the point-estimate one (39 of 40 caught, no negative)
        Assert.Equal("clinician", decision.ChosenBy);
        Assert.True(Json.Read<TradeOffDecision>(run.TradeOff).Chosen.OperatingPoint!.PointEstimate);
        var objective = TradeOffs.ObjectiveFor(run, spec);
        var (labels, scores) = OneHardPositive();
        var threshold = Clinforge.Evaluation.ObjectiveEvaluator.ChooseThresholdForNewPatients(objective, labels, scores).Threshold;
        Assert.Equal(39, scores.Where((s, i) => labels[i] == 1 && s >= threshold).Count());
        Assert.DoesNotContain(scores.Where((_, i) => labels[i] == 0), s => s >= threshold);
    }

    [Fact]
    public void Should_LeaveThePointEstimateFlagOutOfTheFile_When_ItIsNotSet()
    {
        // Given an ordinary operating point and one that gives up the margin
        var plain = Json.Serialize(new OperatingPoint("specificity", "sensitivity", 0.9));
        var flagged = Json.Serialize(new OperatingPoint("specificity", "sensitivity", 0.9, PointEstimate: true));
        // Then task specs stay as they were, and the flag round-trips when set
        Assert.DoesNotContain("point_estimate", plain);
        Assert.Contains("\"point_estimate\": true", flagged);
        Assert.True(Json.Deserialize<OperatingPoint>(flagged, "test")!.PointEstimate);
    }
}
