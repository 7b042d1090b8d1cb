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
    /// in pixels and as a share of the image. Each NIfTI volume in <paramref name="volumes"/> is outlined
    /// slice by slice along the axis the model was trained on and written whole as
    /// <c>&lt;name&gt;_mask.nii.gz</c> on the volume's own voxel grid (a viewer lays it over the volume),
    /// with the overlay of the slice where the structure is largest and each label's volume in mL.
    /// </summary>
    public static int Predict(string package, IReadOnlyList<string> files, IReadOnlyList<RawImage> images, string outDir, int threads, bool onnx = false,
        IReadOnlyList<string>? volumes = null)
    {
        var paths = new PackagePaths(package);
        var manifest = Json.Read<SegmentationPackageManifest>(paths.SegmentationManifest);
        var recipe = Json.Read<Recipe>(paths.Recipe);
        Func<IReadOnlyList<RawImage>, List<byte[]>> outline;
        IDisposable? loaded = null;
        if (onnx)
        {
            outline = batch => OnnxMaps(package, manifest, recipe, batch, threads);
        }
        else
        {
            NativeRuntime.Initialize(threads, 0);
            var (model, pre, trained) = SegmentationPredictor.Load(paths.Recipe, paths.Preprocessing, paths.Model);
            loaded = model;
            outline = batch => SegmentationPredictor.PredictImages(model, pre, trained, batch, NativeRuntime.PreferredDevice());
        }
        using var _ = loaded;
        Directory.CreateDirectory(outDir);
        var ci = CultureInfo.InvariantCulture;
        var csv = new StringBuilder("image,width,height,label,pixels,fraction,mask,overlay,volume_ml\n");
        int withStructure = 0;
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string Stem(string file)
        {
            var bare = Path.GetFileName(file);
            bare = bare.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase) ? bare[..^7] : Path.GetFileNameWithoutExtension(bare);
            // Two inputs with one name (a/x.png, b/x.png) must not overwrite each other's outputs.
            var stem = bare;
            for (int k = 2; !taken.Add(stem); k++) stem = bare + "_" + k.ToString(ci);
            return stem;
        }
        var maps = images.Count == 0 ? [] : outline(images);
        for (int i = 0; i < files.Count; i++)
        {
            var img = images[i];
            var stem = Stem(files[i]);
            string mask = stem + "_mask.png", overlay = stem + "_overlay.png";
            AtomicFile.WriteAllBytes(Path.Combine(outDir, mask), SegmentationDrawing.Mask(maps[i], img.Width, img.Height, manifest.LabelValues));
            AtomicFile.WriteAllBytes(Path.Combine(outDir, overlay), SegmentationDrawing.Overlay(img, maps[i]));
            if (AppendAreas(csv, manifest, files[i], img.Width, img.Height, (long)img.Width * img.Height, [maps[i]], mask, overlay, voxelMl: null)) withStructure++;
        }
        foreach (var file in volumes ?? [])
        {
            var volume = NiftiReader.Read(file);
            if (volume.IsColour) throw new ClinforgeException($"{file}: a colour (RGB) volume; this model outlines grey-value volumes.");
            int axis = manifest.SliceAxis ?? volume.ChooseSliceAxis().Axis;
            var slices = Enumerable.Range(0, volume.SliceCount(axis)).Select(s => volume.Slice(axis, s)).ToList();
            var labelMaps = outline(slices);
            var stem = Stem(file);
            string mask = stem + "_mask.nii.gz", overlay = stem + "_overlay.png";
            var values = labelMaps.Select(m => m.Select(k => k == 0 ? (byte)0 : (byte)manifest.LabelValues[k - 1]).ToArray()).ToList();
            NiftiWriter.WriteLabels(volume, axis, values, Path.Combine(outDir, mask));
            // The slice with the most outlined pixels shows the most of what the model found.
            int shown = Enumerable.Range(0, labelMaps.Count).OrderByDescending(s => labelMaps[s].Count(k => k != 0)).ThenBy(s => Math.Abs(s - labelMaps.Count / 2)).First();
            AtomicFile.WriteAllBytes(Path.Combine(outDir, overlay), SegmentationDrawing.Overlay(slices[shown], labelMaps[shown]));
            var (w, h) = volume.PlaneSize(axis);
            double voxelMl = volume.Spacing[0] * volume.Spacing[1] * volume.Spacing[2] / 1000.0;
            if (AppendAreas(csv, manifest, file, w, h, (long)w * h * labelMaps.Count, labelMaps, mask, overlay, voxelMl)) withStructure++;
            Console.WriteLine($"{file}: {labelMaps.Count} {NiftiVolume.AxisName(axis)} slices outlined; label map {mask} on the volume's voxel grid; {overlay} shows slice {shown}.");
        }
        var path = Path.Combine(outDir, "segmentation.csv");
        AtomicFile.WriteAllText(path, csv.ToString());
        int count = files.Count + (volumes?.Count ?? 0);
        Console.WriteLine($"{count} image(s) outlined for {string.Join(", ", manifest.Labels)} with trial {manifest.Trial} of {manifest.Run} ({(onnx ? "ONNX Runtime, " + manifest.Onnx!.File : "TorchSharp")}; letterboxed to {manifest.InputSize} px, labels mapped back to each image's pixels).");
        Console.WriteLine($"{withStructure} image(s) with at least one outlined region; a mask and an overlay per image in {outDir}.");
        Console.WriteLine(path);
        return 0;
    }

    /// <summary>One CSV row per label: its pixels (voxels) over <paramref name="maps"/>, their share of the <paramref name="total"/> pixels (a volume's: every slice's), and for a volume its size in mL. True when any label was found.</summary>
    private static bool AppendAreas(StringBuilder csv, SegmentationPackageManifest manifest, string file, int width, int height, long total, IReadOnlyList<byte[]> maps,
        string mask, string overlay, double? voxelMl)
    {
        var ci = CultureInfo.InvariantCulture;
        bool any = false;
        for (int k = 1; k <= manifest.Labels.Count; k++)
        {
            long count = maps.Sum(m => m.LongCount(v => v == k));
            any |= count > 0;
            var ml = voxelMl is { } v ? (count * v).ToString("F3", ci) : "";
            csv.Append(ci, $"\"{file.Replace("\"", "\"\"", StringComparison.Ordinal)}\",{width},{height},{manifest.Labels[k - 1]},{count},{(double)count / total:F6},{mask},{overlay},{ml}\n");
        }
        return any;
    }

    /// <summary>
    /// Label maps from package/model.onnx through ONNX Runtime, as a deploying team would run it: the
    /// image's contrast prepared and letterboxed as in training, 0–255 pixels fed in NHWC order (in patch-sized tiles, blended,
    /// when the square is larger than a training patch), the probabilities read back,
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
            var frame = Letterbox.ToTensorChw(ImageContrast.Prepare(image, seg.Contrast), size, channels, chw);
            var probabilities = SegmentationPredictor.ProbabilitiesOfTiles(chw, channels, size, seg, (hwc, n, t) =>
            {
                using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(info.Input.Name, new DenseTensor<float>(hwc, [n, t, t, channels]))], [info.Output.Name]);
                return outputs[0].AsTensor<float>().ToArray();
            });
            maps.Add(SegmentationPredictor.LabelImage(probabilities, seg, frame));
        }
        return maps;
    }
}
