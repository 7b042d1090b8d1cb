using System.Globalization;
using Clinforge.Core;
using Clinforge.Intent;
using Spectre.Console;

namespace Clinforge.Cli;

/// <summary>
/// Parser commands beyond a single parse: measuring the parser on a corpus, and the review step of
/// <c>develop</c> where the clinician confirms the spec or answers its open questions.
/// </summary>
internal static class IntentCommands
{
    /// <summary>
    /// <c>clinforge parse --eval corpus.jsonl</c>: accuracy per field, overall and on non-default
    /// fields, refusals and crashes. A corpus split into halves is reported per half, and only the
    /// development half's failures are listed unless <paramref name="showHeldOut"/> (rules are tuned on
    /// what one looks at). Exit 0 when every field of an unsplit corpus reaches 95%, or when the held-out
    /// half meets the targets (95% of fields, 90% of non-default fields, every unsupported request
    /// refused, no crash); 1 otherwise, so CI can gate on it.
    /// </summary>
    public static int Eval(string corpusPath, bool showHeldOut)
    {
        var path = Path.GetFullPath(corpusPath);
        var cases = CorpusEvaluator.Load(path);
        var parser = new RuleBasedParser();
        if (cases.All(c => c.Half is null))
        {
            var report = CorpusEvaluator.Evaluate(cases, parser);
            Console.WriteLine(CorpusEvaluator.Format(report));
            return report.Fields.All(f => f.Accuracy >= 0.95) && report.Crashes == 0 ? 0 : 1;
        }
        CorpusReport? heldOut = null;
        foreach (var half in new[] { "dev", "heldout" })
        {
            var report = CorpusEvaluator.Evaluate(cases.Where(c => c.Half == half).ToList(), parser);
            Console.WriteLine(half == "dev" ? "development half" : "held-out half");
            Console.WriteLine(CorpusEvaluator.Format(report, showFailures: half == "dev" || showHeldOut));
            Console.WriteLine();
            if (half == "heldout") heldOut = report;
        }
        var met = heldOut is not null && heldOut.Overall >= 0.95 && heldOut.OverallNonDefault >= 0.90
                  && heldOut.UnsupportedRefused == heldOut.UnsupportedTotal && heldOut.Crashes == 0;
        return met ? 0 : 1;
    }

    /// <summary>
    /// The review of a freshly parsed spec: answers from a file (<c>--answers</c>), else the defaults
    /// (<c>--non-interactive</c>, or no terminal to ask on: CI must never block), else the clinician
    /// is asked each open question and may correct any field before the run starts.
    /// </summary>
    public static TaskSpec Review(TaskSpec spec, string? answersPath, bool nonInteractive)
    {
        if (answersPath is not null)
        {
            var path = Path.GetFullPath(answersPath);
            var answered = SpecAnswers.Apply(spec, SpecAnswers.Load(path), path);
            AnsiConsole.MarkupLine($"[grey]answers applied from[/] {Markup.Escape(path)}");
            return SpecAnswers.AcceptDefaults(answered);
        }
        if (nonInteractive || Console.IsInputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            if (spec.Questions.Count > 0)
                AnsiConsole.MarkupLine("[grey]non-interactive: open questions keep their defaults (recorded in the spec's provenance)[/]");
            return SpecAnswers.AcceptDefaults(spec);
        }
        return Ask(spec);
    }

    /// <summary>
    /// The trade-off question on a terminal (null when the run is unattended: the stated priority
    /// decides). The clinician sees every achievable point with its validation rates and picks one.
    /// </summary>
    public static Func<IReadOnlyList<OperatingOption>, OperatingOption?>? TradeOffAsker(string? answersPath, bool nonInteractive)
    {
        if (answersPath is not null || nonInteractive || Console.IsInputRedirected || !AnsiConsole.Profile.Capabilities.Interactive) return null;
        return options =>
        {
            var table = new Table().AddColumns("option", "sensitivity", "specificity", "what it means");
            foreach (var o in options)
                table.AddRow(o.Key, o.Sensitivity.ToString("0.000", CultureInfo.InvariantCulture), o.Specificity.ToString("0.000", CultureInfo.InvariantCulture), Markup.Escape(o.Description));
            AnsiConsole.Write(new Panel(table).Header(options.Any(o => o.Key == TradeOffKeys.PromiseFloor)
                ? "Promising your sensitivity floor on new patients costs most of the specificity"
                : "Your floors cannot all be met on validation").BorderColor(Color.Yellow));
            var key = AnsiConsole.Prompt(new SelectionPrompt<string>().Title("Which operating point should the final model use?").AddChoices(options.Select(o => o.Key)));
            return options.First(o => o.Key == key);
        };
    }

    private static TaskSpec Ask(TaskSpec spec)
    {
        AnsiConsole.Write(new Panel(Markup.Escape(spec.Restatement)).Header("I understood").BorderColor(Color.Green));
        foreach (var q in spec.Questions.ToList())
        {
            spec = AskUntilValid(spec, q.Field, q.Question, q.Default);
        }
        while (!AnsiConsole.Confirm($"{Markup.Escape(spec.Restatement)}\nIs this right?"))
        {
            var field = AnsiConsole.Prompt(new SelectionPrompt<string>().Title("Which field should change?").AddChoices(SpecAnswers.Fields));
            spec = AskUntilValid(spec, field, $"New value for {field}:", null);
        }
        return SpecAnswers.AcceptDefaults(spec);
    }

    private static TaskSpec AskUntilValid(TaskSpec spec, string field, string question, string? defaultValue)
    {
        while (true)
        {
            var prompt = new TextPrompt<string>(Markup.Escape(question));
            if (defaultValue is not null) prompt.DefaultValue(defaultValue);
            var answer = AnsiConsole.Prompt(prompt);
            // Taking the default is not an answer: the provenance then says the default was kept.
            if (answer == defaultValue) return spec;
            try
            {
                return SpecAnswers.Apply(spec, new Dictionary<string, string> { [field] = answer }, "your answer");
            }
            catch (ClinforgeException e)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            }
        }
    }
}
