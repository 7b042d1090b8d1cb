using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Bench;

/// <summary>
/// Issue 7's benchmark on ../shared/data/bone-fracture: `clinforge develop` with the seed request on
/// (a) all boxes and (b) boxes kept on only 5% of training positives (seeded; the rest become
/// image-level positives in image_labels.csv), then initial vs refined mAP@50, mAP@50:95, recall,
/// precision, F1 with 95% bootstrap CIs on a test split that keeps every box. Splits: the official
/// val/ folder is the sealed test split; 15% of train/ (seeded, stratified by finding) is validation.
/// The derived datasets are folders of symbolic links under the temp folder (nothing is copied).
/// </summary>
internal static class DetectionBench
{
    private const string Seed = "I need a tool that can look at wrist X-rays and help me find fractures. Ideally, it should mark suspicious fractures on images during my workflow so they are less likely to be missed.";

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = Program.FindShared() ?? throw new InvalidOperationException("../shared/data not found beside the checkout: the benchmark needs bone-fracture.");
        var source = Path.Combine(shared, "bone-fracture");
        int rounds = Program.Option(args, "--rounds") is { } r ? int.Parse(r, inv) : 1;
        double minutes = Program.Option(args, "--trial-minutes") is { } m ? double.Parse(m, inv) : 6;
        int seed = Program.Option(args, "--seed") is { } s ? int.Parse(s, inv) : 17;
        string? only = Program.Option(args, "--only");
        var results = new List<string>();
        foreach (var (name, keep) in new[] { ("a-all-boxes", 1.0), ("b-5pct-boxes", 0.05) })
        {
            if (only is not null && !name.StartsWith(only, StringComparison.OrdinalIgnoreCase)) continue;
            var root = Path.Combine(Path.GetTempPath(), $"clinforge-bench-fracture-{name}-{DateTime.Now:yyyyMMddHHmmss}");
            var data = Derive(source, Path.Combine(root, "data"), keep, seed, out var summary);
            var runDir = Path.Combine(root, "run");
            Console.WriteLine($"== ({name}) {summary}; {rounds} round(s) x {minutes} min; run folder {runDir}");
            var clock = Stopwatch.StartNew();
            int code = Program.RunCli(["develop", "--request", Seed, "--data", data, "--rounds", rounds.ToString(inv),
                "--trial-minutes", minutes.ToString(inv), "--run", runDir, "--seed", seed.ToString(inv), "--non-interactive"]);
            var wall = clock.Elapsed;
            if (code != 0) throw new InvalidOperationException($"{name}: clinforge develop exited with {code}");
            var run = new RunPaths(runDir);
            var e = Json.Read<DetectionEvaluation>(Path.Combine(run.FinalDir, "detection_evaluation.json"));
            var speeds = Directory.GetDirectories(run.TrialsDir).Select(d => Path.Combine(d, "metrics.json")).Where(File.Exists)
                .Select(Json.Read<TrialMetrics>).Where(x => x.Status == TrialStatus.Succeeded).Select(x => x.ImagesPerSecond).ToList();
            var recipe0 = Json.Read<Recipe>(run.Trial(0).Recipe);
            var lines = new List<string>
            {
                $"({name}) {summary}; trial 0 mixed supervision: {recipe0.Detection?.MixedSupervision}; test n={e.TestImages} images ({e.TestPositives} positive, {e.TestBoxes} boxes); 95% bootstrap CI over images, {e.BootstrapResamples} resamples",
                $"  {"model",-22} {"thr",-6} {"mAP@50",-22} {"mAP@50:95",-22} {"recall",-22} {"precision",-22} {"F1",-22}",
            };
            foreach (var x in new[] { e.Initial, e.Final })
                lines.Add($"  {x.Label + " (trial " + x.Trial + ")",-22} {x.Threshold.ToString("0.00", inv),-6} {Fmt(x.Metrics["map50"]),-22} {Fmt(x.Metrics["map50_95"]),-22} {Fmt(x.Metrics["recall"]),-22} {Fmt(x.Metrics["precision"]),-22} {Fmt(x.Metrics["f1"]),-22}");
            lines.Add($"  training throughput {speeds.DefaultIfEmpty().Average():F1} images/s (mean over trials); wall time {wall.TotalMinutes:F1} min");
            foreach (var l in lines) Console.WriteLine(l);
            results.AddRange(lines);
        }
        Console.WriteLine();
        Console.WriteLine("== summary");
        foreach (var l in results) Console.WriteLine(l);
        return 0;

        string Fmt(Estimate x) => $"{x.Value.ToString("0.000", inv)} [{x.Lower.ToString("0.000", inv)}, {x.Upper.ToString("0.000", inv)}]";
    }

    /// <summary>
    /// Builds train/ (85% of the official train, seeded), val/ (15%) and test/ (the official val) of
    /// symbolic links; in train/, boxes are kept on a seeded share <paramref name="keep"/> of positives
    /// and the other positives are listed in image_labels.csv without boxes.
    /// </summary>
    private static string Derive(string source, string target, double keep, int seed, out string summary)
    {
        var rng = new Random(seed);
        var train = Directory.GetFiles(Path.Combine(source, "train", "images")).Order(StringComparer.Ordinal).ToList();
        bool Positive(string split, string image) => new FileInfo(LabelOf(source, split, image)).Length > 0;
        var positives = train.Where(i => Positive("train", i)).OrderBy(_ => rng.Next()).ToList();
        var negatives = train.Where(i => !Positive("train", i)).OrderBy(_ => rng.Next()).ToList();
        var val = positives.Take((int)Math.Round(0.15 * positives.Count)).Concat(negatives.Take((int)Math.Round(0.15 * negatives.Count))).ToHashSet();
        var trainPositives = positives.Where(p => !val.Contains(p)).ToList();
        var boxed = trainPositives.Take((int)Math.Round(keep * trainPositives.Count)).ToHashSet();
        var imageLevel = new List<string> { "image,label" };
        foreach (var image in train)
        {
            string split = val.Contains(image) ? "val" : "train";
            bool pos = Positive("train", image);
            Link(image, Path.Combine(target, split, "images", Path.GetFileName(image)));
            if (split == "train" && pos && !boxed.Contains(image)) imageLevel.Add($"{Path.GetFileName(image)},fracture");
            else Link(LabelOf(source, "train", image), Path.Combine(target, split, "labels", Path.GetFileNameWithoutExtension(image) + ".txt"));
        }
        foreach (var image in Directory.GetFiles(Path.Combine(source, "val", "images")))
        {
            Link(image, Path.Combine(target, "test", "images", Path.GetFileName(image)));
            Link(LabelOf(source, "val", image), Path.Combine(target, "test", "labels", Path.GetFileNameWithoutExtension(image) + ".txt"));
        }
        if (imageLevel.Count > 1) File.WriteAllLines(Path.Combine(target, "train", "image_labels.csv"), imageLevel);
        File.Copy(Path.Combine(source, "data.yaml"), Path.Combine(target, "data.yaml"));
        summary = $"training positives with boxes {boxed.Count} of {trainPositives.Count} ({100.0 * boxed.Count / Math.Max(1, trainPositives.Count):0.#}%), validation {val.Count} images with boxes";
        return target;
    }

    private static string LabelOf(string source, string split, string image) =>
        Path.Combine(source, split, "labels", Path.GetFileNameWithoutExtension(image) + ".txt");

    private static void Link(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.CreateSymbolicLink(to, from);
    }
}
