using System.Diagnostics;
using System.Xml.Linq;
using Clinforge.Core;

namespace Clinforge.Reporting.Tests;

/// <summary>A fact that is skipped when headless Chromium (Debian package <c>chromium</c>) is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>The browser the PDF and screenshot paths use.</summary>
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when Chromium is missing.</summary>
    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium)) Skip = $"{Chromium} is not installed (apt-get install chromium).";
    }
}

public sealed class HtmlReportTests
{
    private static string RenderSynthetic(out SyntheticRun run)
    {
        run = new SyntheticRun();
        return HtmlRenderer.Render(ClassificationReport.Build(RunReport.Load(run.Run, run.Trials, run.Looks)));
    }

    [Fact]
    public void Should_ShowRequestSpecDataAndRounds_When_RenderedFromRunFolder()
    {
        // given a synthetic run folder; when the HTML report is rendered
        var html = RenderSynthetic(out var run);
        using var _ = run;

        // then the request, spec provenance, data card and all three rounds appear
        Assert.Contains("Find melanoma versus benign nevus; missing a melanoma is worse.", html);
        Assert.Contains("<td>error_preference</td><td>sensitivity</td><td>missing a melanoma is worse</td>", html);
        Assert.Contains("<tr><td>test</td><td class=\"n\">5</td><td class=\"n\">5</td><td class=\"n\">10</td></tr>", html);
        Assert.Contains("<td class=\"n\">0.7750</td><td>discarded (best was 0.8125)</td>", html);
        Assert.Contains("<td class=\"n\">0.8750</td><td><span class=\"kept\">kept</span></td>", html);
        Assert.Contains("trial 2: width 16", html);
        Assert.Contains("id=\"fig-trajectory\"", html);
    }

    [Fact]
    public void Should_ShowInitialVersusFinalWithCisAndP_When_Evaluated()
    {
        // given an evaluated run; when rendered
        var html = RenderSynthetic(out var run);
        using var _ = run;

        // then each metric row carries both estimates with CIs, the paired difference and its p-value
        Assert.Contains("<tr><td>auc</td><td class=\"n\">0.720 [0.410, 0.980]</td><td class=\"n\">0.960 [0.850, 1.000]</td><td class=\"n\">+0.240 [0.020, 0.510]</td><td class=\"n\">0.031</td><td>DeLong</td></tr>", html);
        Assert.Contains("<td class=\"n\">+0.200 [-0.200, 0.600]</td><td class=\"n\">0.420</td>", html);
        Assert.Contains("opened once, on 2026-11-26 19:50:25Z", html);
        Assert.Contains("initial 0.450, final 0.500", html);
    }

    [Fact]
    public void Should_DrawCurvesWithHandComputedAreas_When_PredictionsExist()
    {
        // given final scores where 23 of 25 positive–negative pairs are ordered (AUC 0.92) and the
        // initial ones 16 of 25 (0.64); AP = 0.8·1 + 0.2·5/7 = 0.943
        var html = RenderSynthetic(out var run);
        using var _ = run;

        // then the legends carry those values and the operating point at 0.5 (TP 4, FN 1, FP 1, TN 4) is marked
        Assert.Contains("final (AUC 0.920)", html);
        Assert.Contains("initial (AUC 0.640)", html);
        Assert.Contains("final (AP 0.943)", html);
        Assert.Contains("operating point: threshold 0.500, sensitivity 0.800, specificity 0.800, PPV 0.800", html);
        Assert.Contains("id=\"fig-roc\"", html);
        Assert.Contains("id=\"fig-pr\"", html);
    }

    [Fact]
    public void Should_CountConfusionMatrixAndCalibration_When_ThresholdFromValidation()
    {
        // given the final model at threshold 0.5; when rendered
        var html = RenderSynthetic(out var run);
        using var _ = run;

        // then the matrix rows are benign 4/1, melanoma 1/4, and Brier = (0.79 + 0.515) / 10 = 0.1305
        var benign = html[html.IndexOf("<tr><th>benign</th>", StringComparison.Ordinal)..];
        Assert.Matches("^<tr><th>benign</th><td[^>]*>4 \\(80.0%\\)</td><td[^>]*>1 \\(20.0%\\)</td><td class=\"n\">5</td></tr>", benign);
        var melanoma = html[html.IndexOf("<tr><th>melanoma</th>", StringComparison.Ordinal)..];
        Assert.Matches("^<tr><th>melanoma</th><td[^>]*>1 \\(20.0%\\)</td><td[^>]*>4 \\(80.0%\\)</td><td class=\"n\">5</td></tr>", melanoma);
        Assert.Contains("Brier score: 0.13", html);
        Assert.Contains("id=\"fig-calibration\"", html);
    }

    [Fact]
    public void Should_StateProtocolAndLimitations_When_LookedOnce()
    {
        var html = RenderSynthetic(out var run);
        using var _ = run;

        Assert.Contains("looked at 1 time(s)", html);
        Assert.Contains("2026-11-26 19:50:25Z: first look at the sealed test split", html);
        Assert.Contains("<h2 id=\"limitations\">Limitations</h2>", html);
        Assert.DoesNotContain("MORE THAN ONCE", html);
    }

    [Fact]
    public void Should_BeSelfContainedWellFormedSvg_When_Rendered()
    {
        // given the report; when each inline SVG is parsed as XML
        var html = RenderSynthetic(out var run);
        using var _ = run;
        int svgs = 0, at = 0;
        while ((at = html.IndexOf("<svg", at, StringComparison.Ordinal)) >= 0)
        {
            int end = html.IndexOf("</svg>", at, StringComparison.Ordinal) + "</svg>".Length;
            XElement.Parse(html[at..end].Replace("&", "&amp;").Replace("&amp;amp;", "&amp;").Replace("&amp;lt;", "&lt;").Replace("&amp;gt;", "&gt;").Replace("&amp;quot;", "&quot;").Replace("&amp;#", "&#"));
            svgs++; at = end;
        }

        // then there are four figures (trajectory, ROC, PR, calibration) and nothing is fetched from elsewhere
        Assert.Equal(4, svgs);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public void Should_SayNoTestNumbers_When_NotEvaluated()
    {
        // given a run whose test split is still sealed
        using var run = new SyntheticRun(evaluated: false);

        // when rendered
        var html = HtmlRenderer.Render(ClassificationReport.Build(RunReport.Load(run.Run, run.Trials, run.Looks)));

        // then no test figure or number is shown
        Assert.Contains("has not been evaluated for this run yet", html);
        Assert.DoesNotContain("fig-roc", html);
        Assert.DoesNotContain("AUC 0.", html);
        Assert.Contains("looked at 0 time(s)", html);
    }

    [Fact]
    public void Should_WriteAllThreeFiles_When_WriteAllCalled()
    {
        using var run = new SyntheticRun();

        var html = RunReport.WriteAll(RunReport.Load(run.Run, run.Trials, run.Looks));

        Assert.Equal(Path.Combine(run.Run.ReportDir, "report.html"), html);
        Assert.True(File.Exists(Path.Combine(run.Run.ReportDir, "report.md")));
        Assert.Contains("0.960 [0.850, 1.000]", File.ReadAllText(Path.Combine(run.Run.ReportDir, "model_card.md")));
    }

    [ChromiumFact]
    public void Should_RenderInHeadlessChromium_When_Installed()
    {
        // given the written report
        using var run = new SyntheticRun();
        var html = RunReport.WriteAll(RunReport.Load(run.Run, run.Trials, run.Looks));
        var png = Path.Combine(run.Run.Root, "shot.png");

        // when Chromium takes a screenshot
        var psi = new ProcessStartInfo(ChromiumFactAttribute.Chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,3000", $"--screenshot={png}", new Uri(html).AbsoluteUri }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "chromium did not finish in 60 s");

        // then a PNG of substantial size exists (PNG signature 0x89 'P' 'N' 'G')
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 20_000, $"screenshot only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
    }
}

public sealed class TradeOffReportTests
{
    [Fact]
    public void Should_ShowTheAchievablePointsAndWhoChose_When_TheFloorsConflicted()
    {
        // given an evaluated run whose stated floors could not both be met on validation
        using var run = new SyntheticRun();
        var decision = new TradeOffDecision
        {
            Requirements = [new Requirement("sensitivity", 0.95), new Requirement("specificity", 0.9)],
            Trial = 2,
            Options =
            [
                new OperatingOption("sensitivity_first", "keep sensitivity ≥ 95%: specificity falls to 61%", 0.3, 0.95, 0.61, new OperatingPoint("specificity", "sensitivity", 0.95)),
                new OperatingOption("specificity_first", "keep specificity ≥ 90%: sensitivity falls to 72%", 0.7, 0.72, 0.90, new OperatingPoint("sensitivity", "specificity", 0.9)),
                new OperatingOption("balanced", "balance the two (Youden)", 0.5, 0.85, 0.80, null),
            ],
            Chosen = new OperatingOption("sensitivity_first", "keep sensitivity ≥ 95%: specificity falls to 61%", 0.3, 0.95, 0.61, new OperatingPoint("specificity", "sensitivity", 0.95)),
            ChosenBy = "stated priority",
            Reason = "unattended run: the request's priority is sensitivity",
            DecidedAt = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
        };
        Json.Write(run.Run.TradeOff, decision);

        // when both reports are rendered
        var input = RunReport.Load(run.Run, run.Trials, run.Looks);
        var html = HtmlRenderer.Render(ClassificationReport.Build(input));
        var md = MarkdownRenderer.Render(ClassificationReport.Build(input), input.Run.ReportDir);

        // then each shows every option with its validation rates, marks the chosen one and says who chose it
        Assert.Contains("id=\"trade-off-table\"", html);
        Assert.Contains("<b>sensitivity_first</b> (chosen)", html);
        Assert.Contains("<td class=\"n\">0.720</td><td class=\"n\">0.900</td>", html);
        Assert.Contains("Decided by the stated priority", html);
        Assert.Contains("| **sensitivity_first** (chosen) | 0.950 | 0.610 |", md);
        Assert.Contains("before the test look", md);
        Assert.True(html.IndexOf("id=\"trade-off\"", StringComparison.Ordinal) < html.IndexOf("id=\"test\"", StringComparison.Ordinal), "the decision precedes the test results");
    }

    [Fact]
    public void Should_SayWhatThePromiseCosts_When_TheMarginForNewPatientsWasNegotiated()
    {
        // given an evaluated run whose sensitivity floor could be promised for new patients only by flagging nearly every case
        using var run = new SyntheticRun();
        var promise = new OperatingOption(TradeOffKeys.PromiseFloor, "promise sensitivity ≥ 90% on new patients: specificity 2.5%", 0.01, 1.0, 0.025, new OperatingPoint("specificity", "sensitivity", 0.9));
        Json.Write(run.Run.TradeOff, new TradeOffDecision
        {
            Requirements = [new Requirement("sensitivity", 0.9)],
            Trial = 0,
            Options =
            [
                promise,
                new OperatingOption(TradeOffKeys.PointEstimate, "sensitivity ≥ 90% on these images only", 0.2, 0.925, 0.45, new OperatingPoint("specificity", "sensitivity", 0.9, PointEstimate: true)),
                new OperatingOption(TradeOffKeys.Balanced, "balance the two (Youden)", 0.5, 0.8, 0.8, null),
            ],
            Chosen = promise,
            ChosenBy = "stated priority",
            Reason = "unattended run: the request's priority is sensitivity",
            DecidedAt = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero),
            Question = "To promise sensitivity ≥ 90% on new patients with only 40 positives to learn from, the threshold must catch 40 of them; specificity then falls from 45% to 2.5%.",
        });

        // when both reports are rendered
        var input = RunReport.Load(run.Run, run.Trials, run.Looks);
        var html = HtmlRenderer.Render(ClassificationReport.Build(input));
        var md = MarkdownRenderer.Render(ClassificationReport.Build(input), input.Run.ReportDir);

        // then the title names the costly margin and the recorded question is shown, not the conflicting-floors wording
        Assert.Contains("Trade-off: the margin for new patients costs most of the specificity", html);
        Assert.Contains("## Trade-off: the margin for new patients costs most of the specificity", md);
        Assert.Contains("specificity then falls from 45% to 2.5%", html);
        Assert.DoesNotContain("reaches no threshold", md);
        Assert.Contains("| **promise_floor** (chosen) | 1.000 | 0.025 |", md);
    }
}
