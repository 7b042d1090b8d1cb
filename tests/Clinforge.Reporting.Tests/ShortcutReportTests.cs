using Clinforge.Evaluation;

namespace Clinforge.Reporting.Tests;

public sealed class ShortcutReportTests
{
    private static ShortcutModelResult Model(string name, double partial, int fpWith, int fp, double auc)
    {
        var cells = new[] { (0, false), (0, true), (1, false), (1, true) }.Select(c => new ConfoundCell(c.Item1, c.Item2, 10, 0.5, 0.4, 0.5, 0.6)).ToList();
        var analysis = new ConfoundAnalysis(cells, 0.5, fp, fpWith, (double)fpWith / fp, 0.35,
            new CorrelationEstimate(partial / 2, 0, 0.3), new CorrelationEstimate(partial, partial - 0.05, partial + 0.05));
        return new ShortcutModelResult(name, name == "baseline" ? "no debiasing" : "group-balanced sampling",
            new Bootstrap.Interval(auc, auc - 0.02, auc + 0.02, 100, "percentile"), analysis,
            new Bootstrap.Interval((double)fpWith / fp, 0.1, 0.9, 100, "percentile"), 0.95, partial);
    }

    private static Bootstrap.PairedTestResult Diff(double d) => new(d, new Bootstrap.Interval(d, d - 0.01, d + 0.01, 100, "percentile"), 0.3, 100);

    [Fact]
    public void Should_MeetTargets_When_PartialFallsByHalfFpShareHalvesAndAucHolds()
    {
        // given a baseline with partial r 0.48 and 12/20 FPs in drain negatives, and a refined model with 0.26 and 5/20
        var b = Model("baseline", 0.48, 12, 20, 0.93);
        var r = Model("refined", 0.26, 5, 20, 0.92);

        // when the targets are evaluated with an AUC difference of −0.01
        var t = ShortcutTargets.Evaluate(b, r, Diff(-0.01));

        // then all three are met: 46% reduction, ratio 0.417, drop within 0.02
        Assert.Equal(0.4583, t.PartialReduction, 3);
        Assert.True(t.PartialMet);
        Assert.Equal(5.0 / 12, t.FalsePositiveShareRatio, 6);
        Assert.True(t.FalsePositiveMet);
        Assert.True(t.AucMet);
    }

    [Fact]
    public void Should_SayNotMet_When_TheRefinedModelFallsShort()
    {
        // given a refined model that cuts partial r by 25%, FP share by a third, and loses 0.03 AUC
        var t = ShortcutTargets.Evaluate(Model("baseline", 0.40, 12, 20, 0.93), Model("refined", 0.30, 8, 20, 0.90), Diff(-0.03));

        // when rendered
        var md = ShortcutReport.Markdown(Result(t));

        // then each target says NOT met, and the injection statement and trade-off flag are in the text
        Assert.False(t.PartialMet || t.FalsePositiveMet || t.AucMet);
        Assert.Contains("Partial correlation reduced by ≥ 40%: NOT met (25% reduction)", md, StringComparison.Ordinal);
        Assert.Contains("at least halved: NOT met", md, StringComparison.Ordinal);
        Assert.Contains("> **INJECTED CONFOUNDER", md, StringComparison.Ordinal);
        Assert.Contains("kept (trade-off)", md, StringComparison.Ordinal);
        Assert.Contains("train: 60% of positives have chest drains (6/10) vs 10% of negatives (1/10)", md, StringComparison.Ordinal);
        Assert.Contains("AUC 0.900 [0.850, 0.950]", md, StringComparison.Ordinal);
    }

    private static ShortcutResult Result(ShortcutTargets t) => new(
        "INJECTED CONFOUNDER: test", "Classify pneumonia, but don't rely on chest drains.", "chest drains",
        new AuxiliaryClassifierResult("auxiliary classifier", 100, 20, new Bootstrap.Interval(0.9, 0.85, 0.95, 100, "percentile"), 0.8, 0.9, 0.88),
        new ConfounderInspection([new ConfounderCrossTab("train", 6, 10, 1, 10)], new Bootstrap.Interval(0.75, 0.7, 0.8, 100, "percentile")),
        [],
        [new ShortcutRoundRow(1, "group_balanced_sampling", "group-balanced", "why", "Sagawa et al. 2020", 0.94, 0.05, true, "tradeoff_priority_independence", "Trade-off: ...", true)],
        Model("baseline", 0.40, 12, 20, 0.93), Model("refined", 0.30, 8, 20, 0.90), t, 100, "test");
}
