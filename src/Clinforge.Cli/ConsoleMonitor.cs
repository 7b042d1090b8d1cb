using System.Globalization;
using Clinforge.Core;
using Clinforge.Development;
using Spectre.Console;

namespace Clinforge.Cli;

/// <summary>Shows the loop's progress: the current round, a progress bar for the running trial, the running best.</summary>
internal sealed class ConsoleMonitor(Objective objective) : IMonitor
{
    private int _lastPercent = -1;

    public void RoundStarted(int round, int rounds, Proposal proposal)
    {
        _lastPercent = -1;
        AnsiConsole.MarkupLine(round == 0
            ? "[bold]Round 0[/] (initial recipe)"
            : $"[bold]Round {round}/{rounds}[/] [blue]{Markup.Escape(proposal.Move)}[/]: {Markup.Escape(proposal.Change)}");
        if (round > 0) AnsiConsole.MarkupLine($"  [grey]why: {Markup.Escape(proposal.Reason)}{(proposal.Source is null ? "" : " — " + Markup.Escape(proposal.Source))}[/]");
    }

    public void TrialProgress(int round, TrialProgressReport report)
    {
        int percent = (int)(report.Fraction * 100);
        if (percent / 10 == _lastPercent / 10) return;
        _lastPercent = percent;
        int filled = Math.Clamp(percent / 5, 0, 20);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  [[{new string('#', filled)}{new string('.', 20 - filled)}]] epoch {report.Epoch}/{report.PlannedEpochs}  trial best {(report.Best is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-")}"));
    }

    public void Stopped(string reason) => AnsiConsole.MarkupLine($"[bold]Stopping[/]: {Markup.Escape(reason)}.");

    public void TrialFinished(int round, TrialRecord record, double? best)
    {
        string value = record.Objective is { } o ? o.ToString("F4", CultureInfo.InvariantCulture) : record.Status.ToString();
        string decision = record.Accepted ? "[green]kept[/]" : record.Status == TrialStatus.Succeeded ? "[grey]discarded[/]" : $"[red]failed[/] ({Markup.Escape(record.Diagnosis ?? "")})";
        AnsiConsole.MarkupLine($"  {Markup.Escape(objective.Describe())} = {value} → {decision}; running best {(best is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-")}");
    }
}
