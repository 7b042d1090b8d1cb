using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>
/// <c>clinforge resume RUN</c>: continues a run after a crash or <c>kill -9</c>. Everything is read
/// from the run folder: finished trials come from the journal, a trial without a journal row is run
/// again, and the final evaluation happens only if it has not.
/// </summary>
internal static class ResumeCommand
{
    public static int Run(Args a)
    {
        if (a.Positional.Count != 1) throw new ClinforgeException($"usage: clinforge resume RUN [--rounds N] [--trade-off KEY] [--trial-minutes M] [--budget-minutes B] {ExecutorOptions.Usage}");
        var run = new RunPaths(Path.GetFullPath(a.Positional[0]));
        if (!File.Exists(run.TaskSpec) || !File.Exists(run.Settings))
            throw new ClinforgeException($"{run.Root}: not a resumable run folder (task_spec.json or run.json missing). Start it again with 'clinforge develop'.");
        var settings = Json.Read<RunSettings>(run.Settings);
        int rounds = a.Int("rounds", settings.Rounds);
        // A choice given now (after 'develop --trade-off later' stopped for it) replaces "later".
        var tradeOff = Commands.TradeOffOption(a) ?? settings.TradeOff;
        // Budgets given now replace recorded ones (also the way out of a run.json holding a budget no clock can keep).
        if (a.Get("trial-minutes") is not null) settings = settings with { TrialSeconds = a.Double("trial-minutes", 1) * 60 };
        if (a.Get("budget-minutes") is not null) settings = settings with { BudgetMinutes = a.Double("budget-minutes", 60) };
        // The executor the run recorded, unless the command line names another (kept in run.json for the next resume).
        var (executor, slurm) = ExecutorOptions.Read(a, null, settings.Executor, settings.Slurm);
        Check(run, settings);
        if (executor != settings.Executor || Json.Serialize(slurm) != Json.Serialize(settings.Slurm))
        {
            settings = settings with { Executor = executor, Slurm = slurm };
            Json.Write(run.Settings, settings);
        }
        var request = File.Exists(run.Request) ? File.ReadAllText(run.Request).Trim() : Json.Read<TaskSpec>(run.TaskSpec).Request;
        return Commands.Workflow().Run(request, run.Root, settings with { Rounds = rounds, TradeOff = tradeOff });
    }

    /// <summary>Budgets recorded in run.json that no clock can keep (Infinity, NaN, zero, negative) are refused with the way out.</summary>
    private static void Check(RunPaths run, RunSettings s)
    {
        static bool Bad(double v) => !double.IsFinite(v) || v <= 0 || v > Args.MaxNumber * 60;
        if (Bad(s.TrialSeconds))
            throw new ClinforgeException($"{run.Settings}: trial_seconds is {s.TrialSeconds.ToString(CultureInfo.InvariantCulture)}, not a time a trial can be given. Continue with 'clinforge resume {run.Root} --trial-minutes M'.");
        if (s.BudgetMinutes is { } b && Bad(b))
            throw new ClinforgeException($"{run.Settings}: budget_minutes is {b.ToString(CultureInfo.InvariantCulture)}, not a budget a clock can keep. Continue with 'clinforge resume {run.Root} --budget-minutes B'.");
    }
}
