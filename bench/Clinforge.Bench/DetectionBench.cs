using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using SixLabors.ImageSharp.Processing;

namespace Clinforge.Bench;

/// <summary>
/// The detection benchmark on ../shared/data/bone-fracture: `clinforge develop` with the seed request on
/// (a) all boxes and (b) boxes kept on only 5% of training positives (seeded; the rest become
/// image-level positives in image_labels.csv), then initial vs refined mAP@50, mAP@50:95, recall,
/// precision, F1 with 95% bootstrap CIs on a test split that keeps every box. Splits: the official
/// val/ folder is the sealed test split; 15% of train/'s source images (seeded, stratified by finding;
/// all augmented copies of a source together) is validation.
/// The derived datasets live under the temp folder: with <c>--size S</c> (default 224) every image is
/// decoded once, converted to grey and resized so its longer side is S (aspect kept, so normalised
/// labels stay valid) and written as PNG, so no trial, validation or test pass decodes the 512-px
/// JPEGs again; with <c>--size 0</c> they are symbolic links. <c>--negatives-ratio R</c> (default 1)
/// keeps at most R fracture-free images per positive in train and validation (seeded; the test split
/// keeps everything), which shortens loading and every validation pass. <c>--classes body-parts</c>
/// answers the spec's classes question so the detector keeps the data's seven classes apart.
///
/// Defaults sized for ~12 minutes of wall time per setting on a free 2-core machine: 1 round (trial 0
/// + one playbook trial) × 5 minutes per trial, plus inspection, derivation and the test look. The
/// initializer caps the from-scratch trial resolution at 224 px and the pretrained one at 320 px
/// (DetectionInitializer), so a larger --size only makes the stored images larger. <c>--starts scratch,pretrained</c> runs both starting points on the
/// same derived data in one run (the pretrained detector trains at up to 320 px: derive with
/// <c>--size 320</c> or more).
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
        double minutes = Program.Option(args, "--trial-minutes") is { } m ? double.Parse(m, inv) : 5;
        int size = Program.Option(args, "--size") is { } z ? int.Parse(z, inv) : 224;
        double negativesRatio = Program.Option(args, "--negatives-ratio") is { } nr ? double.Parse(nr, inv) : 1.0;
        int limit = Program.Option(args, "--limit") is { } li ? int.Parse(li, inv) : 0;
        string? threads = Program.Option(args, "--threads");
        int seed = Program.Option(args, "--seed") is { } s ? int.Parse(s, inv) : 17;
        string? only = Program.Option(args, "--only");
        // --classes body-parts answers the spec's "classes" question so the detector keeps the data's body-part classes apart.
        bool bodyParts = Program.Option(args, "--classes") is { } cl && (cl == "body-parts" ? true : throw new ArgumentException($"--classes {cl}: only 'body-parts' is known (default: one fracture class)"));
        // --starts scratch,pretrained runs both starting points on the same derived data, one after the other (default: the initializer's rule).
        var starts = (Program.Option(args, "--starts") ?? "auto").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var results = new List<string>();
        foreach (var (name, keep) in new[] { ("a-all-boxes", 1.0), ("b-5pct-boxes", 0.05) })
        {
            if (only is not null && !name.StartsWith(only, StringComparison.OrdinalIgnoreCase)) continue;
            var root = Path.Combine(Path.GetTempPath(), $"clinforge-bench-fracture-{name}-{DateTime.Now:yyyyMMddHHmmss}");
            var clock = Stopwatch.StartNew();
            var data = Derive(source, Path.Combine(root, "data"), keep, seed, size, negativesRatio, limit, out var summary);
            Console.WriteLine($"   derived in {clock.Elapsed.TotalSeconds:F0}s");
            foreach (var start in starts)
            {
                clock.Restart();
                string arm = starts.Length > 1 || start != "auto" ? $"{name}, start {start}" : name;
                var runDir = Path.Combine(root, $"run-{start}");
                string[] answers = ["--non-interactive"];
                if (bodyParts)
                {
                    var file = Path.Combine(root, "answers.json");
                    File.WriteAllText(file, "{\"classes\": \"body parts\"}");
                    answers = ["--answers", file];
                }
                Console.WriteLine($"== ({arm}) {summary}; {rounds} round(s) x {minutes} min; run folder {runDir}");
                int code = Program.RunCli(["develop", "--request", Seed, "--data", data, "--rounds", rounds.ToString(inv),
                    "--trial-minutes", minutes.ToString(inv), "--run", runDir, "--seed", seed.ToString(inv), "--start", start, .. answers, .. (threads is null ? Array.Empty<string>() : ["--threads", threads])]);
                var wall = clock.Elapsed;
                if (code != 0) throw new InvalidOperationException($"{name}: clinforge develop exited with {code}");
                var run = new RunPaths(runDir);
                var e = Json.Read<DetectionEvaluation>(Path.Combine(run.FinalDir, "detection_evaluation.json"));
                var speeds = Directory.GetDirectories(run.TrialsDir).Select(d => Path.Combine(d, "metrics.json")).Where(File.Exists)
                    .Select(Json.Read<TrialMetrics>).Where(x => x.Status == TrialStatus.Succeeded).Select(x => x.ImagesPerSecond).ToList();
                var recipe0 = Json.Read<Recipe>(run.Trial(0).Recipe);
                var lines = new List<string>
                {
                    $"({arm}) {summary}; trial 0: {recipe0.Model.Name} at {recipe0.Input.Size} px, mixed supervision {recipe0.Detection?.MixedSupervision}; test n={e.TestImages} images ({e.TestPositives} positive, {e.TestBoxes} boxes); 95% bootstrap CI over images, {e.BootstrapResamples} resamples",
                    $"  {"model",-22} {"thr",-6} {"mAP@50",-22} {"mAP@50:95",-22} {"recall",-22} {"precision",-22} {"F1",-22}",
                };
                foreach (var x in new[] { e.Initial, e.Final })
                    lines.Add($"  {x.Label + " (trial " + x.Trial + ")",-22} {x.Threshold.ToString("0.00", inv),-6} {Fmt(x.Metrics["map50"]),-22} {Fmt(x.Metrics["map50_95"]),-22} {Fmt(x.Metrics["recall"]),-22} {Fmt(x.Metrics["precision"]),-22} {Fmt(x.Metrics["f1"]),-22}");
                foreach (var x in new[] { e.Initial, e.Final })
                    if (x.ImageLevel is { } il)
                        lines.Add($"  {x.Label + " (trial " + x.Trial + ")",-22} image level ({il.Positives} pos, {il.Negatives} neg): AUC {Fmt(il.Auc)}, sensitivity {Fmt(il.Sensitivity)}, specificity {Fmt(il.Specificity)}");
                if (e.ImageLevelChange is { } change)
                    lines.Add($"  image-level AUC final - initial {change.AucDifference.ToString("+0.000;-0.000;0.000", inv)} (DeLong p = {change.PValue.ToString("0.000", inv)})");
                foreach (var l in DetectionCommandsTable(e)) lines.Add(l);
                lines.Add($"  training throughput {speeds.DefaultIfEmpty().Average():F1} images/s (mean over trials); wall time {wall.TotalMinutes:F1} min");
                foreach (var l in lines) Console.WriteLine(l);
                results.AddRange(lines);
            }
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
    private static string Derive(string source, string target, double keep, int seed, int size, double negativesRatio, int limit, out string summary)
    {
        var rng = new Random(seed);
        var train = Directory.GetFiles(Path.Combine(source, "train", "images")).Order(StringComparer.Ordinal).ToList();
        bool Positive(string split, string image) => new FileInfo(LabelOf(source, split, image)).Length > 0;
        var positives = train.Where(i => Positive("train", i)).OrderBy(_ => rng.Next()).ToList();
        var negatives = train.Where(i => !Positive("train", i)).OrderBy(_ => rng.Next()).ToList();
        // --limit (smoke runs only): at most this many positives, negatives curated from them as below.
        if (limit > 0) positives = positives.Take(limit).ToList();
        // Curation: at most negativesRatio fracture-free images per positive (the initializer trains on one per positive per epoch anyway).
        if (negativesRatio > 0) negatives = negatives.Take((int)Math.Round(negativesRatio * positives.Count)).ToList();
        var kept = positives.Concat(negatives).ToHashSet();
        train = train.Where(kept.Contains).ToList();
        var writes = new List<(string From, string To)>();
        void Link(string from, string to) => writes.Add((from, to));
        // Validation and the 5% boxed subset are drawn by source image: bone-fracture's train/ holds up to 15
        // augmented copies of one radiograph ('<source>.rf.<hash>'), and copies on both sides of a split leak.
        string Source(string image) => Clinforge.Data.AugmentedExport.SourceOf(Path.GetFileName(image)) ?? image;
        HashSet<string> BySource(List<string> images, double share)
        {
            var sources = images.Select(Source).Distinct().ToList(); // already in seeded random order
            var chosen = sources.Take((int)Math.Round(share * sources.Count)).ToHashSet();
            return images.Where(i => chosen.Contains(Source(i))).ToHashSet();
        }
        var val = BySource(positives, 0.15);
        var positiveSourcesInVal = val.Select(Source).ToHashSet();
        var positiveSources = positives.Select(Source).ToHashSet();
        val.UnionWith(BySource(negatives.Where(n => !positiveSources.Contains(Source(n))).ToList(), 0.15));
        // A negative copy whose source also has positive copies follows that source.
        val.UnionWith(negatives.Where(n => positiveSourcesInVal.Contains(Source(n))));
        var trainPositives = positives.Where(p => !val.Contains(p)).ToList();
        var boxed = BySource(trainPositives, keep);
        var imageLevel = new List<string> { "image,label" };
        foreach (var image in train)
        {
            string split = val.Contains(image) ? "val" : "train";
            bool pos = Positive("train", image);
            Link(image, Path.Combine(target, split, "images", Path.GetFileName(image)));
            if (split == "train" && pos && !boxed.Contains(image)) imageLevel.Add($"{(size > 0 ? Path.GetFileNameWithoutExtension(image) + ".png" : Path.GetFileName(image))},fracture");
            else Link(LabelOf(source, "train", image), Path.Combine(target, split, "labels", Path.GetFileNameWithoutExtension(image) + ".txt"));
        }
        foreach (var image in Directory.GetFiles(Path.Combine(source, "val", "images")).Order(StringComparer.Ordinal).Take(limit > 0 ? 2 * limit : int.MaxValue))
        {
            Link(image, Path.Combine(target, "test", "images", Path.GetFileName(image)));
            Link(LabelOf(source, "val", image), Path.Combine(target, "test", "labels", Path.GetFileNameWithoutExtension(image) + ".txt"));
        }
        // Images are decoded once here (in parallel), not by every trial process; labels stay links.
        Parallel.ForEach(writes, w => Store(w.From, w.To, size));
        if (imageLevel.Count > 1) File.WriteAllLines(Path.Combine(target, "train", "image_labels.csv"), imageLevel);
        File.Copy(Path.Combine(source, "data.yaml"), Path.Combine(target, "data.yaml"));
        summary = $"training positives with boxes {boxed.Count} of {trainPositives.Count} ({100.0 * boxed.Count / Math.Max(1, trainPositives.Count):0.#}%), {train.Count - val.Count - trainPositives.Count} training negatives (at most {negativesRatio:G3} per positive), validation {val.Count} images with boxes; images {(size > 0 ? $"grey PNG, longer side {size} px" : "linked")}";
        return target;
    }

    /// <summary>The final model's per-class rows (multi-class runs only), with each class's threshold.</summary>
    private static IEnumerable<string> DetectionCommandsTable(DetectionEvaluation e) =>
        e.Final.PerClass.Select((c, k) => string.Create(CultureInfo.InvariantCulture,
            $"    {c.Class,-20} boxes {c.Boxes,4} thr {e.Final.Operating.For(k):0.00}  AP@50 {F(c.Metrics["map50"])}  recall {F(c.Metrics["recall"])}  precision {F(c.Metrics["precision"])}"));

    private static string F(Estimate x) => double.IsNaN(x.Value) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{x.Value:0.000} [{x.Lower:0.000}, {x.Upper:0.000}]");

    private static string LabelOf(string source, string split, string image) =>
        Path.Combine(source, split, "labels", Path.GetFileNameWithoutExtension(image) + ".txt");

    /// <summary>A label (or, with size 0, an image) as a link; an image as a grey PNG whose longer side is <paramref name="size"/>.</summary>
    private static void Store(string from, string to, int size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        if (size <= 0 || to.EndsWith(".txt", StringComparison.Ordinal)) { File.CreateSymbolicLink(to, from); return; }
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.L8>(from);
        double scale = (double)size / Math.Max(image.Width, image.Height);
        if (scale < 1)
            image.Mutate(x => x.Resize(Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale))));
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, Path.ChangeExtension(to, ".png"));
    }
}
