using System.Net;
using System.Text.Json.Nodes;
using Clinforge.Core;

namespace Clinforge.Web.Tests;

/// <summary>Runs made by the CLI (no web/ folder) are read from their folder like any other.</summary>
public sealed class RunFolderTests
{
    [Fact]
    public async Task Should_ListTheRunAndShowItsTradeOff_When_TheRunWasMadeByTheCli()
    {
        // Given a run folder written by 'clinforge develop' whose floors could not all be met
        await using var server = await WebServer.StartAsync();
        var run = new RunPaths(Path.Combine(server.Workspace, "runs", "20260101-120000-cli-run"));
        Directory.CreateDirectory(run.FinalDir);
        File.WriteAllText(run.Request, "Find melanoma with sensitivity 95% and specificity 95%\n");
        Json.Write(run.TaskSpec, new TaskSpec
        {
            Request = "Find melanoma with sensitivity 95% and specificity 95%",
            Classes = ["melanoma", "nevus"],
            PositiveClass = "melanoma",
            PrimaryMetric = Metrics.SensitivityAtSpecificity,
            OperatingPoint = new OperatingPoint("sensitivity", "specificity", 0.95),
            Restatement = "I understood: melanoma against nevus.",
        });
        var options = new[]
        {
            new OperatingOption("sensitivity_first", "keeps sensitivity ≥ 0.95, specificity falls to 0.71", 0.31, 0.95, 0.71, null),
            new OperatingOption("specificity_first", "keeps specificity ≥ 0.95, sensitivity falls to 0.62", 0.74, 0.62, 0.95, null),
        };
        Json.Write(run.TradeOff, new TradeOffDecision
        {
            Requirements = [new Requirement("sensitivity", 0.95), new Requirement("specificity", 0.95)],
            Trial = 3, Options = options, Chosen = options[0], ChosenBy = "stated priority",
            Reason = "missing a melanoma was said to be worse", DecidedAt = DateTimeOffset.UnixEpoch,
        });

        // When the runs and the run are read
        var runs = JsonNode.Parse(await server.Client.GetStringAsync("/api/runs"))!.AsArray();
        var state = JsonNode.Parse(await server.Client.GetStringAsync($"/api/runs/{Path.GetFileName(run.Root)}"))!;

        // Then the run is listed with its request and paused state, and its trade-off comes with the options and the choice
        var listed = Assert.Single(runs);
        Assert.Equal("Find melanoma with sensitivity 95% and specificity 95%", listed!["request"]!.GetValue<string>());
        Assert.Equal("stopped", listed["status"]!.GetValue<string>());
        Assert.Equal(2, state["trade_off"]!["options"]!.AsArray().Count);
        Assert.Equal("sensitivity_first", state["trade_off"]!["chosen"]!["key"]!.GetValue<string>());
        // And answers can no longer change a spec that development has fixed
        using var answer = await server.PostJson($"/api/runs/{Path.GetFileName(run.Root)}/answers", new { operating_point = "0.9" });
        Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
        Assert.Contains("fixed", await WebServer.Error(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_OfferTheChoiceAndRefuseAnOptionNotOffered_When_TheRunWaitsForAnOperatingPoint()
    {
        // Given a run stopped before its test look because its floors conflict (develop --trade-off later)
        await using var server = await WebServer.StartAsync();
        var run = new RunPaths(Path.Combine(server.Workspace, "runs", "20260101-130000-waiting"));
        Directory.CreateDirectory(run.FinalDir);
        File.WriteAllText(run.Request, "Find melanoma with sensitivity 99% and specificity 99%\n");
        Json.Write(run.TaskSpec, new TaskSpec
        {
            Request = "Find melanoma with sensitivity 99% and specificity 99%", Classes = ["melanoma", "nevus"], PositiveClass = "melanoma",
            PrimaryMetric = Metrics.SpecificityAtSensitivity, OperatingPoint = new OperatingPoint("specificity", "sensitivity", 0.99),
        });
        Json.Write(run.TradeOffOptions, new[]
        {
            new OperatingOption("sensitivity_first", "keep sensitivity ≥ 99%: specificity falls to 18%", 0.1, 1.0, 0.18, new OperatingPoint("specificity", "sensitivity", 0.99)),
            new OperatingOption("balanced", "balance the two (Youden)", 0.5, 0.85, 0.67, null),
        });
        var id = Path.GetFileName(run.Root);

        // When the run is read
        var state = JsonNode.Parse(await server.Client.GetStringAsync($"/api/runs/{id}"))!;

        // Then it waits for a choice, with the options
        Assert.Equal("choose", state["status"]!.GetValue<string>());
        Assert.Equal(2, state["trade_off_options"]!.AsArray().Count);
        // and a key that was not offered is refused, naming the ones that were
        using var bad = await server.PostJson($"/api/runs/{id}/tradeoff", new { key = "specificity_first" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("sensitivity_first, balanced", await WebServer.Error(bad), StringComparison.Ordinal);
        // and once a decision exists, the choice cannot change
        var chosen = new OperatingOption("balanced", "balance the two (Youden)", 0.5, 0.85, 0.67, null);
        Json.Write(run.TradeOff, new TradeOffDecision
        {
            Requirements = [], Trial = 0, Options = [chosen], Chosen = chosen, ChosenBy = "clinician", Reason = "chosen", DecidedAt = DateTimeOffset.UnixEpoch,
        });
        using var late = await server.PostJson($"/api/runs/{id}/tradeoff", new { key = "balanced" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }
}
