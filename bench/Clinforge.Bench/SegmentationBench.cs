using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Evaluation;

namespace Clinforge.Bench;

/// <summary>
/// The segmentation benchmark on ../shared/data/drive/training (20 fundus photographs with vessel and
/// field-of-view masks): `clinforge develop` with "Outline the retinal vessels" from the pretrained
/// encoder and from scratch, one after the other, on the same seeded split (12 train, 3 validation,
/// 5 test). Prints for each: test Dice, IoU, sensitivity, precision and HD95 inside the field of view
/// with 95% bootstrap CIs over images, validation Dice of the initial and final trials, training
/// throughput (patches/s) and wall time; then pretrained − scratch Dice paired over the same test images.
/// Defaults: 2 rounds × 4.5 minutes per start (about 15 minutes each, 30 in all on a free 2-core machine).
/// <c>--case brain</c> runs the multi-class case instead: the shared T1 brain volume (128x128x62) with its
/// 6-label k-means tissue map (../shared/data/nifti), copied into a per-case folder and read as 2-D
/// slices; one subject, so slices are split in slabs of neighbours and Dice is reported per label.
/// </summary>
internal static class SegmentationBench
{
    private const string DriveRequest = "Outline the retinal vessels";
    private const string BrainRequest = "Segment the tissue classes on these brain MR slices";

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = Program.FindShared() ?? throw new InvalidOperationException("../shared/data not found beside the checkout: the benchmark needs drive/training or nifti/.");
        var which = Program.Option(args, "--case") ?? "drive";
        var root = Path.Combine(Path.GetTempPath(), $"clinforge-bench-{which}-{DateTime.Now:yyyyMMddHHmmss}");
        string data, request;
        if (which == "brain")
        {
            // The data folder may not be linked from outside it, so the two volumes are copied (2.4 MB) into a per-case layout.
            data = Path.Combine(root, "data");
            Directory.CreateDirectory(Path.Combine(data, "brain"));
            foreach (var (from, to) in new[] { ("KmeansTest_T1UCharRaw.nii.gz", "image.nii.gz"), ("KmeansTest_T1KmeansPrelimSegmentation.nii.gz", "mask.nii.gz") })
            {
                var source = Path.Combine(shared, "nifti", from);
                if (!File.Exists(source)) throw new FileNotFoundException($"benchmark data missing: {source}");
                File.Copy(source, Path.Combine(data, "brain", to));
            }
            request = BrainRequest;
        }
        else if (which == "drive")
        {
            data = Path.Combine(shared, "drive", "training");
            if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"benchmark data missing: {data}");
            request = DriveRequest;
        }
        else throw new ArgumentException($"--case {which}: expected drive or brain");
        int rounds = Program.Option(args, "--rounds") is { } r ? int.Parse(r, inv) : 2;
        double minutes = Program.Option(args, "--trial-minutes") is { } m ? double.Parse(m, inv) : 4.5;
        int seed = Program.Option(args, "--seed") is { } s ? int.Parse(s, inv) : 17;
        var starts = (Program.Option(args, "--starts") ?? "pretrained,scratch").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var lines = new List<string>();
        var finals = new Dictionary<string, SegmentationModelResult>();
        foreach (var start in starts)
        {
            var runDir = Path.Combine(root, $"run-{start}");
            Console.WriteLine($"== {which}, start {start}: {rounds} round(s) x {minutes} min; run folder {runDir}");
            var clock = Stopwatch.StartNew();
            int code = Program.RunCli(["develop", "--request", request, "--data", data, "--rounds", rounds.ToString(inv), "--trial-minutes", minutes.ToString(inv),
                "--run", runDir, "--seed", seed.ToString(inv), "--start", start, "--non-interactive"]);
            var wall = clock.Elapsed;
            if (code != 0) throw new InvalidOperationException($"start {start}: clinforge develop exited with {code}");
            var run = new RunPaths(runDir);
            var e = Json.Read<SegmentationEvaluation>(run.SegmentationEvaluation);
            var trials = Directory.GetDirectories(run.TrialsDir).Order(StringComparer.Ordinal).Select(d => new TrialPaths(d)).Where(t => File.Exists(t.Metrics)).ToList();
            var metrics = trials.Select(t => Json.Read<TrialMetrics>(t.Metrics)).ToList();
            var recipe0 = Json.Read<Recipe>(run.Trial(0).Recipe);
            lines.Add($"(start {start}) {recipe0.Model.Name} at {recipe0.Input.Size} px, patches {recipe0.Segmentation!.PatchSize} px; test n={e.TestImages} images{(e.Labels.Count > 1 ? "" : " inside the field of view")}; 95% bootstrap CI over images, {e.BootstrapResamples} resamples");
            int before = lines.Count;
            foreach (var (name, x) in new[] { ("initial", e.Initial), ("final", e.Final) })
            {
                for (int k = 0; k < x.Labels.Count; k++)
                {
                    var l = x.Labels[k];
                    var what = x.Labels.Count > 1 ? $"{name} {e.Labels[k]}" : name + " (trial " + x.Trial + ")";
                    lines.Add($"  {what,-18} Dice {Fmt(l.Dice)}  IoU {Fmt(l.Iou)}  sensitivity {Fmt(l.Sensitivity)}  precision {Fmt(l.Precision)}  HD95 {(l.Hd95 is { } h ? Fmt(h) : "n/a")} px");
                }
                if (x.Labels.Count > 1) lines.Add($"  {name} (trial {x.Trial}): mean Dice over the {x.Labels.Count} labels {x.Labels.Average(l => l.Dice.Value).ToString("0.000", inv)}");
            }
            if (e.DiceChange is { } c)
                lines.Add($"  Dice final - initial {c.Difference.ToString("+0.000;-0.000;0.000", inv)} [{c.Lower.ToString("+0.000;-0.000;0.000", inv)}, {c.Upper.ToString("+0.000;-0.000;0.000", inv)}], paired bootstrap p = {c.PValue.ToString("0.000", inv)}");
            lines.Add("  trials (validation Dice, epochs, patches/s): " + string.Join("; ", trials.Zip(metrics).Select((t, i) =>
                $"{i}: {t.Second.Best?.Objective.ToString("0.0000", inv) ?? "failed"} ({t.Second.Epochs} epochs, {t.Second.ImagesPerSecond.ToString("0.0", inv)}/s{(File.Exists(t.First.Proposal) ? ", " + Json.Read<Proposal>(t.First.Proposal).Move : "")})")));
            lines.Add($"  training throughput {metrics.Where(x => x.Status == TrialStatus.Succeeded).Select(x => x.ImagesPerSecond).DefaultIfEmpty().Average().ToString("0.0", inv)} patches/s of {recipe0.Segmentation.PatchSize} px (mean over trials); wall time {wall.TotalMinutes.ToString("0.0", inv)} min");
            finals[start] = e.Final;
            foreach (var l in lines.Skip(before - 1)) Console.WriteLine(l);
        }
        if (finals.TryGetValue("pretrained", out var p) && finals.TryGetValue("scratch", out var sc))
        {
            // One Dice per image (the mean over labels), so the pairs are images, not image × label.
            var (pi, si) = (Development.SegmentationFinalEvaluator.MeanOverLabels(p.Images), Development.SegmentationFinalEvaluator.MeanOverLabels(sc.Images));
            var d = SegmentationMetrics.PairedDice(si, pi, 2000, seed);
            lines.Add($"pretrained - scratch test Dice{(p.Labels.Count > 1 ? " (mean over labels)" : "")} {d.Difference.ToString("+0.000;-0.000;0.000", inv)} [{d.Lower.ToString("+0.000;-0.000;0.000", inv)}, {d.Upper.ToString("+0.000;-0.000;0.000", inv)}] over the same {pi.Count} test images (paired bootstrap p = {d.PValue.ToString("0.000", inv)})");
        }
        Console.WriteLine();
        Console.WriteLine("== summary");
        foreach (var l in lines) Console.WriteLine(l);
        return 0;

        string Fmt(Estimate x) => $"{x.Value.ToString("0.000", inv)} [{x.Lower.ToString("0.000", inv)}, {x.Upper.ToString("0.000", inv)}]";
    }
}
