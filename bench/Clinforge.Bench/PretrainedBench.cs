using System.Diagnostics;
using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Bench;

/// <summary>
/// Transfer learning against training from scratch, side by side in one run: for each dataset, two
/// arms of `clinforge develop` with the same plain request, seed and wall-clock budget, one with
/// <c>--start scratch</c> and one with <c>--start pretrained</c>. Prints each arm's final test AUC and
/// accuracy with 95% CIs (the run's one look), the trials and fine-tuning strategies it tried with
/// their validation objective and training throughput, its wall time, and the ratio pretrained / scratch.
/// </summary>
/// <remarks>
/// Datasets: PneumoniaMNIST and BreastMNIST (28 px; the pretrained arm upsamples to 64 px, as MedMNIST+
/// by Doerrich et al. 2024 does for pretrained models) and bone-fracture as image-level classification
/// ("is there a fracture in this radiograph?": an image with any box is a fracture), with the official
/// <c>val/</c> as the sealed test split and validation drawn from <c>train/</c> by source image, so
/// Roboflow's augmented copies of one radiograph never straddle train and validation.
/// </remarks>
internal static class PretrainedBench
{
    private sealed record Arm(string Start, Estimate Auc, Estimate? Acc, int Trials, double Wall, IReadOnlyList<string> TrialRows, double ImagesPerSecond);

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = Program.FindShared() ?? throw new InvalidOperationException("../shared/data not found beside the checkout: this benchmark needs the real MedMNIST and bone-fracture files.");
        string? only = Program.Option(args, "--only");
        double medMinutes = Program.Option(args, "--medmnist-minutes") is { } mm ? double.Parse(mm, inv) : 15;
        double boneMinutes = Program.Option(args, "--bone-minutes") is { } bm ? double.Parse(bm, inv) : 30;
        double trialMinutes = Program.Option(args, "--trial-minutes") is { } tm ? double.Parse(tm, inv) : 3;
        var cases = new List<(string Name, string Data, string Request, double Minutes, string[] Extra)>
        {
            ("PneumoniaMNIST", Path.Combine(shared, "medmnist", "pneumoniamnist.npz"), "Classify pneumonia versus normal on these paediatric chest X-rays.", medMinutes, []),
            ("BreastMNIST", Path.Combine(shared, "medmnist", "breastmnist.npz"), "Tell malignant from normal or benign breast ultrasound images.", medMinutes, []),
        };
        if (only is null || only.Equals("bone-fracture", StringComparison.OrdinalIgnoreCase))
        {
            var csv = WriteBoneFractureCsv(Path.Combine(shared, "bone-fracture"));
            cases.Add(("bone-fracture", csv, "Is there a fracture in this radiograph? Tell fracture from no fracture.", boneMinutes, ["--allow-root", Path.Combine(shared, "bone-fracture")]));
        }
        var summary = new List<string>();
        foreach (var c in cases.Where(c => only is null || c.Name.Equals(only, StringComparison.OrdinalIgnoreCase)))
        {
            var arms = new List<Arm>();
            foreach (var start in new[] { "scratch", "pretrained" })
            {
                var runDir = Path.Combine(Path.GetTempPath(), $"clinforge-pretrained-{c.Name.ToLowerInvariant()}-{start}-{DateTime.Now:yyyyMMddHHmmss}");
                Console.WriteLine($"== {c.Name}, --start {start}: budget {c.Minutes} min, trials of up to {trialMinutes} min -> {runDir}");
                var clock = Stopwatch.StartNew();
                // The rounds cap is never the limit: the wall-clock budget stops both arms.
                int code = Program.RunCli(["develop", "--request", c.Request, "--data", c.Data, "--rounds", "100", "--start", start,
                    "--budget-minutes", c.Minutes.ToString(inv), "--trial-minutes", trialMinutes.ToString(inv), "--run", runDir, "--non-interactive", .. c.Extra]);
                if (code != 0) throw new InvalidOperationException($"{c.Name} --start {start}: clinforge develop exited with {code}");
                arms.Add(Read(new RunPaths(runDir), start, clock.Elapsed.TotalMinutes));
            }
            var lines = new List<string>
            {
                $"{c.Name}: same request, seed 17 and wall-clock budget ({c.Minutes} min per arm, trials ≤ {trialMinutes} min); test = the run's one look, 95% bootstrap CIs",
                $"  {"start",-11} {"trials",-7} {"test AUC [95% CI]",-24} {"test ACC at 0.5 [95% CI]",-26} {"img/s (mean)",-13} {"wall min",-9}",
            };
            foreach (var a in arms)
                lines.Add(string.Create(inv, $"  {a.Start,-11} {a.Trials,-7} {Fmt(a.Auc),-24} {(a.Acc is { } acc ? Fmt(acc) : "n/a"),-26} {a.ImagesPerSecond,-13:F0} {a.Wall,-9:F1}"));
            lines.Add(string.Create(inv, $"  ratio pretrained / scratch: test AUC {arms[1].Auc.Value / arms[0].Auc.Value:F3}, wall {arms[1].Wall / arms[0].Wall:F2}"));
            foreach (var a in arms)
            {
                lines.Add($"  trials of the {a.Start} arm (trial, move, strategy at size, validation objective, decision, training img/s — of the trainable part: for head-only, the head on cached features —, frozen stages' img/s where computed):");
                lines.AddRange(a.TrialRows.Select(r => "    " + r));
            }
            lines.ForEach(Console.WriteLine);
            summary.AddRange(lines);
        }
        Console.WriteLine("\n== summary");
        summary.ForEach(Console.WriteLine);
        return 0;

        string Fmt(Estimate x) => string.Create(inv, $"{x.Value:F3} [{x.Lower:F3}, {x.Upper:F3}]");
    }

    private static Arm Read(RunPaths run, string start, double wallMinutes)
    {
        var inv = CultureInfo.InvariantCulture;
        var e = Json.Read<FinalEvaluation>(run.Evaluation);
        Dictionary<int, TrialRecord> records;
        using (var journal = new Journal(run.Journal)) records = journal.Trials().ToDictionary(t => t.Number);
        var rows = new List<string>();
        var speeds = new List<double>();
        foreach (var dir in Directory.GetDirectories(run.TrialsDir).Order(StringComparer.Ordinal))
        {
            var paths = new TrialPaths(dir);
            if (!File.Exists(paths.Metrics) || !File.Exists(paths.Recipe)) continue;
            var m = Json.Read<TrialMetrics>(paths.Metrics);
            var r = Json.Read<Recipe>(paths.Recipe);
            int number = int.Parse(Path.GetFileName(dir), inv);
            string move = records.TryGetValue(number, out var rec) ? rec.Move : "?";
            string kept = rec is null ? "?" : rec.Accepted ? "kept" : "discarded";
            string strategy = r.FineTune is { } ft ? $"{ft.Strategy}{(ft.Strategy == "partial" ? $" ({ft.FrozenStages} frozen)" : "")}" : $"{r.Model.Name} w{r.Model.Width}";
            if (m.Status == TrialStatus.Succeeded) speeds.Add(m.ImagesPerSecond);
            rows.Add(string.Create(inv, $"{number:D3}  {move,-26} {strategy + $" at {r.Input.Size} px",-30} {(m.Best is { } b ? b.Objective.ToString("F4", inv) : m.Status.ToString()),-9} {kept,-9} {m.ImagesPerSecond,8:F0}  {FrozenRate(paths.Log)}"));
        }
        var acc = e.Final.Metrics.TryGetValue("accuracy_at_0.5", out var a) ? a : null;
        return new Arm(start, e.Final.Metrics["auc"], acc, rows.Count, wallMinutes, [.. rows, $"final model: trial {e.Final.Trial}"], speeds.DefaultIfEmpty().Average());
    }

    /// <summary>The frozen stages' throughput as the trial log states it (computed, not read from the cache), or "".</summary>
    private static string FrozenRate(string log)
    {
        if (!File.Exists(log)) return "";
        var line = File.ReadLines(log).FirstOrDefault(l => l.Contains("frozen stages:", StringComparison.Ordinal) && l.Contains("computed in", StringComparison.Ordinal));
        if (line is null) return File.ReadLines(log).Any(l => l.Contains("read from the cache", StringComparison.Ordinal)) ? "frozen stages from the cache" : "";
        int i = line.IndexOf("computed in", StringComparison.Ordinal);
        return "frozen stages " + line[i..].Replace(", cached in", " →", StringComparison.Ordinal).Split(" →")[0];
    }

    /// <summary>
    /// bone-fracture as an image-level CSV: file (absolute), label (fracture when the label file has a
    /// box), group (the source radiograph, Roboflow's name before ".rf."), split (train, or test for the
    /// official val/; validation is drawn from train by group).
    /// </summary>
    internal static string WriteBoneFractureCsv(string root)
    {
        var folder = Path.Combine(Path.GetTempPath(), "clinforge-bone-fracture-images");
        Directory.CreateDirectory(folder);
        var csv = new StringBuilder("file,label,group,split\n");
        int[] counts = new int[4];
        foreach (var (part, split) in new[] { ("train", "train"), ("val", "test") })
        {
            foreach (var image in Directory.EnumerateFiles(Path.Combine(root, part, "images"), "*.jpg").Order(StringComparer.Ordinal))
            {
                var labelFile = Path.Combine(root, part, "labels", Path.GetFileNameWithoutExtension(image) + ".txt");
                bool fracture = File.Exists(labelFile) && File.ReadLines(labelFile).Any(l => !string.IsNullOrWhiteSpace(l));
                var name = Path.GetFileName(image);
                int cut = name.IndexOf(".rf.", StringComparison.Ordinal);
                string group = cut > 0 ? name[..cut] : name;
                csv.Append(CultureInfo.InvariantCulture, $"{image},{(fracture ? "fracture" : "no_fracture")},{group},{split}\n");
                counts[(split == "test" ? 2 : 0) + (fracture ? 1 : 0)]++;
            }
        }
        var path = Path.Combine(folder, "labels.csv");
        File.WriteAllText(path, csv.ToString());
        Console.WriteLine($"bone-fracture as image-level classification: train/ {counts[1]} fracture + {counts[0]} no fracture; official val/ (sealed test) {counts[3]} + {counts[2]} -> {path}");
        return path;
    }
}
