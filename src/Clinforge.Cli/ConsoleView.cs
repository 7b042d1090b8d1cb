using System.Globalization;
using Clinforge.Core;
using Clinforge.Development;
using Spectre.Console;

namespace Clinforge.Cli;

/// <summary>The workflow's account on the console (Spectre.Console): tables for the spec, the data, the trials and the test look; labels set off by colour.</summary>
internal sealed class ConsoleView : IWorkflowView
{
    /// <inheritdoc />
    public void Line(string text, Tone tone = Tone.Plain, string? label = null)
    {
        // The label (or, without one, the whole line) is set off by the tone.
        string Styled(string t) => tone switch { Tone.Heading => $"[bold]{Markup.Escape(t)}[/]", Tone.Warning => $"[yellow]{Markup.Escape(t)}[/]", _ => Markup.Escape(t) };
        AnsiConsole.MarkupLine(label is null ? Styled(text) : Styled(label) + ": " + Markup.Escape(text));
    }

    /// <inheritdoc />
    public void Path(string label, string path) => AnsiConsole.MarkupLine($"{Markup.Escape(label)}: [blue]{Markup.Escape(path)}[/]");

    /// <inheritdoc />
    public IMonitor Monitor(Objective objective) => new ConsoleMonitor(objective);

    /// <inheritdoc />
    public void Spec(TaskSpec spec)
    {
        AnsiConsole.Write(new Panel(Markup.Escape(spec.Restatement)).Header("I understood").BorderColor(Color.Green));
        var t = new Table().AddColumns("field", "value", "from the words");
        void Row(string field, string value) => t.AddRow(field, Markup.Escape(value), Markup.Escape(spec.Provenance.TryGetValue(field, out var p) ? p : "default"));
        Row("task", spec.Task.ToString().ToLowerInvariant());
        Row("classes", string.Join(", ", spec.Classes));
        Row("positive_class", spec.PositiveClass ?? "—");
        Row("priority_classes", string.Join(", ", spec.PriorityClasses));
        Row("error_preference", spec.ErrorPreference.ToString().ToLowerInvariant());
        Row("primary_metric", spec.PrimaryMetric);
        Row("operating_point", spec.OperatingPoint is { } op ? $"{op.Maximize} at {op.Constraint} ≥ {op.ConstraintValue.ToString("0.00", CultureInfo.InvariantCulture)}" : "—");
        if (spec.Requirements.Count > 0) Row("requirements", string.Join("; ", spec.Requirements.Select(r => $"{r.Metric} ≥ {r.Minimum.ToString("0.00", CultureInfo.InvariantCulture)}")));
        if (spec.ClassGroups.Any(g => g.Value.Count > 1)) Row("class_groups", string.Join("; ", spec.ClassGroups.Where(g => g.Value.Count > 1).Select(g => $"{g.Key} = {string.Join(" + ", g.Value)}")));
        Row("confounders", string.Join(", ", spec.Confounders.Select(c => c.Name)));
        Row("supervision", spec.Supervision ?? "—");
        Row("budget", spec.Budget ?? "—");
        AnsiConsole.Write(t);
        foreach (var q in spec.Questions) AnsiConsole.MarkupLine($"[grey]open question:[/] {Markup.Escape(q.Question)} [grey](default: {Markup.Escape(q.Default)})[/]");
    }

    /// <inheritdoc />
    public void Data(DataCard card)
    {
        var seg = card.Segmentation;
        var t = new Table().AddColumns("split", seg is null ? "images" : "image/mask pairs", seg is null ? "per class" : "labels in the masks");
        foreach (var (split, counts) in card.Counts)
            t.AddRow(split, counts.Values.Sum().ToString(CultureInfo.InvariantCulture),
                Markup.Escape(seg is null ? string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")) : string.Join(", ", seg.Labels.Select(l => l.Name))));
        AnsiConsole.Write(t);
        if (seg is not null)
        {
            var where = seg.RegionOfInterest ? "the region of interest" : "the image";
            var coverage = string.Join("; ", seg.Labels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Name} covers {l.MeanFraction:0.0%} of {where} on average ({l.MinFraction:0.0%}–{l.MaxFraction:0.0%}){(l.MeanWidth is { } w ? $", about {w:0.#} px wide" : "")}")));
            AnsiConsole.MarkupLine(Markup.Escape($"Masks: {seg.MaskKind}, {seg.Layout}; {coverage}."));
            if (seg.Volumes > 0) AnsiConsole.MarkupLine(Markup.Escape($"Volumes: {seg.Volumes}, read as {seg.Slicing}."));
        }
        if (card.Protocol is { } protocol) AnsiConsole.MarkupLine($"[bold]Protocol[/]: {Markup.Escape(protocol.Reason)}");
        if (card.Protocol?.FloorEvidence is { } floor) AnsiConsole.MarkupLine($"[yellow]Sensitivity floor[/]: {Markup.Escape(floor)}.");
        foreach (var note in card.Notes) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
    }

    /// <inheritdoc />
    public void Results(IReadOnlyList<TrialRecord> trials)
    {
        var t = new Table().Title("Results table (validation)").AddColumns("#", "change", "objective", "decision");
        foreach (var r in trials)
            t.AddRow(r.Number.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Change),
                r.Objective is { } o ? o.ToString("F4", CultureInfo.InvariantCulture) : Markup.Escape(r.Status.ToString()),
                r.Accepted ? "[green]kept[/]" : "[grey]discarded[/]");
        AnsiConsole.Write(t);
    }

    /// <inheritdoc />
    public void Evaluation(FinalEvaluation e)
    {
        var t = new Table().Title($"Test split, looked at {(e.TestLooks == 1 ? "once" : $"{e.TestLooks} times")} ({e.TestCases} images); 95% bootstrap CIs").AddColumns("metric", "initial", "final", "difference (p)");
        foreach (var (name, fin) in e.Final.Metrics)
        {
            var ini = e.Initial.Metrics[name];
            var cmp = e.Comparisons.FirstOrDefault(c => c.Metric == name);
            t.AddRow(name, Fmt(ini), Fmt(fin), cmp is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{cmp.Difference:+0.000;-0.000} (p{(cmp.PValue < 0.001 ? "<0.001" : "=" + cmp.PValue.ToString("0.000", CultureInfo.InvariantCulture))})"));
        }
        AnsiConsole.Write(t);
        static string Fmt(Estimate x) => string.Create(CultureInfo.InvariantCulture, $"{x.Value:0.000} [[{x.Lower:0.000}, {x.Upper:0.000}]]");
    }
}
