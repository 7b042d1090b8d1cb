using System.Globalization;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>Everything the report shows, read from the run folder and the journal by the caller.</summary>
public sealed record ReportInput(
    RunPaths Run,
    string Request,
    TaskSpec Spec,
    DataCard Card,
    IReadOnlyList<TrialRecord> Trials,
    IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> TestLooks,
    FinalEvaluation? Evaluation,
    PredictionTable? TestPredictions = null,
    PredictionTable? InitialTestPredictions = null,
    IReadOnlyList<ExampleImage>? Examples = null,
    TradeOffDecision? TradeOff = null,
    IReadOnlyList<SubgroupTable>? Subgroups = null,
    Clinforge.Evaluation.ConfoundReport? Confound = null,
    IReadOnlyList<string>? Convolutions = null,
    IReadOnlyDictionary<int, string>? Decisions = null);

/// <summary>
/// report/report.md: the request, the spec as understood (with provenance), the data card, every
/// round (change, reason, validation result, kept or not) and the test results with CIs. It states
/// only what was measured: no test numbers before the one look, and the protocol as it happened.
/// </summary>
public static class MarkdownReport
{
    /// <summary>Writes the report and returns its path.</summary>
    public static string Write(ReportInput input)
    {
        var path = input.Run.ReportMarkdown;
        AtomicFile.WriteAllText(path, Render(input));
        return path;
    }

    /// <summary>The report text.</summary>
    public static string Render(ReportInput r)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        void L(string s = "") => sb.Append(s).Append('\n');
        var spec = r.Spec;
        var card = r.Card;

        L("# Clinforge report");
        L();
        L($"Run folder: `{r.Run.Root}`");
        L();
        L("## The request");
        L();
        L("> " + r.Request.Trim().Replace("\n", "\n> "));
        L();
        L("## What the system understood");
        L();
        L(spec.Restatement);
        L();
        L("| field | value | from the words |");
        L("|---|---|---|");
        void F(string field, string value) => L($"| {field} | {Esc(value)} | {Esc(spec.Provenance.TryGetValue(field, out var p) ? p : "default")} |");
        foreach (var (field, value) in RunReport.SpecFields(spec)) F(field, value);
        if (spec.Questions.Count > 0)
        {
            L();
            L("Open questions (answered with the default shown):");
            L();
            foreach (var q in spec.Questions) L($"- {q.Question} — default used: **{q.Default}**");
        }
        L();
        L("## The data");
        L();
        L($"Source: `{card.Source}` ({card.Format}), {card.TotalItems} images, {card.Channels} channel(s), sizes {card.ImageSizes.MinWidth}–{card.ImageSizes.MaxWidth} × {card.ImageSizes.MinHeight}–{card.ImageSizes.MaxHeight} px (most often {card.ImageSizes.CommonWidth} × {card.ImageSizes.CommonHeight}).");
        L($"Splits: {card.SplitMethod.Replace('_', ' ')} (seed {card.SplitSeed}){(card.GroupColumn is null ? "" : $", grouped by `{card.GroupColumn}`")}.");
        if (EvidenceText.Protocol(card) is { } protocol)
        {
            L();
            L(protocol);
        }
        L();
        L("| split | " + string.Join(" | ", card.Classes) + " | total |");
        L("|---|" + string.Concat(card.Classes.Select(_ => "---|")) + "---|");
        foreach (var (split, counts) in card.Counts)
            L($"| {split} | " + string.Join(" | ", card.Classes.Select(c => counts.TryGetValue(c, out var n) ? n : 0)) + $" | {counts.Values.Sum()} |");
        L();
        L($"Identical images across splits: {(card.CrossSplitDuplicates.Count == 0 ? "none found" : $"{card.CrossSplitDuplicates.Count} group(s) — possible leakage")}. Unreadable files: {(card.Unreadable.Count == 0 ? "none" : string.Join(", ", card.Unreadable.Select(u => $"`{u.Path}` ({u.Reason})")))}.");
        foreach (var n in card.Notes) L($"- {n}");
        L();
        L("## Development rounds (validation split only)");
        L();
        L($"Objective on validation: **{Objective.From(spec).Describe()}**. {EvidenceText.KeepRule(r)}");
        L();
        if (EvidenceText.Saturation(r) is { } saturated)
        {
            L($"**{saturated}**");
            L();
        }
        L("| # | change | why | source | validation objective | decision |");
        L("|---|---|---|---|---|---|");
        foreach (var t in r.Trials)
        {
            string result = t.Status == TrialStatus.Succeeded && t.Objective is { } o ? o.ToString("0.0000", inv) : $"{t.Status.ToString().ToLowerInvariant()}: {t.Diagnosis}";
            string decision = t.Accepted ? "**kept**" : t.Status == TrialStatus.Succeeded ? $"discarded (best was {t.BestBefore?.ToString("0.0000", inv) ?? "—"})" : "failed";
            L($"| {t.Number} | {Esc(t.Change)} | {Esc(t.Reason)} | {Esc(t.Source ?? "—")} | {result} | {decision} |");
        }
        L();
        if (EvidenceText.Decisions(r) is { Count: > 0 } decisions)
        {
            L("Decisions:");
            L();
            foreach (var d in decisions) L($"- {d}");
            L();
        }
        if (r.TradeOff is { } to)
        {
            L($"## Trade-off: {TradeOffText.Title(to)}");
            L();
            L($"{Esc(TradeOffText.Situation(to))} The achievable operating points were:");
            L();
            L("| option | validation sensitivity | validation specificity | what it means |");
            L("|---|---|---|---|");
            foreach (var o in to.Options)
                L($"| {(o.Key == to.Chosen.Key ? $"**{o.Key}** (chosen)" : o.Key)} | {o.Sensitivity.ToString("0.000", inv)} | {o.Specificity.ToString("0.000", inv)} | {Esc(o.Description)} |");
            L();
            L($"Decided by the {to.ChosenBy} ({to.DecidedAt:yyyy-MM-dd HH:mm}Z, before the test look): {Esc(to.Reason)}. Both models' test thresholds follow this rule on their own validation predictions.");
            L();
        }
        L("## Test results");
        L();
        if (r.Evaluation is not { } e)
        {
            L("The sealed test split has not been evaluated for this run yet: no test numbers exist.");
        }
        else
        {
            L($"The test split ({e.TestCases} images: {string.Join(", ", e.TestCounts.Select(kv => $"{kv.Key} {kv.Value}"))}) was sealed when the data were split and opened {(e.TestLooks == 1 ? "once" : $"{e.TestLooks} times")}, on {e.LookedAt.ToString("u", inv)}, to score the initial model (trial {e.Initial.Trial}) and the final model (trial {e.Final.Trial}).");
            if (!double.IsNaN(e.Final.Threshold))
                L($"Decisions use thresholds chosen on validation ({e.Final.ThresholdRule}): initial {e.Initial.Threshold.ToString("0.000", inv)}, final {e.Final.Threshold.ToString("0.000", inv)}; positive class: {e.PositiveClass}. `accuracy_at_0.5` uses the fixed 0.5 threshold, as the MedMNIST benchmarks do.");
            L($"Intervals are 95% stratified percentile bootstrap CIs ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed}); differences are final − initial with a paired bootstrap test on the same resamples.");
            if (EvidenceText.Expected(e, card) is { } expected)
            {
                L();
                L(expected);
            }
            if (EvidenceText.ThinTest(e) is { } thin)
            {
                L();
                L($"**{thin}**");
            }
            L();
            L("| metric | initial | final | difference [95% CI] | p |");
            L("|---|---|---|---|---|");
            foreach (var (name, fin) in e.Final.Metrics)
            {
                var ini = e.Initial.Metrics[name];
                var c = e.Comparisons.FirstOrDefault(x => x.Metric == name);
                L($"| {name} | {Fmt(ini)} | {Fmt(fin)} | {(c is null ? "" : $"{c.Difference.ToString("+0.000;-0.000", inv)} [{c.Lower.ToString("0.000", inv)}, {c.Upper.ToString("0.000", inv)}]")} | {(c is null ? "" : c.PValue < 0.001 ? "<0.001" : c.PValue.ToString("0.000", inv))} |");
            }
            if (e.Initial.Trial == e.Final.Trial)
            {
                L();
                L("No refinement improved the validation objective, so the final model is the initial one.");
            }
        }
        L();
        if (r.Confound is { } cf)
        {
            L($"## Confounder: {cf.Confounder} (column `{cf.Column}`)");
            L();
            foreach (var k in cf.Counts)
                L($"- {k.Split}: {k.PositivesWith}/{k.Positives} positives and {k.NegativesWith}/{k.Negatives} negatives carry it.");
            L($"- The confounder alone predicts the label with AUC {Ci(new Estimate(cf.ConfounderOnlyAuc, cf.ConfounderOnlyAucLower, cf.ConfounderOnlyAucUpper))} (train + validation; 0.5 = no shortcut).");
            L();
            L("| model (test split) | false positives carrying it | its share of negatives | raw correlation [95% CI] | partial correlation [95% CI] |");
            L("|---|---|---|---|---|");
            foreach (var m in cf.Models)
            {
                var a = m.Analysis;
                L($"| {m.Model} (trial {m.Trial}) | {a.FalsePositivesWithConfounder}/{a.FalsePositives} | {a.NegativeShare.ToString("0%", inv)} | {Ci(new Estimate(a.RawCorrelation.Value, a.RawCorrelation.Lower, a.RawCorrelation.Upper))} | {Ci(new Estimate(a.PartialCorrelation.Value, a.PartialCorrelation.Lower, a.PartialCorrelation.Upper))} |");
            }
            L();
            if (cf.Shortcut is { } sc)
            {
                L($"### Debiasing: not relying on {cf.Confounder}");
                L();
                if (sc.Injected is { } injected) L($"**This confounder was injected on purpose** (a test fixture, not real clinical data): {injected}");
                L($"- Confounder labels: {sc.Annotated} development images from the metadata column{(sc.Predicted > 0 ? $", {sc.Predicted} predicted by an auxiliary classifier" : "")}; changes kept by the {sc.AcceptanceRule} rule.");
                if (sc.Auxiliary is { } ax)
                    L($"- Auxiliary classifier: validation AUC {Ci(new Estimate(ax.ValAuc, ax.ValAucLower, ax.ValAucUpper))} on {ax.ValImages} annotated images (trained on {ax.TrainImages}); sensitivity {ax.Sensitivity.ToString("0.000", inv)}, specificity {ax.Specificity.ToString("0.000", inv)} at 0.5.");
                L();
                L("| model | debiasing | test AUC [95% CI] | partial correlation, test [95% CI] | partial correlation, validation | false positives carrying it, test [95% CI] |");
                L("|---|---|---|---|---|---|");
                foreach (var m in sc.Models)
                    L($"| {m.Model} (trial {m.Trial}) | {m.Debias} | {Ci(new Estimate(m.TestAuc, m.TestAucLower, m.TestAucUpper))} | {Ci(new Estimate(m.PartialCorrelation, m.PartialLower, m.PartialUpper))} | {(m.ValPartialCorrelation is { } v ? v.ToString("0.000", inv) : "—")} | {Ci(new Estimate(m.FalsePositiveShare, m.FalsePositiveShareLower, m.FalsePositiveShareUpper))} of {m.FalsePositives} (negatives carrying it: {(double.IsNaN(m.NegativeShare) ? "—" : m.NegativeShare.ToString("0%", inv))}) |");
                L();
                if (sc.AucDifference is { } d)
                    L($"- Test AUC, refined − baseline (paired bootstrap): {d.Difference.ToString("+0.000;-0.000", inv)} [{d.Lower.ToString("0.000", inv)}, {d.Upper.ToString("0.000", inv)}], p = {d.PValue.ToString("0.000", inv)}.");
                L();
                L($"**Verdict:** {sc.Verdict}");
                L();
            }
        }
        if (r.Subgroups is { Count: > 0 } subgroups)
        {
            L("## Subgroups (test split, final model)");
            L();
            L("At the operating threshold chosen on validation; 95% stratified bootstrap intervals. Descriptive only: groups are small and many are compared.");
            foreach (var t in subgroups)
            {
                L();
                L($"**{Esc(t.Column)}** ({t.Grouping})");
                L();
                L("| group | images | positives | AUC [95% CI] | sensitivity [95% CI] | specificity [95% CI] |");
                L("|---|---|---|---|---|---|");
                foreach (var g in t.Rows)
                    L($"| {Esc(g.Group)} | {g.Count} | {g.Positives} | {Ci(g.Auc)} | {Ci(g.Sensitivity)} | {Ci(g.Specificity)} |");
            }
            L();
        }
        L("## Protocol and limitations");
        L();
        L($"- The test split was looked at {r.TestLooks.Count} time(s){(r.TestLooks.Count > 1 ? " — MORE THAN ONCE (explicitly allowed); the test results are optimistic" : "")}.");
        foreach (var look in r.TestLooks) L($"  - {look.Time.ToString("u", inv)}: {look.Message}");
        L("- Every decision during development used the validation split only; the report shows each trial whether kept or discarded.");
        L("- The validation objective of the final model is selected over several trials and is therefore optimistic; the test results are the unbiased estimate.");
        L("- Each p-value tests one metric on its own; with several metrics compared, read them without a multiple-comparison correction as descriptive, and the clinician's objective as the primary comparison.");
        L("- Results hold for data like these; a different site, scanner or population needs its own validation before clinical use.");
        foreach (var c in r.Convolutions ?? []) L($"- Numerics, checked on the training machine before training: {c}.");
        return sb.ToString();

        string Fmt(Estimate x) => $"{x.Value.ToString("0.000", inv)} [{x.Lower.ToString("0.000", inv)}, {x.Upper.ToString("0.000", inv)}]";
    }

    private static string Esc(string s) => s.Replace("|", "\\|").Replace("\n", " ");

    // A subgroup estimate; "—" when the group lacks a class the metric needs.
    private static string Ci(Estimate x) => double.IsNaN(x.Value) ? "—"
        : string.Create(CultureInfo.InvariantCulture, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");
}
