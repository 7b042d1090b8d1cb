namespace Clinforge.Evaluation.Tests;

public sealed class ShortcutTargetsTests
{
    private static ShortcutModelRow Row(string name, int trial, double partial, int fpWith, int fp, double auc) =>
        new(name, trial, name == "baseline" ? "no debiasing" : "group-balanced sampling", auc, auc - 0.02, auc + 0.02, null, partial, partial - 0.05, partial + 0.05)
        {
            FalsePositiveShare = (double)fpWith / fp, FalsePositiveShareLower = 0.1, FalsePositiveShareUpper = 0.9, FalsePositives = fp, NegativeShare = 0.35,
        };

    private static ShortcutSummary Summary(ShortcutModelRow baseline, ShortcutModelRow? refined, double aucDifference) =>
        new("shortcut", 100, 400, null, refined is null ? [baseline] : [baseline, refined], "INJECTED", "verdict")
        {
            AucDifference = refined is null ? null : new PairedDifference(aucDifference, aucDifference - 0.01, aucDifference + 0.01, 0.3),
        };

    [Fact]
    public void Should_MeetEveryTarget_When_PartialFallsByHalfFpShareHalvesAndAucHolds()
    {
        // Given the seed study's shape: partial r 0.48 → 0.26, 12/20 → 5/20 false positives with a drain, AUC −0.01
        var s = Summary(Row("baseline", 0, 0.48, 12, 20, 0.93), Row("refined", 3, 0.26, 5, 20, 0.92), -0.01);

        // When the targets are evaluated
        var t = ShortcutTargets.Evaluate(s)!;

        // Then all three are met: (0.48 − 0.26)/0.48 = 45.8%, ratio (5/20)/(12/20) = 0.417, drop 0.01 ≤ 0.02
        Assert.Equal(0.4583, t.PartialReduction, 4);
        Assert.True(t.PartialMet);
        Assert.Equal(5.0 / 12, t.FalsePositiveShareRatio, 9);
        Assert.True(t.FalsePositiveMet);
        Assert.True(t.AucMet);
    }

    [Fact]
    public void Should_NotCountASignFlipAsAReduction_When_ThePartialCorrelationSwingsNegative()
    {
        // Given a baseline at +0.094 and a refined model at −0.093 (the sign flipped, the magnitude stayed), FP share 8/20 → 6/20, AUC −0.03
        var t = ShortcutTargets.Evaluate(Summary(Row("baseline", 0, 0.094, 8, 20, 0.93), Row("refined", 2, -0.093, 6, 20, 0.90), -0.03))!;

        // Then the reduction is (0.094 − 0.093)/0.094 ≈ 1%, not 199%, and no target is met
        Assert.Equal(0.001 / 0.094, t.PartialReduction, 6);
        Assert.False(t.PartialMet);
        Assert.Equal(0.75, t.FalsePositiveShareRatio, 9);
        Assert.False(t.FalsePositiveMet);
        Assert.False(t.AucMet);
    }

    [Fact]
    public void Should_HaveNothingToCompare_When_TheBaselineWasKept()
    {
        // Given a run whose final model is its baseline
        var s = Summary(Row("baseline", 0, 0.3, 8, 20, 0.93), null, 0);

        // Then there are no targets to evaluate
        Assert.Null(ShortcutTargets.Evaluate(s));
    }
}
