using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Reporting;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary><c>clinforge predict</c> on a detection package: JSON of boxes and scores, and PNGs with the boxes drawn.</summary>
internal static class DetectionPredict
{
    /// <summary>Whether <paramref name="package"/> holds a detection model.</summary>
    public static bool IsPackage(string package) => File.Exists(new PackagePaths(package).DetectionManifest);

    /// <summary>
    /// <c>clinforge predict</c> on a detection package: detections.json (per image: boxes in pixels and
    /// normalised, with scores and class names, at the package's operating threshold) and one PNG per
    /// image with the suspicious regions outlined (one colour per class, numbered as in the JSON's legend,
    /// when the model keeps classes apart).
    /// </summary>
    public static int Predict(string package, IReadOnlyList<string> files, string outDir, int threads)
    {
        var manifest = Json.Read<DetectionPackageManifest>(new PackagePaths(package).DetectionManifest);
        NativeRuntime.Initialize(threads, 0);
        var items = files.Select(f => new DataItem(f, 0)).ToArray();
        var images = new RawImage[files.Count];
        Parallel.For(0, files.Count, i => images[i] = ImageDecoder.Decode(files[i]));
        var dataset = Dataset.InMemory(package, DetectionReader.ImageClasses, items, images);
        var detections = DetectionTrialWorker.Predict(new TrialPaths(package), dataset, items);
        bool multiClass = manifest.Classes.Count > 1;
        Directory.CreateDirectory(outDir);
        var rows = new List<object>();
        int marked = 0;
        for (int i = 0; i < files.Count; i++)
        {
            var kept = detections[i].Where(manifest.Operating.Keeps).ToList();
            if (kept.Count > 0) marked++;
            var png = Path.GetFileNameWithoutExtension(files[i]) + "_marked.png";
            AtomicFile.WriteAllBytes(Path.Combine(outDir, png), DetectionDrawing.ToPng(images[i], kept, multiClass));
            rows.Add(new
            {
                Image = files[i], images[i].Width, images[i].Height, Marked = png,
                Boxes = kept.Select(b => new { X1 = b.X1 * images[i].Width, Y1 = b.Y1 * images[i].Height, X2 = b.X2 * images[i].Width, Y2 = b.Y2 * images[i].Height, b.Score, Class = manifest.ClassName(b.Class), ClassIndex = b.Class, Normalised = new[] { b.X1, b.Y1, b.X2, b.Y2 } }).ToList(),
            });
        }
        var path = Path.Combine(outDir, "detections.json");
        // The legend says which colour and number each class is drawn with (multi-class packages).
        var legend = multiClass ? manifest.Classes.Select((c, k) => new { Class = c, Number = k + 1, Colour = DetectionDrawing.ColourHex(k) }).ToList() : null;
        var classThresholds = manifest.ClassThresholds.Count > 0 ? manifest.ClassThresholds.Select((t, k) => new { Class = manifest.ClassName(k), Threshold = t }).ToList() : null;
        Json.Write(path, new { manifest.Finding, Classes = multiClass ? manifest.Classes : [manifest.Finding], Legend = legend, manifest.Threshold, ClassThresholds = classThresholds, Trial = manifest.Trial, Images = rows });
        Console.WriteLine($"{files.Count} image(s) checked for {(multiClass ? $"{manifest.Finding} ({manifest.Classes.Count} classes: {string.Join(", ", manifest.Classes)})" : manifest.Finding)} with trial {manifest.Trial} of {manifest.Run}; {DetectionReport.ThresholdText(manifest.Operating, manifest.ClassName)} (chosen on validation for {manifest.Objective}).");
        Console.WriteLine($"{marked} image(s) with at least one suspicious region marked.");
        Console.WriteLine(path);
        return 0;
    }
}
