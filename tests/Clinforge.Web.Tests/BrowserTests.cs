using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Clinforge.Web.Tests;

/// <summary>
/// The whole clinician workflow in Debian's Chromium, driven by Playwright (no browser download):
/// new project on the demo data, an answered question, a round watched live, a "why", the report.
/// Screenshots go to screenshots/ in the test output folder.
/// </summary>
public sealed class BrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>True (and said loudly) when Debian's Chromium is absent: xunit 2 has no dynamic skip, so the test passes.</summary>
    private bool ChromiumMissing()
    {
        if (!File.Exists(Chromium))
        {
            output.WriteLine($"SKIPPED: {Chromium} is missing (apt-get install chromium); the browser test needs Debian's Chromium.");
            return true;
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        return false;
    }

    private static string Screenshots()
    {
        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        return shots;
    }

    private static Task<IBrowser> Launch(IPlaywright pw) => pw.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });

    private static Task<IPage> NewPage(IBrowser browser) => browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });

    [Fact]
    public async Task Should_TakeAClinicianFromRequestToReport_When_TheDemoDataIsUsedInTheBrowser()
    {
        if (ChromiumMissing()) return;
        var shots = Screenshots();

        // Given a running server and a browser that opened its link
        await using var server = await WebServer.StartAsync(demoCount: 80, demoSize: 32);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await Launch(pw);
        var page = await NewPage(browser);
        await page.GotoAsync(server.App.Url);
        Assert.DoesNotContain("token=", page.Url, StringComparison.Ordinal);

        // When the clinician writes a request on the demo data
        await page.FillAsync("#request", "Find melanoma in these skin lesion pictures. Missing a melanoma is worse than a false alarm.");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "1-new-project.png"), FullPage = true });
        await page.ClickAsync("#create");

        // Then the spec as understood is shown with its question
        await page.WaitForSelectorAsync("#restatement", new() { Timeout = 60_000 });
        Assert.Contains("melanoma", await page.TextContentAsync("#restatement") ?? "", StringComparison.OrdinalIgnoreCase);
        var question = page.Locator("input[data-field]").First;
        Assert.Equal("operating_point", await question.GetAttributeAsync("data-field"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "2-spec.png"), FullPage = true });

        // When the question is answered
        await question.FillAsync("0.7");
        await page.ClickAsync("#save-answers");

        // Then the restatement follows the answer
        await page.WaitForFunctionAsync("() => document.querySelector('#restatement').textContent.includes('70%')", null, new() { Timeout = 20_000 });

        // When development starts with one short round
        await page.FillAsync("#rounds", "1");
        await page.FillAsync("#trial-minutes", "0.15");
        await page.ClickAsync("#start");

        // Then rounds appear live, with the running-best chart
        await page.WaitForSelectorAsync("#rounds-table tbody tr", new() { Timeout = 150_000 });
        await page.WaitForSelectorAsync("#best-chart");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "3-live.png"), FullPage = true });

        // And a reload keeps everything (the state is the run folder)
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#rounds-table tbody tr", new() { Timeout = 20_000 });

        // When development finishes
        await page.WaitForFunctionAsync("() => document.querySelector('#status')?.textContent === 'finished'", null, new() { Timeout = 170_000, PollingInterval = 1000 });

        // Then a "why" is answered from the journal
        await page.FillAsync("#why-question", "why did you try class balanced sampling?");
        await page.ClickAsync("#ask");
        await page.WaitForSelectorAsync("#why-answer .answer", new() { Timeout = 20_000 });
        var answer = await page.TextContentAsync("#why-answer .answer") ?? "";
        output.WriteLine("why → " + answer);
        Assert.True(answer.Length > 20, "the why answer is empty: " + answer);

        // And the report opens in the page
        var report = page.FrameLocator("#report-frame").Locator("body");
        await Assertions.Expect(report).ToContainTextAsync("melanoma", new() { Timeout = 20_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "4-finished.png"), FullPage = true });
        await page.Locator("#report-frame").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "5-report.png") });

        // When the clinician tries the model on one of the demo images
        var image = Directory.EnumerateFiles(Path.Combine(server.Workspace, "datasets"), "*.png", SearchOption.AllDirectories).First();
        await page.SetInputFilesAsync("#try-file", image);
        await page.ClickAsync("#try");

        // Then the model's decision and probabilities are shown beside the image
        await page.WaitForSelectorAsync("#try-result .decision", new() { Timeout = 90_000 });
        var decision = await page.TextContentAsync("#try-result .decision") ?? "";
        Assert.Matches("melanoma_like|nevus_like", decision);
        await page.Locator("#try-result").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "6-try-model.png") });

        // And the project is listed on the home page as finished
        await page.ClickAsync("text=← All projects");
        await page.WaitForSelectorAsync(".runs .badge.finished");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "7-projects.png"), FullPage = true });

        // And a new server over the same workspace (a restart: nothing in memory) shows the same run
        await using var restarted = await WebApp.StartAsync(server.Options with { Port = 0, Token = Secrets.New(), CsrfSecret = Secrets.New() });
        await page.GotoAsync(restarted.Url);
        await page.WaitForSelectorAsync(".runs .badge.finished", new() { Timeout = 20_000 });
        await page.ClickAsync(".runs a");
        await page.WaitForSelectorAsync("#rounds-table tbody tr");
        Assert.Equal("finished", await page.TextContentAsync("#status"));
        output.WriteLine("screenshots: " + shots);
    }

    [Fact]
    public async Task Should_ShowTheAchievablePointsToChooseFrom_When_TheRunWaitsForAnOperatingPoint()
    {
        if (ChromiumMissing()) return;
        var shots = Screenshots();

        // Given a run that stopped before its test look because the stated floors conflict
        await using var server = await WebServer.StartAsync();
        var run = new Clinforge.Core.RunPaths(Path.Combine(server.Workspace, "runs", "20260101-140000-choose"));
        Directory.CreateDirectory(run.FinalDir);
        File.WriteAllText(run.Request, "Find melanoma with sensitivity of at least 99% and specificity of at least 95%\n");
        Clinforge.Core.Json.Write(run.TaskSpec, new Clinforge.Core.TaskSpec
        {
            Request = "Find melanoma with sensitivity of at least 99% and specificity of at least 95%", Classes = ["melanoma", "nevus"], PositiveClass = "melanoma",
            PrimaryMetric = Clinforge.Core.Metrics.SpecificityAtSensitivity, OperatingPoint = new Clinforge.Core.OperatingPoint("specificity", "sensitivity", 0.99),
            Restatement = "I understood: a model that tells melanoma from nevus.",
        });
        Clinforge.Core.Json.Write(run.TradeOffOptions, new[]
        {
            new Clinforge.Core.OperatingOption("sensitivity_first", "keep sensitivity ≥ 99%: specificity falls to 23.8% (asked ≥ 95%)", 0.1, 1.0, 0.238, null),
            new Clinforge.Core.OperatingOption("specificity_first", "keep specificity ≥ 95%: sensitivity falls to 40.7% (asked ≥ 99%)", 0.8, 0.407, 0.984, null),
            new Clinforge.Core.OperatingOption("balanced", "balance the two (Youden): sensitivity 63%, specificity 88.9%; neither floor is guaranteed", 0.5, 0.63, 0.889, null),
        });

        // When the clinician opens it
        using var pw = await Playwright.CreateAsync();
        await using var browser = await Launch(pw);
        var page = await NewPage(browser);
        await page.GotoAsync(server.App.Url);
        await page.EvaluateAsync("location.hash = '#/run/20260101-140000-choose'");
        await page.WaitForSelectorAsync("#trade-off-choices");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "8-choose-operating-point.png"), FullPage = true });

        // Then the page says it waits for a choice and offers each point with its rates and a button
        Assert.Equal("waiting for your choice", (await page.InnerTextAsync("#status")).Trim());
        Assert.Equal(3, await page.Locator("#trade-off-choices button.choose").CountAsync());
        Assert.Contains("23.8%", await page.InnerTextAsync("#trade-off-choices"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_RegisterAnUploadedZipAndChooseIt_When_TheClinicianUploadsImagesInThePage()
    {
        if (ChromiumMissing()) return;
        var shots = Screenshots();

        // Given a zip of a class-per-folder image set on the clinician's computer
        await using var server = await WebServer.StartAsync();
        using var tmp = new TempDir();
        var folder = Clinforge.Data.SyntheticLesions.Generate(tmp.Combine("my-lesions"), count: 24, seed: 9, positiveShare: 0.5, size: 16);
        var zip = tmp.Combine("my-lesions.zip");
        System.IO.Compression.ZipFile.CreateFromDirectory(folder, zip, System.IO.Compression.CompressionLevel.Fastest, includeBaseDirectory: true);

        // When the new-project page's upload is used
        using var pw = await Playwright.CreateAsync();
        await using var browser = await Launch(pw);
        var page = await NewPage(browser);
        await page.GotoAsync(server.App.Url);
        await page.ClickAsync("#zip-summary");
        await page.SetInputFilesAsync("#zip-file", zip);
        await page.FillAsync("#zip-name", "my-lesions");
        await page.ClickAsync("#upload");
        await page.WaitForSelectorAsync("#zip-result .ok", new() { Timeout = 60_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "9-zip-uploaded.png"), FullPage = true });

        // Then the page says what was registered and chooses it as the project's data
        Assert.Contains("24 images", await page.InnerTextAsync("#zip-result"), StringComparison.Ordinal);
        Assert.Equal("my-lesions", await page.InputValueAsync("#data-library"));
        Assert.True(await page.IsCheckedAsync("input[name=dataset][value=library]"));
    }
}
