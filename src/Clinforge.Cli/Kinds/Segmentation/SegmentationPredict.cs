using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Clinforge.Cli;

/// <summary><c>clinforge predict</c> on a segmentation package: a mask and an overlay per image, and each label's area.</summary>
internal static class SegmentationPredict
{
    /// <summary>Whether <paramref name="package"/> holds a segmentation model.</summary>
    public static bool IsPackage(string package) => File.Exists(new PackagePaths(package).SegmentationManifest);

    /// <summary>
    /// Writes, per image, <c>&lt;name&gt;_mask.png</c> (the label map at the image's size, each label
    /// written with the value its training masks used) and <c>&lt;name&gt;_overlay.png</c> (the labels
    /// tinted on the image with their outlines drawn), and <c>segmentation.csv</c> with each label's area
    /// in pixels and as a share of the image.
    /// </summary>
    public static int Predict(string package, IReadOnlyList<string> files, IReadOnlyList<RawImage> images, string outDir, int threads, bool onnx = false)
    {
        var paths = new PackagePaths(package);
        var manifest = Json.Read<SegmentationPackageManifest>(paths.SegmentationManifest);
        List<byte[]> maps;
        if (onnx)
        {
            maps = OnnxMaps(package, manifest, Json.Read<Recipe>(paths.Recipe), images, threads);
        }
        else
        {
            NativeRuntime.Initialize(threads, 0);
            var (model, pre, recipe) = SegmentationPredictor.Load(paths.Recipe, paths.Preprocessing, paths.Model);
            using (model)
                maps = SegmentationPredictor.PredictImages(model, pre, recipe, images, NativeRuntime.PreferredDevice());
        }
        Directory.CreateDirectory(outDir);
        var ci = CultureInfo.InvariantCulture;
        var csv = new StringBuilder("image,width,height,label,pixels,fraction,mask,overlay\n");
        int withStructure = 0;
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < files.Count; i++)
        {
            var img = images[i];
            var stem = Path.GetFileNameWithoutExtension(files[i]);
            // Two inputs with one name (a/x.png, b/x.png) must not overwrite each other's outputs.
            for (int k = 2; !taken.Add(stem); k++) stem = Path.GetFileNameWithoutExtension(files[i]) + "_" + k.ToString(ci);
            string mask = stem + "_mask.png", overlay = stem + "_overlay.png";
            AtomicFile.WriteAllBytes(Path.Combine(outDir, mask), SegmentationDrawing.Mask(maps[i], img.Width, img.Height, manifest.LabelValues));
            AtomicFile.WriteAllBytes(Path.Combine(outDir, overlay), SegmentationDrawing.Overlay(img, maps[i]));
            bool any = false;
            for (int k = 1; k <= manifest.Labels.Count; k++)
            {
                long count = maps[i].LongCount(v => v == k);
                any |= count > 0;
                csv.Append(ci, $"\"{files[i].Replace("\"", "\"\"", StringComparison.Ordinal)}\",{img.Width},{img.Height},{manifest.Labels[k - 1]},{count},{(double)count / (img.Width * img.Height):F6},{mask},{overlay}\n");
            }
            if (any) withStructure++;
        }
        var path = Path.Combine(outDir, "segmentation.csv");
        AtomicFile.WriteAllText(path, csv.ToString());
        Console.WriteLine($"{files.Count} image(s) outlined for {string.Join(", ", manifest.Labels)} with trial {manifest.Trial} of {manifest.Run} ({(onnx ? "ONNX Runtime, " + manifest.Onnx!.File : "TorchSharp")}; letterboxed to {manifest.InputSize} px, labels mapped back to each image's pixels).");
        Console.WriteLine($"{withStructure} image(s) with at least one outlined region; a mask and an overlay per image in {outDir}.");
        Console.WriteLine(path);
        return 0;
    }

    /// <summary>
    /// Label maps from package/model.onnx through ONNX Runtime, as a deploying team would run it: the
    /// image letterboxed as in training, 0–255 pixels fed in NHWC order, the probabilities read back,
    /// mapped to the image's pixels and cleaned of small pieces as the recipe says.
    /// </summary>
    private static List<byte[]> OnnxMaps(string package, SegmentationPackageManifest manifest, Recipe recipe, IReadOnlyList<RawImage> images, int threads)
    {
        var info = manifest.Onnx ?? throw new ClinforgeException($"{package}: the package has no model.onnx{(manifest.OnnxUnavailable is { } why ? $" ({why})" : "")}; use --runtime torch.");
        var path = Path.Combine(package, info.File);
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: missing from the package; copy the whole package folder.");
        var seg = recipe.Segmentation ?? throw new ClinforgeException($"{package}: recipe.json is not a segmentation recipe.");
        int size = recipe.Input.Size, channels = recipe.Input.Channels, plane = size * size;
        using var session = OnnxPackageScorer.OpenSession(path, threads);
        var maps = new List<byte[]>();
        foreach (var image in images)
        {
            var chw = new float[channels * plane];
            var frame = Letterbox.ToTensorChw(image, size, channels, chw);
            var hwc = new float[channels * plane];
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++) hwc[p * channels + c] = chw[c * plane + p] * 255f;
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(info.Input.Name, new DenseTensor<float>(hwc, [1, size, size, channels]))], [info.Output.Name]);
            maps.Add(SegmentationPredictor.LabelImage(outputs[0].AsTensor<float>().ToArray(), seg, frame));
        }
        return maps;
    }
}
