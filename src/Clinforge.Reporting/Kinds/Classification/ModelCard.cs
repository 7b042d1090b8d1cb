using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// report/model_card.md after Mitchell et al. 2019 ("Model Cards for Model Reporting"), as a
/// <see cref="ReportDocument"/>: intended use (from the request and spec), data, test metrics with
/// 95% CIs, the operating point, the package and limitations.
/// </summary>
public static class ModelCard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The card.</summary>
    public static ReportDocument Build(ReportInput r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = r.Spec;
        var card = r.Card;
        var e = r.Evaluation;
        var final = e is null ? TrialRecord.Best(r.Trials) : r.Trials.FirstOrDefault(t => t.Number == e.Final.Trial);
        var model = new List<ReportText>
        {
            $"Final model: trial {(e?.Final.Trial ?? final?.Number)?.ToString(Inv) ?? "—"}{(final is null ? "" : $" ({final.Change})")}, chosen on the validation split by {Objective.From(spec).Describe()}.",
            $"Classes: {string.Join(", ", card.Classes)}; positive class: {e?.PositiveClass ?? spec.PositiveClass ?? "—"}.",
        };
        if ((e?.Final.Trial ?? final?.Number) is int n) model.AddRange(Architecture(r.Run.Trial(n)));
        var sections = new List<ReportSection>
        {
            new(null, "Model", [BulletList.Of(model)]),
            new(null, "Intended use",
            [
                new Paragraph($"Requested as: \"{r.Request.Trim().Replace("\n", " ")}\""),
                new Paragraph(spec.Restatement),
                new Paragraph($"Error preference: {spec.ErrorPreference.ToString().ToLowerInvariant()}. Decision support for a clinician on images like those described below; not for use on other populations, sites or imaging devices without local validation, and not as a stand-alone diagnosis."),
            ]),
            new(null, "Data",
            [
                new Paragraph(ReportText.Of($"{card.TotalItems} images from ", ReportText.Code(card.Source), $" ({card.Format}); split {card.SplitMethod.Replace('_', ' ')} (seed {card.SplitSeed}).")),
                ClassificationReport.SplitTable(card),
            ]),
            // The same count every output states (report, model card, terminal): the journal's test looks.
            new(null, $"Metrics (sealed test split, {(e is null ? "not opened yet" : e.TestLooks == 1 ? "looked at once" : $"looked at {e.TestLooks} times")})", e is null
                ? [new Paragraph("Not evaluated yet: the sealed test split has not been opened for this run.")]
                :
                [
                    new Paragraph($"{e.TestCases} test images, evaluated {e.LookedAt.ToString("u", Inv)}; 95% stratified bootstrap CIs ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed})."),
                    new Table(["metric", "value [95% CI]"], e.Final.Metrics.Select(kv => (IReadOnlyList<Cell>)[kv.Key, Cell.Number(ReportSections.Ci(kv.Value))]).ToList()),
                ]),
            new(null, "Operating point",
            [
                e is null || double.IsNaN(e.Final.Threshold)
                    ? new Paragraph("The most probable class is the decision (no threshold).")
                    : new Paragraph(ReportText.Of("Call ", ReportText.Strong(e.PositiveClass), $" when its probability is ≥ {e.Final.Threshold.ToString("0.0000", Inv)} ({e.Final.ThresholdRule}, chosen on the validation split).")),
            ]),
        };
        if (Deployment(r.Run) is { } deployment) sections.Add(deployment);
        var limits = new List<ReportText> { "Trained and tested on one dataset; performance on other sites, scanners or populations is unknown." };
        if (card.CrossSplitDuplicates.Count > 0) limits.Add($"{card.CrossSplitDuplicates.Count} group(s) of identical images span splits: the test metrics may be optimistic.");
        if (spec.Confounders.Count > 0) limits.Add($"Named confounders ({string.Join(", ", spec.Confounders.Select(c => c.Name))}) may still influence predictions; see the report.");
        if (e is not null && e.TestLooks > 1) limits.Add($"The test split was looked at {e.TestLooks} times; the test results are optimistic.");
        limits.AddRange(spec.Questions.Select(q => (ReportText)$"Assumed, not stated: {q.Question} (default: {q.Default})."));
        sections.Add(new ReportSection(null, "Limitations", [BulletList.Of(limits)]));
        return new ReportDocument("Model card", [], sections);
    }

    /// <summary>What the final model is, where its weights started and how large it is (from its trial folder; nothing when the files are absent).</summary>
    private static IEnumerable<ReportText> Architecture(TrialPaths trial)
    {
        if (File.Exists(trial.Recipe))
        {
            var recipe = Json.Read<Recipe>(trial.Recipe);
            var tuning = recipe.FineTune is { } ft ? $", fine-tuning {ft.Strategy.Replace('_', ' ')}{(ft.Strategy == "partial" ? $" (stem and stages 1–{ft.FrozenStages} frozen)" : "")}" : "";
            yield return $"Architecture: {recipe.Model.Name}{tuning}; input {recipe.Input.Size} px, {recipe.Input.Channels} channel(s){(recipe.EnsembleSize > 1 ? $"; seed ensemble of {recipe.EnsembleSize}" : "")}.";
        }
        if (File.Exists(trial.Metrics) && Json.Read<TrialMetrics>(trial.Metrics).Initialization is { } init)
            yield return $"Starting weights: {init}.";
        if (File.Exists(trial.Model))
        {
            // The package is the weights plus a few small JSON files.
            double mb = new FileInfo(trial.Model).Length / (1024.0 * 1024.0);
            yield return $"Size: weights {mb.ToString("0.0", Inv)} MB (model.bin); the package adds only its JSON files.";
        }
    }

    /// <summary>The package's files, and the ONNX file's input, output and in-graph preprocessing (from package/manifest.json); null without a package.</summary>
    private static ReportSection? Deployment(RunPaths run)
    {
        var path = Path.Combine(run.PackageDir, ModelPackage.ManifestFile);
        if (!File.Exists(path)) return null;
        var m = Json.Read<ModelPackageManifest>(path);
        var blocks = new List<ReportBlock>
        {
            new Paragraph(ReportText.Of(ReportText.Code("package/"), $" holds {m.Model} (TorchSharp weights, for ", ReportText.Code("clinforge predict"), $"), {m.Recipe}, {m.Preprocessing} and {ModelPackage.ManifestFile} with the operating point.")),
        };
        if (m.Onnx is { } o)
        {
            blocks.Add(new Paragraph(ReportText.Of("It also holds ", ReportText.Code(o.File), $" ({(o.Bytes / 1048576.0).ToString("0.00", Inv)} MiB, ONNX opset {o.Opset}, IR version {o.IrVersion}, {o.Nodes} nodes, {o.Parameters.ToString("N0", Inv)} parameters): the same model for any ONNX runtime, with its preprocessing inside the graph.")));
            blocks.Add(BulletList.Of(
            [
                ReportText.Of("Input ", ReportText.Code(o.Input.Name), $": {o.Input.ElementType} [{string.Join(", ", o.Input.Shape)}] ({o.Input.Layout}), {o.Input.Description}."),
                ReportText.Of("Output ", ReportText.Code(o.Output.Name), $": {o.Output.ElementType} [{string.Join(", ", o.Output.Shape)}], {o.Output.Description}."),
                $"Inside the graph: {string.Join("; ", o.InGraph)}.",
            ]));
        }
        else if (m.OnnxUnavailable is { } why)
        {
            blocks.Add(new Paragraph($"No ONNX file: {why}"));
        }
        return new ReportSection(null, "Deployment", blocks);
    }
}
