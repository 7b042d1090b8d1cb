using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Reporting;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>external_evaluation.json: a packaged model scored on labelled data it never saw, at its own operating point.</summary>
public sealed record ExternalEvaluation(
    string Package,
    string Data,
    string Split,
    int Images,
    IReadOnlyDictionary<string, int> ImagesPerClass,
    string Task,
    double Threshold,
    string ThresholdRule,
    int BootstrapResamples,
    int BootstrapSeed,
    IReadOnlyDictionary<string, Estimate> Metrics,
    DateTimeOffset EvaluatedAt)
{
    /// <summary>Detection packages that keep classes apart: each class's metrics with CIs (empty otherwise).</summary>
    public IReadOnlyList<DetectionClassResult> PerClass { get; init; } = [];
    /// <summary>Detection packages: the image-level reading (highest box score; flagged = a mark at the threshold) on every selected image, image-level labels included.</summary>
    public ImageLevelResult? ImageLevel { get; init; }
    /// <summary>Image files of the data that could not be read and were left out, each with the reason.</summary>
    public IReadOnlyList<UnreadableFile> Skipped { get; init; } = [];
}

/// <summary>
/// <c>clinforge evaluate PACKAGE DATA [--split test|val|train|all] [--out DIR] [--seed S] [--threads N]</c>:
/// external validation of a model package on labelled data (another site, a held-out split). The
/// package is applied exactly as <c>clinforge predict</c> applies it, with the operating point chosen
/// on the development validation split (never re-tuned on the data being evaluated), and every
/// metric comes with a 95% bootstrap interval. Classification packages take anything
/// <c>develop</c> reads; detection packages take a detection folder (YOLO/polygon/COCO labels).
/// </summary>
internal static class EvaluateCommand
{
    private const string Usage = "usage: clinforge evaluate PACKAGE DATA [--split test|val|train|all] [--out DIR] [--seed S] [--threads N]";

    public static int Run(Args a)
    {
        if (a.Positional.Count != 2) throw new ClinforgeException(Usage);
        var package = Path.GetFullPath(a.Positional[0]);
        var data = Path.GetFullPath(a.Positional[1]);
        var outDir = Path.GetFullPath(a.Get("out") ?? ".");
        string? split = a.Get("split");
        int seed = a.Int("seed", 17);
        int threads = a.Int("threads", 0);
        if (!Directory.Exists(package)) throw new ClinforgeException($"{package}: no such package folder (a run's package/ folder).");
        if (split is not (null or "test" or "val" or "train" or "all"))
            throw new ClinforgeException($"--split {split}: must be test, val, train or all.");
        NativeRuntime.Initialize(threads, seed);

        var result = DetectionPredict.IsPackage(package) ? Detection(package, data, split, seed)
            : SegmentationPredict.IsPackage(package) ? Segmentation(package, data, split, seed)
            : Classification(package, data, split, seed);
        // Images that could not be read are left out, and said so: an evaluation never drops data silently.
        if (result.Skipped.Count > 0)
        {
            Console.Error.WriteLine($"skipped {result.Skipped.Count} image file(s) that could not be read:");
            foreach (var u in result.Skipped) Console.Error.WriteLine($"  {ImageDecoder.Shown(u.Path)}: {u.Reason}");
        }
        Directory.CreateDirectory(outDir);
        var md = Path.Combine(outDir, "external_evaluation.md");
        AtomicFile.WriteAllText(md, Markdown(result));
        // The JSON is written last: its presence means the evaluation is complete.
        Json.Write(Path.Combine(outDir, "external_evaluation.json"), result);
        Console.WriteLine($"{result.Images} image(s) from {data} ({result.Split}) scored with {package}; threshold {result.Threshold.ToString("0.0000", CultureInfo.InvariantCulture)} ({result.ThresholdRule}).");
        foreach (var (name, e) in result.Metrics) Console.WriteLine($"  {name,-22} {Fmt(e)}");
        foreach (var c in result.PerClass)
            Console.WriteLine($"  {c.Class} ({c.Boxes} boxes): " + string.Join(", ", DetectionReport.ClassMetricNames.Select(n => $"{n} {Fmt(c.Metrics[n])}")));
        if (result.ImageLevel is { } il)
            Console.WriteLine(ImageLevelLine(il));
        Console.WriteLine(md);
        return 0;
    }

    private static ExternalEvaluation Classification(string package, string data, string? split, int seed)
    {
        var manifest = ModelPackage.ReadManifest(package);
        var dataset = DatasetReader.Open(data);
        var (items, splitName) = Select(dataset, split, data);
        // Data classes map to the model's classes by name: a class the model never learned cannot be scored.
        var toModel = new int[dataset.Classes.Count];
        for (int c = 0; c < dataset.Classes.Count; c++)
        {
            toModel[c] = manifest.Classes.ToList().FindIndex(m => string.Equals(m, dataset.Classes[c], StringComparison.OrdinalIgnoreCase));
            if (toModel[c] < 0 && items.Any(i => i.Label == c))
                throw new ClinforgeException($"{data}: class '{dataset.Classes[c]}' is not one the model knows ({string.Join(", ", manifest.Classes)}). Rename the folder or label to the model's class name.");
        }
        var labels = items.Select(i => toModel[i.Label]).ToArray();
        var probs = new TorchModelScorer(dataset).Predict(new TrialPaths(package), items);
        int positive = manifest.PositiveClass is null ? -1 : manifest.Classes.ToList().IndexOf(manifest.PositiveClass);
        if (manifest.Classes.Count == 2 && labels.Distinct().Count() < 2)
            Console.Error.WriteLine($"warning: {data} holds only one class; AUC and the rate of the missing class are undefined (shown as NaN).");
        var metrics = FinalEvaluator.MetricsWithIntervals(labels, probs, positive, manifest.Classes.Count, manifest.Threshold, seed);
        var counts = manifest.Classes.Select((name, k) => (name, n: labels.Count(l => l == k))).ToDictionary(x => x.name, x => x.n);
        return new ExternalEvaluation(package, data, splitName, items.Count, counts, "classification", manifest.Threshold, manifest.ThresholdRule,
            FinalEvaluator.Resamples, seed, metrics, DateTimeOffset.UtcNow) { Skipped = dataset.Unreadable };
    }

    /// <summary>
    /// A segmentation package on image/mask pairs: each image outlined as <c>predict</c> does, scored
    /// inside its region of interest against its mask; per label the mean Dice, IoU, sensitivity,
    /// precision and HD95 over images with bootstrap CIs (the test look's measures).
    /// </summary>
    private static ExternalEvaluation Segmentation(string package, string data, string? split, int seed)
    {
        var manifest = Json.Read<SegmentationPackageManifest>(new PackagePaths(package).SegmentationManifest);
        var dataset = DatasetReader.Open(data);
        var masks = dataset.Segmentation ?? throw new ClinforgeException($"{data}: the package outlines {string.Join(", ", manifest.Labels)}, but these data have no masks to score it against (give images/ and masks/).");
        if (!masks.Values.SequenceEqual(manifest.LabelValues))
            throw new ClinforgeException($"{data}: the masks use the values {string.Join(", ", masks.Values)}, the model was trained on {string.Join(", ", manifest.LabelValues)} ({string.Join(", ", manifest.Labels)}); relabel the masks to the model's values.");
        var (items, splitName) = Select(dataset, split, data);
        var maps = SegmentationTrialWorker.Predict(new TrialPaths(package), dataset, items);
        var scores = new List<SegmentationImageScore>();
        for (int i = 0; i < items.Count; i++)
        {
            var image = dataset.Load(items[i]);
            var truth = masks.Labels(items[i].Id);
            var region = masks.Region(items[i].Id) ?? [];
            for (int k = 1; k <= manifest.Labels.Count; k++)
                scores.Add(SegmentationMetrics.Score(items[i].Id, truth, maps[i], region, image.Width, image.Height, k));
        }
        var metrics = SegmentationMetrics.Named(manifest.Labels, Enumerable.Range(1, manifest.Labels.Count)
            .Select(k => SegmentationMetrics.Summarise(scores.Where(x => x.Label == k).ToList(), SegmentationFinalEvaluator.Resamples, seed)));
        return new ExternalEvaluation(package, data, splitName, items.Count, new Dictionary<string, int> { ["image/mask pairs"] = items.Count }, "segmentation",
            0.5, "the most probable class per pixel", SegmentationFinalEvaluator.Resamples, seed, metrics, DateTimeOffset.UtcNow) { Skipped = dataset.Unreadable };
    }

    private static ExternalEvaluation Detection(string package, string data, string? split, int seed)
    {
        var manifest = Json.Read<DetectionPackageManifest>(new PackagePaths(package).DetectionManifest);
        if (!Directory.Exists(data) || !DetectionReader.Looks(data))
            throw new ClinforgeException($"{data}: not a detection folder (images/ with labels/ of YOLO or polygon rows, or a COCO JSON); a detection package is evaluated on boxes.");
        var dataset = DetectionReader.Read(data);
        var det = dataset.Detection!;
        var (selected, splitName) = Select(dataset, split, data);
        // As in the final evaluation: only images whose boxes are annotated (an empty label file is a
        // negative); image-level-only images cannot score localisation.
        var items = selected.Where(i => det.Labels[i.Id].HasBoxes).ToList();
        if (items.Count == 0) throw new ClinforgeException($"{data}: no image has a box annotation (label file), so localisation cannot be scored.");
        // A model that keeps classes apart is scored against the data's own classes, matched by name
        // (a class the model never learned is an error naming it); one class: every box is the finding.
        var classes = DetectionFinalEvaluator.ClassesOf(new TrialPaths(package));
        var labels = det.LabelsFor(classes);
        // Every selected image is detected on once: the box metrics use the annotated ones, the image-level reading all.
        var all = DetectionTrialWorker.Predict(new TrialPaths(package), dataset, selected);
        var boxed = selected.Select((item, k) => (item, k)).Where(x => det.Labels[x.item.Id].HasBoxes).Select(x => x.k).ToList();
        var predicted = boxed.Select(k => all[k]).ToList();
        var imageLevel = ImageLevelDetection.Evaluate(selected.Select(i => det.Labels[i.Id].Positive).ToList(), all, manifest.Operating, DetectionFinalEvaluator.Resamples, seed);
        var images = items.Select((i, k) => new ImageDetections(labels[i.Id].Boxes, predicted[k])).ToList();
        var metrics = DetectionMetrics.Evaluate(images, manifest.Operating, DetectionFinalEvaluator.Resamples, seed);
        int withFinding = items.Count(i => det.Labels[i.Id].Boxes.Count > 0);
        return new ExternalEvaluation(package, data, splitName, items.Count,
            new Dictionary<string, int> { [manifest.Finding] = withFinding, ["no finding"] = items.Count - withFinding },
            "detection", manifest.Threshold, $"{DetectionReport.ThresholdText(manifest.Operating, manifest.ClassName)} chosen on validation for {manifest.Objective}", DetectionFinalEvaluator.Resamples, seed, metrics, DateTimeOffset.UtcNow)
        {
            PerClass = classes.Count > 1 ? DetectionMetrics.EvaluateByClass(images, classes, manifest.Operating, DetectionFinalEvaluator.Resamples, seed) : [],
            ImageLevel = imageLevel,
            Skipped = dataset.Unreadable,
        };
    }

    /// <summary>The items to score: the named official split, or by default the official test split when there is one, else all.</summary>
    private static (List<DataItem> Items, string Split) Select(Dataset dataset, string? split, string data)
    {
        if (split is null or "all")
        {
            if (split is null && dataset.OfficialSplit is { } official && official.Values.Contains(SplitNames.Test))
                return (dataset.Items.Where(i => official[i.Id] == SplitNames.Test).ToList(), "official test split");
            return (dataset.Items.ToList(), "all images");
        }
        if (dataset.OfficialSplit is not { } splits)
            throw new ClinforgeException($"{data}: --split {split} needs an official split (an .npz, or a folder with train/val/test), and this data has none; use --split all.");
        var chosen = dataset.Items.Where(i => splits.TryGetValue(i.Id, out var s) && s == split).ToList();
        if (chosen.Count == 0) throw new ClinforgeException($"{data}: the official split has no '{split}' images.");
        return (chosen, $"official {split} split");
    }

    private static string ImageLevelLine(ImageLevelResult il) =>
        $"  image level ({il.Positives} positive, {il.Negatives} negative images): AUC {Fmt(il.Auc)}, sensitivity {Fmt(il.Sensitivity)}, specificity {Fmt(il.Specificity)}";

    private static string Fmt(Estimate e) => double.IsNaN(e.Value) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{e.Value:0.000} [{e.Lower:0.000}, {e.Upper:0.000}]");

    private static string Markdown(ExternalEvaluation e)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# External evaluation of a model package").AppendLine();
        sb.AppendLine($"- Package: `{e.Package}`");
        sb.AppendLine($"- Data: `{e.Data}` ({e.Split}), {e.Images} image(s): {string.Join(", ", e.ImagesPerClass.Select(kv => $"{kv.Key} {kv.Value}"))}");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- Operating point: threshold {e.Threshold:0.0000} ({e.ThresholdRule}), as packaged; not re-tuned on these data."));
        sb.AppendLine($"- Intervals: 95% percentile bootstrap, {e.BootstrapResamples} resamples, seed {e.BootstrapSeed}.").AppendLine();
        sb.AppendLine("| metric | estimate [95% CI] |").AppendLine("|---|---|");
        foreach (var (name, est) in e.Metrics) sb.AppendLine($"| {name} | {Fmt(est)} |");
        if (e.PerClass.Count > 0)
        {
            var names = DetectionReport.ClassMetricNames;
            sb.AppendLine().AppendLine("Per class (a box counts only when its class is right; map50 is the class's AP; n/a: no box of that class in these data):").AppendLine();
            sb.AppendLine("| class | boxes | " + string.Join(" | ", names) + " |").AppendLine("|---|---|" + string.Concat(names.Select(_ => "---|")));
            foreach (var c in e.PerClass) sb.AppendLine($"| {c.Class} | {c.Boxes} | " + string.Join(" | ", names.Select(n => Fmt(c.Metrics[n]))) + " |");
        }
        if (e.ImageLevel is { } il)
        {
            sb.AppendLine().AppendLine("Image level (is there a finding in the image? score = highest box score; flagged = at least one mark at the threshold; every selected image, image-level labels included; AUC with DeLong CI):").AppendLine();
            sb.AppendLine("| images | AUC | sensitivity | specificity |").AppendLine("|---|---|---|---|");
            sb.AppendLine($"| {il.Positives} positive, {il.Negatives} negative | {Fmt(il.Auc)} | {Fmt(il.Sensitivity)} ({il.TruePositives}/{il.Positives}) | {Fmt(il.Specificity)} ({il.Negatives - il.FalsePositives}/{il.Negatives}) |");
        }
        if (e.Skipped.Count > 0)
        {
            sb.AppendLine().AppendLine($"Left out: {e.Skipped.Count} image file(s) that could not be read:").AppendLine();
            foreach (var u in e.Skipped) sb.AppendLine($"- `{ImageDecoder.Shown(u.Path)}`: {u.Reason}");
        }
        sb.AppendLine().AppendLine("These numbers describe these images only. A difference from the development report can come from a different population, device or labelling, and is worth understanding before clinical use.");
        return sb.ToString();
    }
}
