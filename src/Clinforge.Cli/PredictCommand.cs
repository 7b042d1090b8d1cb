using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Reporting;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>
/// <c>clinforge predict PACKAGE IMAGE_OR_DIR... [--out DIR] [--threads N] [--runtime torch|onnx]</c>: scores new images with a
/// packaged model and writes predictions.csv (path, one probability per class, the decision at the
/// package's operating point). Images are decoded and preprocessed exactly as in training and the
/// final evaluation (same decoder, resize and normalisation), so scoring a test image gives the
/// probabilities in final/test_predictions.csv. With <c>--runtime onnx</c> the package's model.onnx is
/// run by ONNX Runtime instead of TorchSharp (the way a hospital deploys it); the probabilities agree
/// to within float rounding, and the decisions use the same operating point.
/// </summary>
internal static class PredictCommand
{
    // The image extensions the dataset readers accept (Clinforge.Data.ImageFiles.Extensions, internal there).
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp" };

    private const string Usage = "usage: clinforge predict PACKAGE IMAGE_OR_DIR... [--out DIR] [--threads N] [--runtime torch|onnx]";

    public static int Run(Args a)
    {
        if (a.Positional.Count < 2) throw new ClinforgeException(Usage);
        var outDir = Path.GetFullPath(a.Get("out") ?? ".");
        int threads = a.Int("threads", 0);
        var runtime = a.Get("runtime") ?? "torch";
        if (runtime is not ("torch" or "onnx")) throw new ClinforgeException($"--runtime must be torch or onnx (got '{runtime}').");
        var package = Path.GetFullPath(a.Positional[0]);
        if (!Directory.Exists(package)) throw new ClinforgeException($"{a.Positional[0]}: no such package folder (a run's package/ folder).");
        bool detection = DetectionPredict.IsPackage(package), segmentation = SegmentationPredict.IsPackage(package);
        var manifest = detection || segmentation ? null : ModelPackage.ReadManifest(package);
        var found = CollectImages(a.Positional.Skip(1).Select(Path.GetFullPath));
        if (found.Count == 0) throw new ClinforgeException($"no images found in {string.Join(", ", a.Positional.Skip(1))} (extensions: {string.Join(" ", Extensions.Order(StringComparer.Ordinal).Concat(MedicalFiles.Extensions))}).");
        // A segmentation model outlines a NIfTI volume whole, slice by slice, into a label-map volume; other models score one slice of it.
        var volumes = segmentation ? found.Where(NiftiReader.IsNiftiName).ToList() : [];
        if (volumes.Count > 0)
        {
            found = found.Except(volumes).ToList();
            if (found.Count == 0)
            {
                Directory.CreateDirectory(outDir);
                ReportSkipped([], outDir);
                return SegmentationPredict.Predict(package, [], [], outDir, threads, onnx: runtime == "onnx", volumes);
            }
        }
        // One bad file never loses the batch: what cannot be read is listed with the reason, the rest is scored.
        var (files, images, skipped) = Decode(found);
        if (files.Count == 0)
            throw new ClinforgeException($"none of the {found.Count} file(s) could be scored: {string.Join("; ", skipped.Take(5).Select(x => $"{ImageDecoder.Shown(x.Path)}: {x.Reason}"))}{(skipped.Count > 5 ? $"; and {skipped.Count - 5} more" : "")}.");
        Directory.CreateDirectory(outDir);
        ReportSkipped(skipped, outDir);
        if (segmentation)
        {
            return SegmentationPredict.Predict(package, files, images, outDir, threads, onnx: runtime == "onnx", volumes);
        }
        if (manifest is null)
        {
            if (runtime == "onnx") throw new ClinforgeException($"{package}: detection packages have no ONNX model yet; use --runtime torch.");
            return DetectionPredict.Predict(package, files, outDir, threads);
        }

        double[][] probabilities;
        if (runtime == "onnx")
        {
            probabilities = OnnxPackageScorer.Score(package, manifest, images, threads);
        }
        else
        {
            NativeRuntime.Initialize(threads, 0);
            probabilities = Score(package, manifest, files, images);
        }
        var path = Path.Combine(outDir, "predictions.csv");
        AtomicFile.WriteAllText(path, Csv(manifest, files, probabilities));
        int positives = manifest.PositiveClass is null ? 0 : probabilities.Count(p => manifest.Classes[ModelPackage.Decide(manifest, p)] == manifest.PositiveClass);
        Console.WriteLine($"{files.Count} image(s) scored with trial {manifest.Trial} of {manifest.Run} ({(runtime == "onnx" ? "ONNX Runtime, " + manifest.Onnx!.File : "TorchSharp, " + manifest.Model)}); decision rule: {Rule(manifest)}.");
        if (manifest.PositiveClass is not null) Console.WriteLine($"{positives} called {manifest.PositiveClass}.");
        Console.WriteLine(path);
        return 0;
    }

    /// <summary>Decodes every file once; returns the readable ones with their pixels, and the others with the reason.</summary>
    private static (List<string> Files, List<RawImage> Images, List<(string Path, string Reason)> Skipped) Decode(IReadOnlyList<string> found)
    {
        var images = new RawImage?[found.Count];
        var reasons = new string?[found.Count];
        var notes = new string?[found.Count];
        Parallel.For(0, found.Count, i =>
        {
            if (MedicalFiles.IsMedical(found[i]))
            {
                // DICOM and NIfTI go through the training reader, window and slicing; several frames or slices: the middle one.
                try { images[i] = MedicalFiles.LoadForPrediction(found[i], out notes[i]); }
                catch (ClinforgeException e) { reasons[i] = e.Message.StartsWith(found[i] + ": ", StringComparison.Ordinal) ? e.Message[(found[i].Length + 2)..] : e.Message; }
                return;
            }
            if (!ImageDecoder.TryDecode(found[i], out images[i], out reasons[i])) images[i] = null;
        });
        foreach (var note in notes) if (note is not null) Console.WriteLine(note);
        var files = new List<string>();
        var ok = new List<RawImage>();
        var skipped = new List<(string, string)>();
        for (int i = 0; i < found.Count; i++)
        {
            if (images[i] is { } image) { files.Add(found[i]); ok.Add(image); }
            else skipped.Add((found[i], reasons[i] ?? "could not be decoded"));
        }
        return (files, ok, skipped);
    }

    /// <summary>Says which files were skipped and why, on the terminal and in skipped.csv beside the predictions.</summary>
    private static void ReportSkipped(List<(string Path, string Reason)> skipped, string outDir)
    {
        var path = Path.Combine(outDir, "skipped.csv");
        if (skipped.Count == 0)
        {
            File.Delete(path);
            return;
        }
        Console.Error.WriteLine($"skipped {skipped.Count} file(s) that could not be scored:");
        foreach (var (file, reason) in skipped) Console.Error.WriteLine($"  {ImageDecoder.Shown(file)}: {reason}");
        var sb = new StringBuilder("path,reason\n");
        foreach (var (file, reason) in skipped) sb.Append(CsvCell(ImageDecoder.Shown(file))).Append(',').Append(CsvCell(reason)).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
        Console.Error.WriteLine($"  (listed in {path})");
    }

    private static string CsvCell(string v) => v.Contains(',') || v.Contains('"') || v.Contains('\n') ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;

    /// <summary>Class probabilities for each decoded image, in order, with the package's model and preprocessing.</summary>
    public static double[][] Score(string package, ModelPackageManifest manifest, IReadOnlyList<string> files, IReadOnlyList<RawImage> images)
    {
        var items = files.Select(f => new DataItem(f, 0)).ToArray();
        var dataset = Dataset.InMemory(package, manifest.Classes, items, images.ToArray());
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
