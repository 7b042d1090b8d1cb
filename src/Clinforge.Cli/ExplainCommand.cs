using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Intent;

namespace Clinforge.Cli;

/// <summary><c>clinforge explain RUN [--round N] ["question"]</c>: answers from the journal (offline templates).</summary>
internal static class ExplainCommand
{
    public static int Run(Args a)
    {
        if (a.Positional.Count is < 1 or > 2) throw new ClinforgeException("usage: clinforge explain RUN [--round N] [\"question\"]");
        var run = new RunPaths(Path.GetFullPath(a.Positional[0]));
        int? round = a.Get("round") is null ? null : a.Int("round", 0);
        if (!File.Exists(run.Journal) || !File.Exists(run.TaskSpec)) throw new ClinforgeException($"{run.Root}: not a run folder (journal.db or task_spec.json missing).");
        using var journal = new Journal(run.Journal);
        var objective = Objective.From(Json.Read<TaskSpec>(run.TaskSpec));
        var tradeOff = File.Exists(run.TradeOff) ? Json.Read<TradeOffDecision>(run.TradeOff) : null;
        var question = a.Positional.Count == 2 ? a.Positional[1] : null;
        // With CLINFORGE_LLM set and usable, a language model words the answer from the journal's record (checked, template appended).
        var config = LlmConfig.Parse(Environment.GetEnvironmentVariable(LlmConfig.Variable));
        var client = config?.CreateClient(Environment.GetEnvironmentVariable, out _);
        Console.WriteLine(client is null
            ? Explainer.Answer(journal.Trials(), objective, round, question, tradeOff, journal.Decisions())
            : new LlmExplainer(client).Answer(journal.Trials(), objective, round, question, tradeOff));
        return 0;
    }
}
