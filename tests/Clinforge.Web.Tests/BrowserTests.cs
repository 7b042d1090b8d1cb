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

    [Fact]
    public async Task Should_TakeAClinicianFromRequestToReport_When_TheDemoDataIsUsedInTheBrowser()
    {
        if (!File.Exists(Chromium))
        {
            // xunit 2 has no dynamic skip: say so loudly and pass.
            output.WriteLine($"SKIPPED: {Chromium} is missing (apt-get install chromium); the browser test needs Debian's Chromium.");
            return;
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);

        // Given a running server and a browser that opened its link
        await using var server = await WebServer.StartAsync(demoCount: 80, demoSize: 32);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
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
}
