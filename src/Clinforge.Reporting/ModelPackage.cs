using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>
/// Writes package/ (DESIGN.md "the run folder"): the final trial's weights, recipe and preprocessing,
/// the task spec, and manifest.json with the operating point from final/evaluation.json. Written into a
/// temporary folder first and then moved, so a half-written package never looks complete. With an
/// exporter the model is also written as model.onnx (preprocessing inside the graph) and the manifest
/// says what it takes and gives.
/// </summary>
public static class ModelPackage
{
    /// <summary>The manifest's file name inside the package folder.</summary>
    public const string ManifestFile = PackagePaths.ManifestFile;

    /// <summary>Writes the package of the run's final model; returns the package folder.</summary>
    public static string Write(RunPaths run, FinalEvaluation evaluation, DateTimeOffset createdAt, IModelExporter? exporter = null)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var card = Json.Read<DataCard>(run.DataCard);
        var trial = run.Trial(evaluation.Final.Trial);
        var preprocessing = trial.Preprocessing;
        foreach (var f in new[] { trial.Model, trial.Recipe, preprocessing, run.TaskSpec })
            if (!File.Exists(f)) throw new ClinforgeException($"{f}: missing, so the model cannot be packaged. Rerun the trial or the workflow.");
        bool thresholded = !double.IsNaN(evaluation.Final.Threshold);
        var manifest = new ModelPackageManifest
        {
            CreatedAt = createdAt,
            Run = run.Root,
            Trial = evaluation.Final.Trial,
            Classes = card.Classes,
            PositiveClass = thresholded ? evaluation.PositiveClass : null,
            Threshold = evaluation.Final.Threshold,
            ThresholdRule = thresholded ? evaluation.Final.ThresholdRule : "most probable class",
        };
        var staging = run.PackageDir + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        File.Copy(trial.Model, Path.Combine(staging, manifest.Model));
        File.Copy(trial.Recipe, Path.Combine(staging, manifest.Recipe));
        File.Copy(preprocessing, Path.Combine(staging, manifest.Preprocessing));
        File.Copy(run.TaskSpec, Path.Combine(staging, manifest.Spec));
        if (exporter is not null)
        {
            // A model the exporter cannot describe still gets its TorchSharp package; the manifest says why there is no ONNX file.
            try { manifest = manifest with { Onnx = exporter.Export(trial, staging) }; }
            catch (ClinforgeException e) { manifest = manifest with { OnnxUnavailable = e.Message }; }
        }
        Json.Write(Path.Combine(staging, ManifestFile), manifest);
        if (Directory.Exists(run.PackageDir)) Directory.Delete(run.PackageDir, recursive: true);
        Directory.Move(staging, run.PackageDir);
        return run.PackageDir;
    }

    /// <summary>Reads a package's manifest, with a clear error when the folder is not a package.</summary>
    public static ModelPackageManifest ReadManifest(string packageDir)
    {
        var path = Path.Combine(packageDir, ManifestFile);
        if (!File.Exists(path)) throw new ClinforgeException($"{packageDir}: not a Clinforge model package (no {ManifestFile}). Pass RUN/package from a finished run.");
        var manifest = Json.Read<ModelPackageManifest>(path);
        foreach (var f in new[] { manifest.Model, manifest.Recipe, manifest.Preprocessing })
            if (!File.Exists(Path.Combine(packageDir, f))) throw new ClinforgeException($"{Path.Combine(packageDir, f)}: missing from the package; copy the whole package folder.");
        return manifest;
    }

    /// <summary>The decision at the package's operating point: threshold on the positive class, else the most probable class.</summary>
    public static int Decide(ModelPackageManifest manifest, IReadOnlyList<double> probabilities)
    {
        int positive = manifest.PositiveClass is { } name ? IndexOf(manifest.Classes, name) : -1;
        if (positive >= 0 && manifest.Classes.Count == 2 && !double.IsNaN(manifest.Threshold))
            return probabilities[positive] >= manifest.Threshold ? positive : 1 - positive; // ≥ as BinaryMetrics.ConfusionAt
        int best = 0;
        for (int j = 1; j < probabilities.Count; j++) if (probabilities[j] > probabilities[best]) best = j;
        return best;
    }

    private static int IndexOf(IReadOnlyList<string> list, string name)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == name) return i;
        return -1;
    }
}
