using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Reporting;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>
/// <c>clinforge predict PACKAGE IMAGE_OR_DIR... [--out DIR] [--threads N]</c>: scores new images with a
/// packaged model and writes predictions.csv (path, one probability per class, the decision at the
/// package's operating point). Images are decoded and preprocessed exactly as in training and the
/// final evaluation (same decoder, resize and normalisation), so scoring a test image gives the
/// probabilities in final/test_predictions.csv.
/// </summary>
internal static class PredictCommand
{
    // The image extensions the dataset readers accept (Clinforge.Data.ImageFiles.Extensions, internal there).
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp" };

    private const string Usage = "usage: clinforge predict PACKAGE IMAGE_OR_DIR... [--out DIR] [--threads N]";

    public static int Run(string[] argv)
    {
        var a = new Args(argv, new HashSet<string>());
        if (a.Positional.Count < 2) throw new ClinforgeException(Usage);
        var outDir = Path.GetFullPath(a.Get("out") ?? ".");
        int threads = a.Int("threads", 0);
        a.RejectUnknown();
        var package = Path.GetFullPath(a.Positional[0]);
        if (DetectionCommands.IsPackage(package))
            return DetectionCommands.Predict(package, CollectImages(a.Positional.Skip(1).Select(Path.GetFullPath)), outDir, threads);
        var manifest = ModelPackage.ReadManifest(package);
        var files = CollectImages(a.Positional.Skip(1).Select(Path.GetFullPath));
        if (files.Count == 0) throw new ClinforgeException($"no images found in {string.Join(", ", a.Positional.Skip(1))} (extensions: {string.Join(" ", Extensions.Order(StringComparer.Ordinal).Concat(MedicalFiles.Extensions))}).");

        NativeRuntime.Initialize(threads, 0);
        var probabilities = Score(package, manifest, files);
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, "predictions.csv");
        AtomicFile.WriteAllText(path, Csv(manifest, files, probabilities));
        int positives = manifest.PositiveClass is null ? 0 : probabilities.Count(p => manifest.Classes[ModelPackage.Decide(manifest, p)] == manifest.PositiveClass);
        Console.WriteLine($"{files.Count} image(s) scored with trial {manifest.Trial} of {manifest.Run}; decision rule: {Rule(manifest)}.");
        if (manifest.PositiveClass is not null) Console.WriteLine($"{positives} called {manifest.PositiveClass}.");
        Console.WriteLine(path);
        return 0;
    }

    /// <summary>Class probabilities for each file, in order, with the package's model and preprocessing.</summary>
    public static double[][] Score(string package, ModelPackageManifest manifest, IReadOnlyList<string> files)
    {
        var items = files.Select(f => new DataItem(f, 0)).ToArray();
        var images = new RawImage[files.Count];
        var notes = new string?[files.Count];
        // DICOM and NIfTI files go through the same reader, window and slicing as in training; a file with
        // several frames or slices is scored on its middle one.
        MedicalFiles.RequireDicomSupport(string.Join(", ", files.Where(MedicalFiles.IsDicom).Take(1)), files);
        try
        {
            Parallel.For(0, files.Count, i => images[i] = MedicalFiles.IsMedical(files[i]) ? MedicalFiles.LoadForPrediction(files[i], out notes[i]) : ImageDecoder.Decode(files[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<ClinforgeException>().FirstOrDefault() is { } first)
        {
            // Parallel.For wraps; the user needs the file and the problem, not the wrapper.
            throw new ClinforgeException(first.Message, first.ExitCode);
        }
        foreach (var note in notes) if (note is not null) Console.WriteLine(note);
        var dataset = Dataset.InMemory(package, manifest.Classes, items, images);
        // The package folder has the trial layout (model.bin, recipe.json, preprocessing.json), so the
        // final evaluation's scorer loads it unchanged.
        return new TorchModelScorer(dataset).Predict(new TrialPaths(package), items);
    }

    /// <summary>Files as given, and the images under each folder (recursively, sorted), without repeats.</summary>
    public static List<string> CollectImages(IEnumerable<string> inputs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var input in inputs)
        {
            IEnumerable<string> found = Directory.Exists(input)
                ? Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Where(f => (Extensions.Contains(Path.GetExtension(f)) || MedicalFiles.IsMedical(f)) && !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)
                : File.Exists(input) ? [input] : throw new ClinforgeException($"{input}: no such file or folder.");
            foreach (var f in found) if (seen.Add(f)) result.Add(f);
        }
        return result;
    }

    private static string Rule(ModelPackageManifest m) => m.PositiveClass is null || double.IsNaN(m.Threshold)
        ? "most probable class"
        : string.Create(CultureInfo.InvariantCulture, $"{m.PositiveClass} when p ≥ {m.Threshold:0.0000} ({m.ThresholdRule})");

    private static string Csv(ModelPackageManifest m, IReadOnlyList<string> files, double[][] probabilities)
    {
        var sb = new StringBuilder("path");
        foreach (var c in m.Classes) sb.Append(",p_").Append(c);
        sb.Append(",decision\n");
        for (int i = 0; i < files.Count; i++)
        {
            var f = files[i];
            sb.Append(f.Contains(',') || f.Contains('"') ? "\"" + f.Replace("\"", "\"\"") + "\"" : f);
            foreach (var p in probabilities[i]) sb.Append(',').Append(p.ToString("R", CultureInfo.InvariantCulture));
            sb.Append(',').Append(m.Classes[ModelPackage.Decide(m, probabilities[i])]).Append('\n');
        }
        return sb.ToString();
    }
}
