using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

public sealed class ShortcutDevelopmentTests
{
    private static readonly ShortcutPolicy s_policy = new();

    private static TaskSpec SpecWithDrains() => DevelopmentTests.Spec() with { Confounders = [new Confounder("chest drains", "don't rely on chest drains")] };

    private static (TrialRecord, Recipe, TrialMetrics?) Tried(int n, string move, Recipe r, bool accepted) =>
        (new TrialRecord(n, move, move, "why", null, TrialStatus.Succeeded, 0.5, accepted, null, null, DateTimeOffset.UtcNow), r, null);

    [Fact]
    public void Should_Keep_When_PrimaryImprovesAndDependenceDoesNotRise()
    {
        // given a best of AUC 0.90, |r| 0.40 and a candidate of AUC 0.92, |r| 0.39
        // when decided
        var d = ShortcutAcceptance.Decide(new(0.90, 0.40), new(0.92, 0.39), s_policy);
        // then it is kept by the first rule, without a trade-off
        Assert.True(d.Keep);
        Assert.Equal("better_primary_not_more_dependent", d.Rule);
        Assert.False(d.TradeOff);
    }

    [Fact]
    public void Should_Keep_When_DependenceFallsAtAnAllowedCost()
    {
        // given a candidate that halves dependence for 0.015 AUC (allowed: 0.02)
        var d = ShortcutAcceptance.Decide(new(0.90, 0.40), new(0.885, 0.20), s_policy);
        // then it is kept as less dependent within the allowed cost
        Assert.True(d.Keep);
        Assert.Equal("less_dependent_within_allowed_cost", d.Rule);
    }

    [Fact]
    public void Should_DecideByTheClinicianAllowance_When_TheSpecAnswersTheTradeOffQuestion()
    {
        // given a candidate that cuts dependence 0.40 → 0.10 for 0.03 AUC, under three answers to confounder_max_loss
        var (best, candidate) = (new ShortcutScore(0.90, 0.40), new ShortcutScore(0.87, 0.10));
        var unanswered = ShortcutPolicy.From(SpecWithDrains());
        var generous = ShortcutPolicy.From(SpecWithDrains() with { ConfounderMaxLoss = 0.04 });
        var aucFirst = ShortcutPolicy.From(SpecWithDrains() with { ConfounderMaxLoss = 0 });

        // then unanswered keeps the default 0.02 with independence first, 0.04 allows the change outright, and 0 puts AUC first
        Assert.Equal((0.02, ShortcutPriority.Independence), (unanswered.MaxPrimaryLoss, unanswered.Priority));
        Assert.True(ShortcutAcceptance.Decide(best, candidate, unanswered).TradeOff);
        var d = ShortcutAcceptance.Decide(best, candidate, generous);
        Assert.True(d.Keep);
        Assert.Equal("less_dependent_within_allowed_cost", d.Rule);
        Assert.Equal(ShortcutPriority.Primary, aucFirst.Priority);
        Assert.False(ShortcutAcceptance.Decide(best, candidate, aucFirst).Keep);
        Assert.True(ShortcutAcceptance.Decide(best, new ShortcutScore(0.90, 0.10), aucFirst).Keep); // less dependence at no cost is still welcome
    }

    [Fact]
    public void Should_FollowThePriorityAndSaySo_When_TheTradeOffIsReal()
    {
        // given a candidate that improves AUC by 0.03 but raises dependence from 0.2 to 0.4, and one that cuts dependence for 0.04 AUC
        var moreDependent = (new ShortcutScore(0.90, 0.20), new ShortcutScore(0.93, 0.40));
        var costly = (new ShortcutScore(0.90, 0.40), new ShortcutScore(0.86, 0.10));

        // when decided under each priority
        var a = ShortcutAcceptance.Decide(moreDependent.Item1, moreDependent.Item2, s_policy with { Priority = ShortcutPriority.Independence });
        var b = ShortcutAcceptance.Decide(moreDependent.Item1, moreDependent.Item2, s_policy with { Priority = ShortcutPriority.Primary });
        var c = ShortcutAcceptance.Decide(costly.Item1, costly.Item2, s_policy with { Priority = ShortcutPriority.Independence });
        var e = ShortcutAcceptance.Decide(costly.Item1, costly.Item2, s_policy with { Priority = ShortcutPriority.Independence, HardPrimaryLoss = 0.03 });

        // then the priority decides, every one is flagged as a trade-off, and the reason names the priority
        Assert.False(a.Keep);
        Assert.True(b.Keep);
        Assert.True(c.Keep);
        Assert.False(e.Keep);
        Assert.All(new[] { a, b, c, e }, x => Assert.True(x.TradeOff));
        Assert.Contains("not relying on the confounder", a.Reason, StringComparison.Ordinal);
        Assert.Contains("hard limit", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Discard_When_NothingImproves()
    {
        // given a candidate worse on both counts
        var d = ShortcutAcceptance.Decide(new(0.90, 0.20), new(0.89, 0.21), s_policy);
        // then it is discarded without a trade-off
        Assert.False(d.Keep);
        Assert.False(d.TradeOff);
    }

    [Fact]
    public void Should_MakeIndependenceThePriority_When_TheSpecNamesAConfounder()
    {
        // given specs with and without a confounder / when the policy is derived / then independence comes first only with one
        Assert.Equal(ShortcutPriority.Independence, ShortcutPolicy.From(SpecWithDrains()).Priority);
        Assert.Equal(ShortcutPriority.Primary, ShortcutPolicy.From(DevelopmentTests.Spec()).Priority);
    }

    [Fact]
    public void Should_ProposeNothing_When_TheSpecNamesNoConfounder()
    {
        // given a spec without confounders
        var r0 = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(), 1);
        var state = new DevelopmentState(DevelopmentTests.Spec(), DevelopmentTests.Card(), [Tried(0, "initial", r0, true)], r0, null);
        // when the shortcut playbook proposes / then nothing
        Assert.Null(new ShortcutPlaybook().Propose(state));
    }

    [Fact]
    public void Should_WalkTheMovesAndSearchLambda_When_TheSpecNamesAConfounder()
    {
        // given a spec naming chest drains and the initial trial
        var spec = SpecWithDrains();
        var r0 = Initializer.Plan(spec, DevelopmentTests.Card(), 1);
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Tried(0, "initial", r0, true) };
        var playbook = new ShortcutPlaybook();

        // when group balancing is proposed and kept, then the adversary at λ 0.3 is proposed and kept
        var p1 = playbook.Propose(new DevelopmentState(spec, DevelopmentTests.Card(), history, r0, null))!;
        history.Add(Tried(1, p1.Move, p1.Recipe, true));
        var p2 = playbook.Propose(new DevelopmentState(spec, DevelopmentTests.Card(), history, p1.Recipe, null))!;
        history.Add(Tried(2, p2.Move, p2.Recipe, true));
        var p3 = playbook.Propose(new DevelopmentState(spec, DevelopmentTests.Card(), history, p2.Recipe, null))!;

        // then moves combine on the best recipe, each cites its source, and the λ search goes up after a kept λ
        Assert.Equal("group_balanced_sampling", p1.Move);
        Assert.True(p1.Recipe.Debias!.GroupBalanced);
        Assert.Equal("chest drains", p1.Recipe.Debias.Confounder);
        Assert.Equal("adversarial_confounder_head", p2.Move);
        Assert.Equal(0.3, p2.Recipe.Debias!.AdversaryWeight);
        Assert.True(p2.Recipe.Debias.GroupBalanced);
        Assert.Contains("Ganin", p2.Source, StringComparison.Ordinal);
        Assert.Equal("adversarial_confounder_head", p3.Move);
        Assert.Equal(1.0, p3.Recipe.Debias!.AdversaryWeight);
        Assert.Empty(RecipeSchema.Problems(p3.Recipe));
    }

    [Fact]
    public void Should_ReportAProblem_When_DebiasKnobsAreOutOfRange()
    {
        // given a recipe with a negative λ / when validated / then the schema names the field
        var r = Initializer.Plan(DevelopmentTests.Spec(), DevelopmentTests.Card(), 1) with { Debias = new DebiasSpec("drains", AdversaryWeight: -1) };
        Assert.Contains(RecipeSchema.Problems(r), p => p.Contains("debias.adversary_weight", StringComparison.Ordinal));
    }
}
