using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>
/// <c>clinforge resume RUN</c>: continues a run after a crash or <c>kill -9</c>. Everything is read
/// from the run folder: finished trials come from the journal, a trial without a journal row is run
/// again, and the final evaluation happens only if it has not.
/// </summary>
internal static class ResumeCommand
{
    public static int Run(string[] argv)
    {
        var a = new Args(argv, new HashSet<string>());
        if (a.Positional.Count != 1) throw new ClinforgeException($"usage: clinforge resume RUN [--rounds N] [--trade-off KEY] {ExecutorOptions.Usage}");
        var run = new RunPaths(Path.GetFullPath(a.Positional[0]));
        if (!File.Exists(run.TaskSpec) || !File.Exists(run.Settings))
            throw new ClinforgeException($"{run.Root}: not a resumable run folder (task_spec.json or run.json missing). Start it again with 'clinforge develop'.");
        var settings = Json.Read<RunSettings>(run.Settings);
        int rounds = a.Int("rounds", settings.Rounds);
        // A choice given now (after 'develop --trade-off later' stopped for it) replaces "later".
        var tradeOff = Commands.TradeOffOption(a) ?? settings.TradeOff;
        // The executor the run recorded, unless the command line names another (kept in run.json for the next resume).
        var (executor, slurm) = ExecutorOptions.Read(a, null, settings.Executor, settings.Slurm);
        a.RejectUnknown();
        if (executor != settings.Executor || Json.Serialize(slurm) != Json.Serialize(settings.Slurm))
        {
            settings = settings with { Executor = executor, Slurm = slurm };
            Json.Write(run.Settings, settings);
        }
        var request = File.Exists(run.Request) ? File.ReadAllText(run.Request).Trim() : Json.Read<TaskSpec>(run.TaskSpec).Request;
        return Commands.RunWorkflow(request, run.Root, settings with { Rounds = rounds, TradeOff = tradeOff });
    }
}
