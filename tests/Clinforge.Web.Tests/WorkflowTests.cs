using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Clinforge.Web.Tests;

/// <summary>The project workflow over HTTP: answers, and the developer child process started, stopped and continued.</summary>
public sealed class WorkflowTests
{
    [Fact]
    public async Task Should_Answer400NamingTheField_When_AnAnswerIsInvalid()
    {
        // Given a project on the demo data with an open question on the operating point
        await using var server = await WebServer.StartAsync();
        var id = await CreateDemoProject(server);

        // When the answer is not a number, and then a valid one
        using var bad = await server.PostJson($"/api/runs/{id}/answers", new { operating_point = "most of them" });
        using var good = await server.PostJson($"/api/runs/{id}/answers", new { operating_point = "0.9" });

        // Then the bad one is refused with the field named, and the good one changes the spec and the answers file
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("operating_point", await WebServer.Error(bad), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        var state = JsonNode.Parse(await good.Content.ReadAsStringAsync())!;
        Assert.Equal(0.9, state["spec"]!["operating_point"]!["constraint_value"]!.GetValue<double>());
        Assert.Contains("\"operating_point\": \"0.9\"", File.ReadAllText(Path.Combine(server.Workspace, "runs", id, "web", "answers.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_KillTheDeveloperAndOfferToContinue_When_StopIsPressed()
    {
        // Given development running on the demo data with many rounds
        await using var server = await WebServer.StartAsync();
        var id = await CreateDemoProject(server);
        using var start = await server.PostJson($"/api/runs/{id}/start", new { rounds = 20, trial_minutes = 0.5 });
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var pid = int.Parse(File.ReadAllText(Path.Combine(server.Workspace, "runs", id, "web", "pid")));
        var state = await WaitFor(server, id, s => s["started"]!.GetValue<bool>(), TimeSpan.FromMinutes(2));
        Assert.Equal("running", state["status"]!.GetValue<string>());

        // When stop is pressed
        using var stop = await server.PostJson($"/api/runs/{id}/stop", new { });

        // Then the child is gone and the run is paused, ready to continue
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.True(ProcessGone(pid), "the developer process still runs after stop");
        state = JsonNode.Parse(await server.Client.GetStringAsync($"/api/runs/{id}"))!;
        Assert.Equal("stopped", state["status"]!.GetValue<string>());

        // And continuing starts 'clinforge resume' on the same run folder, which stop ends again
        using var resume = await server.PostJson($"/api/runs/{id}/resume", new { });
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        Assert.Equal("running", JsonNode.Parse(await resume.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        using var stopAgain = await server.PostJson($"/api/runs/{id}/stop", new { });
        Assert.Equal(HttpStatusCode.OK, stopAgain.StatusCode);
    }

    [Fact]
    public async Task Should_FinishTheRoundThenWaitAndContinueLater_When_PauseIsPressed()
    {
        // Given development running on the demo data with short rounds
        await using var server = await WebServer.StartAsync();
        var id = await CreateDemoProject(server);
        using var start = await server.PostJson($"/api/runs/{id}/start", new { rounds = 20, trial_minutes = 0.1 });
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var pid = int.Parse(File.ReadAllText(Path.Combine(server.Workspace, "runs", id, "web", "pid")));
        // (a pause before the first trial finishes would pause at once: no round is in progress yet)
        await WaitFor(server, id, s => s["rounds"]!.AsArray().Count >= 1, TimeSpan.FromMinutes(3));

        // When pause is pressed while the next round trains
        using var pause = await server.PostJson($"/api/runs/{id}/pause", new { });

        // Then the page says it is pausing, and after the round in progress the developer exits by itself
        Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        var pressed = JsonNode.Parse(await pause.Content.ReadAsStringAsync())!;
        Assert.Equal("pausing", pressed["status"]!.GetValue<string>());
        int roundsAtPress = pressed["rounds"]!.AsArray().Count;
        var state = await WaitFor(server, id, s => s["status"]!.GetValue<string>() == "paused", TimeSpan.FromMinutes(3));
        Assert.True(ProcessGone(pid), "the developer process still runs after pausing");
        int rounds = state["rounds"]!.AsArray().Count;
        // (that the round in progress is finished, not cut, is pinned deterministically in LoopTests; here the timing varies)
        Assert.True(rounds >= Math.Max(1, roundsAtPress), "every round finished before the pause is kept");
        var log = File.ReadAllText(Path.Combine(server.Workspace, "runs", id, "web", "develop.log"));
        Assert.Contains("Paused", log, StringComparison.Ordinal);
        Assert.Contains("exit code 0", log, StringComparison.Ordinal);
        // and the paused state is read from the run folder (as after a server restart): pausing again is refused
        using var again = await server.PostJson($"/api/runs/{id}/pause", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // When continue is pressed
        using var resume = await server.PostJson($"/api/runs/{id}/resume", new { });

        // Then development runs again from where it paused, and no finished round is lost
        Assert.Equal("running", JsonNode.Parse(await resume.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        state = await WaitFor(server, id, s => s["rounds"]!.AsArray().Count > rounds, TimeSpan.FromMinutes(3));
        var numbers = state["rounds"]!.AsArray().Select(r => r!["number"]!.GetValue<int>()).ToList();
        Assert.Equal(Enumerable.Range(0, numbers.Count), numbers);
        using var stop = await server.PostJson($"/api/runs/{id}/stop", new { });
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
    }

    [Fact]
    public async Task Should_ReturnTheBoxesAndTheMarkedImage_When_ADetectionModelIsTried()
    {
        // Given a detection run finished by the CLI in the workspace (generated bright-rectangle findings)
        await using var server = await WebServer.StartAsync();
        using var tmp = new TempDir();
        var data = Clinforge.Data.SyntheticDetection.WriteFolder(tmp.Combine("data"), 100, seed: 5);
        var runDir = Path.Combine(server.Workspace, "runs", "20260101-000000-fractures");
        var cli = Process.Start(new ProcessStartInfo("dotnet") { ArgumentList = { server.Options.CliDll, "develop", "--request", "Mark suspicious fractures on these X-rays so they are less likely to be missed.",
            "--data", data, "--rounds", "0", "--trial-minutes", "0.2", "--run", runDir, "--threads", "1", "--non-interactive" }, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await cli.StandardOutput.ReadToEndAsync() + await cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.True(cli.ExitCode == 0, output);
        var image = File.ReadAllBytes(Directory.GetFiles(Path.Combine(data, "val", "images"))[0]);

        // When an image is tried in the page
        using var response = await server.Upload("/api/runs/20260101-000000-fractures/predict", image, "patient-77.png", "image/png");

        // Then the answer holds the finding's name, the threshold, every kept box with its score, and the image with the marks drawn
        Assert.True(response.StatusCode == HttpStatusCode.OK, await WebServer.Error(response));
        var r = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("fracture", r["finding"]!.GetValue<string>());
        var threshold = r["threshold"]!.GetValue<double>();
        Assert.All(r["boxes"]!.AsArray(), b => Assert.True(b!["score"]!.GetValue<double>() >= threshold));
        // and each box names its class (a single-class detector: the finding)
        Assert.All(r["boxes"]!.AsArray(), b => Assert.Equal("fracture", b!["class"]!.GetValue<string>()));
        var marked = r["marked"]!.GetValue<string>();
        Assert.StartsWith("data:image/png;base64,", marked, StringComparison.Ordinal);
        var png = Convert.FromBase64String(marked["data:image/png;base64,".Length..]);
        Assert.Equal(0x89, png[0]);
        // and nothing of the upload stays in the workspace
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(server.Workspace, "tmp")));
    }

    [Fact]
    public async Task Should_ReturnTheOutlinedImageAndAreas_When_ASegmentationModelIsTried()
    {
        // Given a segmentation run finished by the CLI in the workspace (generated strands with a field of view)
        await using var server = await WebServer.StartAsync();
        using var tmp = new TempDir();
        var data = Clinforge.Data.SyntheticSegmentation.WriteFolder(tmp.Combine("data"), 30, seed: 6);
        var runDir = Path.Combine(server.Workspace, "runs", "20260101-000000-vessels");
        var cli = Process.Start(new ProcessStartInfo("dotnet") { ArgumentList = { server.Options.CliDll, "develop", "--request", "Outline the vessels",
            "--data", data, "--rounds", "0", "--trial-minutes", "0.3", "--run", runDir, "--threads", "1", "--non-interactive" }, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await cli.StandardOutput.ReadToEndAsync() + await cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.True(cli.ExitCode == 0, output);
        var image = File.ReadAllBytes(Directory.GetFiles(Path.Combine(data, "images")).Order(StringComparer.Ordinal).First());

        // When an image is tried in the page
        using var response = await server.Upload("/api/runs/20260101-000000-vessels/predict", image, "patient-78.png", "image/png");

        // Then the answer holds the label's area at the image's size and the image with the outline drawn
        Assert.True(response.StatusCode == HttpStatusCode.OK, await WebServer.Error(response));
        var r = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((96, 88), (r["width"]!.GetValue<int>(), r["height"]!.GetValue<int>()));
        var label = Assert.Single(r["labels"]!.AsArray())!;
        Assert.Equal("vessel", label["label"]!.GetValue<string>());
        Assert.InRange(label["fraction"]!.GetValue<double>(), 0, 1);
        Assert.Equal(label["pixels"]!.GetValue<long>() / (96.0 * 88), label["fraction"]!.GetValue<double>(), 5);
        var outlined = r["outlined"]!.GetValue<string>();
        Assert.StartsWith("data:image/png;base64,", outlined, StringComparison.Ordinal);
        Assert.Equal(0x89, Convert.FromBase64String(outlined["data:image/png;base64,".Length..])[0]);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(server.Workspace, "tmp")));
    }

    private static async Task<string> CreateDemoProject(WebServer server)
    {
        using var created = await server.PostJson("/api/projects", new { request = "Find melanoma; missing one is worse than a false alarm.", dataset = "demo" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    private static async Task<JsonNode> WaitFor(WebServer server, string id, Func<JsonNode, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var state = JsonNode.Parse(await server.Client.GetStringAsync($"/api/runs/{id}"))!;
            if (done(state)) return state;
            Assert.True(clock.Elapsed < timeout, "timed out; last state: " + state.ToJsonString());
            await Task.Delay(500);
        }
    }

    private static bool ProcessGone(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
