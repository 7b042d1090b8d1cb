using System.Globalization;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// report/model_card.md after Mitchell et al. 2019 ("Model Cards for Model Reporting"): intended use
/// (from the request and spec), data, test metrics with 95% CIs, the operating point and limitations.
/// </summary>
public static class ModelCard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the card and returns its path.</summary>
    public static string Write(ReportInput input)
    {
        var path = input.Run.ModelCard;
        AtomicFile.WriteAllText(path, Render(input));
        return path;
    }

    /// <summary>What the final model is, where its weights started and how large it is (from its trial folder; nothing when the files are absent).</summary>
    private static void ArchitectureLines(TrialPaths trial, Action<string> line)
    {
        if (File.Exists(trial.Recipe))
        {
            var recipe = Json.Read<Recipe>(trial.Recipe);
            var tuning = recipe.FineTune is { } ft ? $", fine-tuning {ft.Strategy.Replace('_', ' ')}{(ft.Strategy == "partial" ? $" (stem and stages 1–{ft.FrozenStages} frozen)" : "")}" : "";
            line($"- Architecture: {recipe.Model.Name}{tuning}; input {recipe.Input.Size} px, {recipe.Input.Channels} channel(s){(recipe.EnsembleSize > 1 ? $"; seed ensemble of {recipe.EnsembleSize}" : "")}.");
        }
        if (File.Exists(trial.Metrics) && Json.Read<TrialMetrics>(trial.Metrics).Initialization is { } init)
            line($"- Starting weights: {init}.");
        if (File.Exists(trial.Model))
        {
            // The package is the weights plus a few small JSON files.
            double mb = new FileInfo(trial.Model).Length / (1024.0 * 1024.0);
            line($"- Size: weights {mb.ToString("0.0", Inv)} MB (model.bin); the package adds only its JSON files.");
        }
    }

    /// <summary>The card text.</summary>
    public static string Render(ReportInput r)
    {
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        var spec = r.Spec;
        var card = r.Card;
        var e = r.Evaluation;
        var final = e is null ? TrialRecord.Best(r.Trials) : r.Trials.FirstOrDefault(t => t.Number == e.Final.Trial);
        L("# Model card");
        L();
        L("## Model");
        L();
        L($"- Final model: trial {(e?.Final.Trial ?? final?.Number)?.ToString(Inv) ?? "—"}{(final is null ? "" : $" ({final.Change})")}, chosen on the validation split by {Objective.From(spec).Describe()}.");
        L($"- Classes: {string.Join(", ", card.Classes)}; positive class: {e?.PositiveClass ?? spec.PositiveClass ?? "—"}.");
        if ((e?.Final.Trial ?? final?.Number) is int n) ArchitectureLines(r.Run.Trial(n), L);
        L();
        L("## Intended use");
        L();
        L($"Requested as: \"{r.Request.Trim().Replace("\n", " ")}\"");
        L();
        L(spec.Restatement);
        L();
        L($"Error preference: {spec.ErrorPreference.ToString().ToLowerInvariant()}. Decision support for a clinician on images like those described below; not for use on other populations, sites or imaging devices without local validation, and not as a stand-alone diagnosis.");
        L();
        L("## Data");
        L();
        L($"{card.TotalItems} images from `{card.Source}` ({card.Format}); split {card.SplitMethod.Replace('_', ' ')} (seed {card.SplitSeed}).");
        L();
        L("| split | " + string.Join(" | ", card.Classes) + " | total |");
        L("|---|" + string.Concat(card.Classes.Select(_ => "---|")) + "---|");
        foreach (var (split, counts) in card.Counts)
            L($"| {split} | " + string.Join(" | ", card.Classes.Select(c => counts.TryGetValue(c, out var n) ? n : 0)) + $" | {counts.Values.Sum()} |");
        L();
        // The same count every output states (report, model card, terminal): the journal's test looks.
        L($"## Metrics (sealed test split, {(e is null ? "not opened yet" : e.TestLooks == 1 ? "looked at once" : $"looked at {e.TestLooks} times")})");
        L();
        if (e is null)
        {
            L("Not evaluated yet: the sealed test split has not been opened for this run.");
        }
        else
        {
            L($"{e.TestCases} test images, evaluated {e.LookedAt.ToString("u", Inv)}; 95% stratified bootstrap CIs ({e.BootstrapResamples} resamples, seed {e.BootstrapSeed}).");
            L();
            L("| metric | value [95% CI] |");
            L("|---|---|");
            foreach (var (name, x) in e.Final.Metrics)
                L($"| {name} | {x.Value.ToString("0.000", Inv)} [{x.Lower.ToString("0.000", Inv)}, {x.Upper.ToString("0.000", Inv)}] |");
        }
        L();
        L("## Operating point");
        L();
        if (e is null || double.IsNaN(e.Final.Threshold))
            L("The most probable class is the decision (no threshold).");
        else
            L($"Call **{e.PositiveClass}** when its probability is ≥ {e.Final.Threshold.ToString("0.0000", Inv)} ({e.Final.ThresholdRule}, chosen on the validation split).");
        L();
        Deployment(r.Run, L);
        L("## Limitations");
        L();
        L("- Trained and tested on one dataset; performance on other sites, scanners or populations is unknown.");
        if (card.CrossSplitDuplicates.Count > 0) L($"- {card.CrossSplitDuplicates.Count} group(s) of identical images span splits: the test metrics may be optimistic.");
        if (spec.Confounders.Count > 0) L($"- Named confounders ({string.Join(", ", spec.Confounders.Select(c => c.Name))}) may still influence predictions; see the report.");
        if (e is not null && e.TestLooks > 1) L($"- The test split was looked at {e.TestLooks} times; the test results are optimistic.");
        foreach (var q in spec.Questions) L($"- Assumed, not stated: {q.Question} (default: {q.Default}).");
        return sb.ToString();
    }

    /// <summary>The package's files, and the ONNX file's input, output and in-graph preprocessing (from package/manifest.json).</summary>
    private static void Deployment(RunPaths run, Action<string> line)
    {
        var path = Path.Combine(run.PackageDir, ModelPackage.ManifestFile);
        if (!File.Exists(path)) return;
        var m = Json.Read<ModelPackageManifest>(path);
        line("## Deployment");
        line("");
        line($"`package/` holds {m.Model} (TorchSharp weights, for `clinforge predict`), {m.Recipe}, {m.Preprocessing} and {ModelPackage.ManifestFile} with the operating point.");
        if (m.Onnx is { } o)
        {
            line($"It also holds `{o.File}` ({(o.Bytes / 1048576.0).ToString("0.00", Inv)} MiB, ONNX opset {o.Opset}, IR version {o.IrVersion}, {o.Nodes} nodes, {o.Parameters.ToString("N0", Inv)} parameters): the same model for any ONNX runtime, with its preprocessing inside the graph.");
            line("");
            line($"- Input `{o.Input.Name}`: {o.Input.ElementType} [{string.Join(", ", o.Input.Shape)}] ({o.Input.Layout}), {o.Input.Description}.");
            line($"- Output `{o.Output.Name}`: {o.Output.ElementType} [{string.Join(", ", o.Output.Shape)}], {o.Output.Description}.");
            line($"- Inside the graph: {string.Join("; ", o.InGraph)}.");
        }
        else if (m.OnnxUnavailable is { } why)
        {
            line($"No ONNX file: {why}");
        }
        line("");
    }
}
