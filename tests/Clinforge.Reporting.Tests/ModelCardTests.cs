namespace Clinforge.Reporting.Tests;

public sealed class ModelCardTests
{
    [Fact]
    public void Should_StateUseDataMetricsOperatingPointLimitations_When_Evaluated()
    {
        // given an evaluated synthetic run
        using var run = new SyntheticRun();

        // when the card is rendered
        var card = MarkdownRenderer.Render(ModelCard.Build(RunReport.Load(run.Run, run.Trials, run.Looks)), run.Run.ReportDir);

        // then every section is filled from the run's values
        Assert.Contains("Final model: trial 2 (width 16 → 32)", card);
        Assert.Contains("Requested as: \"Find melanoma versus benign nevus; missing a melanoma is worse.\"", card);
        Assert.Contains("Error preference: sensitivity.", card);
        Assert.Contains("| test | 5 | 5 | 10 |", card);
        Assert.Contains("| auc | 0.960 [0.850, 1.000] |", card);
        Assert.Contains("| sensitivity | 0.800 [0.400, 1.000] |", card);
        Assert.Contains("Call **melanoma** when its probability is ≥ 0.5000 (Youden's J, chosen on the validation split).", card);
        Assert.Contains("## Limitations", card);
    }

    [Fact]
    public void Should_SayNotEvaluated_When_TestSealed()
    {
        using var run = new SyntheticRun(evaluated: false);

        var card = MarkdownRenderer.Render(ModelCard.Build(RunReport.Load(run.Run, run.Trials, run.Looks)), run.Run.ReportDir);

        Assert.Contains("Not evaluated yet", card);
        Assert.Contains("Final model: trial 2", card);
    }
}
