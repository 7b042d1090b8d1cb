using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Bench;

/// <summary>
/// Benchmarks against ../shared/BENCHMARKS.md. `medmnist` runs `clinforge develop` on PneumoniaMNIST
/// and BreastMNIST with plain requests and a fixed budget, then prints test AUC/ACC with CIs beside
/// the MedMNIST v2 rows, plus training throughput and wall time, all measured in this run.
/// </summary>
internal static class Program
{
    private sealed record Case(string Name, string File, string Request, int Rounds, double TrialMinutes,
        (string Method, double Auc, double Acc)[] Reference);

    // Reference rows: MedMNIST v2 (Yang et al., Scientific Data 2023), test split, as in ../shared/BENCHMARKS.md.
    private static readonly Case[] s_cases =
    [
        new("PneumoniaMNIST", "pneumoniamnist.npz", "Classify pneumonia versus normal on these paediatric chest X-rays.", 6, 1.5,
            [("ResNet-18 (28)", 0.944, 0.854), ("ResNet-50 (224)", 0.962, 0.884), ("AutoKeras", 0.947, 0.878), ("Google AutoML Vision", 0.991, 0.946)]),
        new("BreastMNIST", "breastmnist.npz", "Tell malignant from normal or benign breast ultrasound images.", 8, 1.0,
            [("ResNet-18 (28)", 0.901, 0.863), ("ResNet-50 (224)", 0.866, 0.842), ("AutoKeras", 0.871, 0.831), ("Google AutoML Vision", 0.919, 0.861)]),
    ];

    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "throughput") return Throughput.Run(args);
        if (args.Length > 0 && args[0] == "conv-paths") return ConvPaths.Run(args);
        if (args.Length > 0 && args[0] == "detection-throughput") return DetectionThroughput.Run(args);
        if (args.Length > 0 && args[0] == "detection") return DetectionBench.Run(args);
        if (args.Length > 0 && args[0] == "segmentation") return SegmentationBench.Run(args);
        if (args.Length > 0 && args[0] == "segmentation-throughput") return SegmentationThroughput.Run(args);
        if (args.Length > 0 && args[0] == "search") return Search(args);
        if (args.Length > 0 && args[0] == "pretrained") return PretrainedBench.Run(args);
        if (args.Length > 0 && args[0] == "strategies") return StrategyBench.Run(args);
        if (args.Length > 0 && args[0] == "large-set") return LargeSetBench.Run(args);
        if (args.Length > 0 && args[0] == "small-data") return SmallDataBench.Run(args);
        if (args.Length > 0 && args[0] == "refit") return RefitBench.Run(args);
        if (args.Length > 0 && args[0] == "fold-workers") return FoldWorkersBench.Run(args);
        if (args.Length > 0 && args[0] == "pretrained-throughput") return PretrainedThroughput.Run(args);
        if (args.Length > 0 && args[0] is "shortcut" or "shortcut-fixture")
        {
            var data = FindShared() ?? throw new InvalidOperationException("../shared/data not found: the shortcut benchmark needs PneumoniaMNIST.");
            return args[0] == "shortcut" ? Shortcut.Run(args, data) : Shortcut.WriteFixture(args, data);
        }
        if (args.Length == 0 || args[0] != "medmnist")
        {
            Console.Error.WriteLine("usage: dotnet run --project bench/Clinforge.Bench -- medmnist [--only NAME] [--rounds N] [--trial-minutes M]\n       dotnet run --project bench/Clinforge.Bench -- segmentation [--case drive|brain] [--starts pretrained,scratch] [--rounds N] [--trial-minutes M] [--seed S]\n       dotnet run --project bench/Clinforge.Bench -- pretrained [--only PneumoniaMNIST|BreastMNIST|bone-fracture] [--medmnist-minutes M] [--bone-minutes M] [--trial-minutes T]\n       dotnet run --project bench/Clinforge.Bench -- strategies [--trial-minutes T] [--arms scratch,head_only,partial,full] [--head-only-recipe FILE]\n       dotnet run --project bench/Clinforge.Bench -- small-data [--only BreastMNIST|PneumoniaMNIST] [--seeds N] [--images N] [--positive-share P] [--budget-minutes B] [--trial-minutes T]\n       dotnet run --project bench/Clinforge.Bench -- refit [--runs FOLDER_PREFIX]\n       dotnet run --project bench/Clinforge.Bench -- fold-workers [--seeds N] [--first-seed S] [--workers W] [--trial-minutes T]\n       dotnet run --project bench/Clinforge.Bench -- pretrained-throughput [--threads N] [--steps N]\n       dotnet run --project bench/Clinforge.Bench -- segmentation-throughput [--sizes 256,512,1024] [--tiles 256,512] [--train-batches 2,4,8] [--patch 256] [--repeats N]\n       dotnet run --project bench/Clinforge.Bench -- large-set [--images N] [--size PX] [--seconds S] [--folder DIR]\n       dotnet run --project bench/Clinforge.Bench -- throughput [THREADS]\n       dotnet run --project bench/Clinforge.Bench -- search [--only NAME] [--budget-minutes B] [--trial-minutes M]\n       dotnet run --project bench/Clinforge.Bench -- shortcut [--epochs N] [--rounds N] [--width W] [--threads T]\n       dotnet run --project bench/Clinforge.Bench -- shortcut-fixture OUT_DIR [--seed N]");
            return 2;
        }
        var shared = FindShared() ?? throw new InvalidOperationException("../shared/data/medmnist not found beside the checkout: the benchmark needs the real MedMNIST files.");
        string? only = Option(args, "--only");
        var inv = CultureInfo.InvariantCulture;
        var results = new List<string>();
        foreach (var c in s_cases.Where(c => only is null || c.Name.Equals(only, StringComparison.OrdinalIgnoreCase)))
        {
            int rounds = Option(args, "--rounds") is { } r ? int.Parse(r, inv) : c.Rounds;
            double minutes = Option(args, "--trial-minutes") is { } m ? double.Parse(m, inv) : c.TrialMinutes;
            var data = Path.Combine(shared, "medmnist", c.File);
            if (!File.Exists(data)) throw new FileNotFoundException($"benchmark data missing: {data}");
            var runDir = Path.Combine(Path.GetTempPath(), $"clinforge-bench-{c.Name.ToLowerInvariant()}-{DateTime.Now:yyyyMMddHHmmss}");
            Console.WriteLine($"== {c.Name}: {rounds} rounds x {minutes} min, run folder {runDir}");
            var clock = Stopwatch.StartNew();
            int code = RunCli(["develop", "--request", c.Request, "--data", data, "--rounds", rounds.ToString(inv),
                "--trial-minutes", minutes.ToString(inv), "--run", runDir]);
            var wall = clock.Elapsed;
            if (code != 0) throw new InvalidOperationException($"{c.Name}: clinforge develop exited with {code}");

            var run = new RunPaths(runDir);
            var e = Json.Read<FinalEvaluation>(run.Evaluation);
            var speeds = Directory.GetDirectories(run.TrialsDir).Select(d => Path.Combine(d, "metrics.json")).Where(File.Exists)
                .Select(Json.Read<TrialMetrics>).Where(m => m.Status == TrialStatus.Succeeded).Select(m => m.ImagesPerSecond).ToList();
            var lines = new List<string>
            {
                $"{c.Name} (test n={e.TestCases}; 95% bootstrap CI, {e.BootstrapResamples} resamples)",
                $"  {"method",-36} {"AUC",-24} {"ACC (0.5)",-24} {"ACC (val-chosen threshold)",-24}",
                $"  {"Clinforge initial (trial 0)",-36} {Fmt(e.Initial.Metrics["auc"]),-24} {Fmt(e.Initial.Metrics["accuracy_at_0.5"]),-24} {Fmt(e.Initial.Metrics["accuracy"]),-24}",
                $"  {"Clinforge final (trial " + e.Final.Trial + ")",-36} {Fmt(e.Final.Metrics["auc"]),-24} {Fmt(e.Final.Metrics["accuracy_at_0.5"]),-24} {Fmt(e.Final.Metrics["accuracy"]),-24}",
            };
            foreach (var (method, auc, acc) in c.Reference)
                lines.Add($"  {method + " [MedMNIST v2]",-36} {auc.ToString("0.000", inv),-24} {acc.ToString("0.000", inv),-24}");
            lines.Add($"  training throughput: {speeds.DefaultIfEmpty().Average():F0} images/s (mean over trials; min {speeds.DefaultIfEmpty().Min():F0}, max {speeds.DefaultIfEmpty().Max():F0}); wall time {wall.TotalMinutes:F1} min");
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
    /// Playbook vs random search at the same rounds and per-trial budget, and 1 vs 2 parallel trials
    /// (wall-clock compared), on the same data and seed; prints the best validation objective, the
    /// test AUC of the final model, and their ratios to the playbook's.
    /// </summary>
    /// <summary>
    /// The proposer comparison: on each dataset, the playbook, random search over the same recipe space,
    /// and the playbook with two trials at once, each given the same wall-clock budget
    /// (--budget-minutes; trials of --trial-minutes) and the same seed. Prints the best validation
    /// objective, the test AUC with its CI (one look per run), trials finished and wall time, with
    /// ratios to the playbook measured in this run.
    /// </summary>
    private static int Search(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = FindShared() ?? throw new InvalidOperationException("../shared/data not found: the benchmark needs the real MedMNIST files.");
        string? only = Option(args, "--only");
        double budget = Option(args, "--budget-minutes") is { } bm ? double.Parse(bm, inv) : 5;
        double minutes = Option(args, "--trial-minutes") is { } m ? double.Parse(m, inv) : 0.75;
        var summary = new List<string>();
        foreach (var c in s_cases.Where(x => only is null || x.Name.Equals(only, StringComparison.OrdinalIgnoreCase)))
        {
            var rows = new List<(string Name, double Val, Estimate Test, int Trials, double Wall)>();
            foreach (var (name, extra) in new[] { ("playbook, 1 at a time", new[] { "--proposer", "playbook" }), ("random search, 1 at a time", new[] { "--proposer", "random" }), ("playbook, 2 in parallel", new[] { "--proposer", "playbook", "--parallel", "2" }) })
            {
                var runDir = Path.Combine(Path.GetTempPath(), $"clinforge-search-{c.Name.ToLowerInvariant()}-{rows.Count}-{DateTime.Now:yyyyMMddHHmmss}");
                Console.WriteLine($"== {c.Name}, {name}: budget {budget} min, trials of {minutes} min -> {runDir}");
                var clock = Stopwatch.StartNew();
                // The rounds cap is never the limit: the wall-clock budget stops every arm.
                int code = RunCli(["develop", "--request", c.Request, "--data", Path.Combine(shared, "medmnist", c.File), "--rounds", "100",
                    "--budget-minutes", budget.ToString(inv), "--trial-minutes", minutes.ToString(inv), "--run", runDir, "--non-interactive", .. extra]);
                if (code != 0) throw new InvalidOperationException($"{name}: clinforge develop exited with {code}");
                var run = new RunPaths(runDir);
                var e = Json.Read<FinalEvaluation>(run.Evaluation);
                var metrics = Directory.GetDirectories(run.TrialsDir).Select(d => Path.Combine(d, "metrics.json")).Where(File.Exists)
                    .Select(Json.Read<TrialMetrics>).ToList();
                rows.Add((name, metrics.Where(x => x.Best is not null).Max(x => x.Best!.Objective), e.Final.Metrics["auc"], metrics.Count, clock.Elapsed.TotalMinutes));
            }
            var lines = new List<string>
            {
                $"{c.Name}: same wall-clock budget {budget} min per arm, trials of {minutes} min, same seed; validation objective = the spec's primary metric",
                $"  {"configuration",-28} {"trials",-7} {"best val objective",-19} {"test AUC [95% CI]",-24} {"wall min",-9} ratios to playbook (val, test AUC)",
            };
            foreach (var row in rows)
                lines.Add(string.Create(inv, $"  {row.Name,-28} {row.Trials,-7} {row.Val,-19:F4} {$"{row.Test.Value:F3} [{row.Test.Lower:F3}, {row.Test.Upper:F3}]",-24} {row.Wall,-9:F1} {row.Val / rows[0].Val:F3}, {row.Test.Value / rows[0].Test.Value:F3}"));
            lines.ForEach(Console.WriteLine);
            summary.AddRange(lines);
        }
        Console.WriteLine("\n== summary");
        summary.ForEach(Console.WriteLine);
        return 0;
    }

    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int RunCli(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "clinforge.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    internal static string? FindShared()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Clinforge.sln"))) dir = dir.Parent;
        if (dir is null) return null;
        var shared = Path.Combine(dir.FullName, "..", "shared", "data");
        return Directory.Exists(shared) ? Path.GetFullPath(shared) : null;
    }
}
