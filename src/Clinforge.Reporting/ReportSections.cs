using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// The sections every task kind's report shares: the request in the clinician's words, what the system
/// understood, the development rounds, the limitations and the protocol. A kind adds its own data and
/// test panels between them.
/// </summary>
public static class ReportSections
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The run folder, under the title.</summary>
    public static ReportBlock RunFolder(RunPaths run) => new Paragraph(ReportText.Of("Run folder: ", ReportText.Code(run.Root)), Tone.Note);

    /// <summary>The request, quoted.</summary>
    public static ReportSection Request(string request) => new("request", "The request", [new Quote(request)]);

    /// <summary>The restatement, every spec field with the words it came from, and the open questions with the default used.</summary>
    public static ReportSection Understood(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var blocks = new List<ReportBlock>
        {
            new Paragraph(spec.Restatement),
            new Table(["field", "value", "from the words"],
                RunReport.SpecFields(spec).Select(f => (IReadOnlyList<Cell>)[f.Field, f.Value, spec.Provenance.TryGetValue(f.Field, out var p) ? p : "default"]).ToList()),
        };
        if (spec.Questions.Count > 0)
        {
            blocks.Add(new Paragraph("Open questions (answered with the default shown):"));
            blocks.Add(BulletList.Of(spec.Questions.Select(q => ReportText.Of($"{q.Question} — default used: ", ReportText.Strong(q.Default)))));
        }
        return new ReportSection("spec", "What the system understood", blocks);
    }

    /// <summary>
    /// Every trial (change, why, source, validation objective, decision), with <paramref name="before"/>
    /// (objective, keep rule, protocol) above the table and <paramref name="after"/> (decisions) below it.
    /// </summary>
    public static ReportSection Rounds(IReadOnlyList<TrialRecord> trials, IEnumerable<ReportBlock> before, IEnumerable<ReportBlock> after)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var rows = trials.Select(t =>
        {
            string result = t.Status == TrialStatus.Succeeded && t.Objective is { } o ? o.ToString("0.0000", Inv) : $"{t.Status.ToString().ToLowerInvariant()}: {t.Diagnosis}";
            ReportText decision = t.Accepted ? ReportText.Of(ReportText.Kept("kept"))
                : t.Status == TrialStatus.Succeeded ? $"discarded (best was {t.BestBefore?.ToString("0.0000", Inv) ?? "—"})" : "failed";
            return (IReadOnlyList<Cell>)[Cell.Number(t.Number.ToString(Inv)), t.Change, t.Reason, t.Source ?? "—", Cell.Number(result), new Cell(decision)];
        }).ToList();
        return new ReportSection("rounds", "Development rounds (validation split only)",
            [.. before, new Table(["#", "change", "why", "source", "validation objective", "decision"], rows, "trials-table"), .. after]);
    }

    /// <summary>What the results do not show.</summary>
    public static ReportSection Limitations(IEnumerable<ReportText> specific) =>
        new("limitations", "Limitations", [BulletList.Of(
        [
            "The validation objective of the final model is the best of several trials and therefore optimistic; the test results are the unbiased estimate.",
            .. specific,
            "Results hold for data like these; a different site, scanner or population needs its own validation before clinical use.",
        ])]);

    /// <summary>How the test split was guarded and used, and the numerics that trained the model.</summary>
    public static ReportSection Protocol(IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> looks, IReadOnlyList<string>? convolutions)
    {
        ArgumentNullException.ThrowIfNull(looks);
        var items = new List<ListItem>
        {
            new(ReportText.Of($"The test split was sealed when the data were split and looked at {looks.Count} time(s)",
                    looks.Count > 1 ? ReportText.Warning(" — MORE THAN ONCE (explicitly allowed); the test results are optimistic") : "", "."),
                looks.Select(l => (ReportText)$"{l.Time.ToString("u", Inv)}: {l.Message}").ToList()),
            new("Every decision during development used the validation split only; the table of rounds shows each trial whether kept or discarded."),
        };
        items.AddRange((convolutions ?? []).Select(c => new ListItem($"Numerics, checked on the training machine before training: {c}.")));
        return new ReportSection("protocol", "Protocol", [new BulletList(items)]);
    }

    /// <summary>"0.720 [0.410, 0.980]", or "—" when the estimate could not be computed.</summary>
    public static string Ci(Estimate x) => double.IsNaN(x.Value) ? "—"
        : string.Create(Inv, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");

    /// <summary>A p-value: "&lt;0.001", "0.031", or "—".</summary>
    public static string P(double p) => double.IsNaN(p) ? "—" : p < 0.001 ? "<0.001" : p.ToString("0.000", Inv);

    /// <summary>A number to three decimals, or "—".</summary>
    public static string Num(double v) => double.IsNaN(v) ? "—" : v.ToString("0.000", Inv);
}
