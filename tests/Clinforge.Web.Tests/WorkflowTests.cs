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
