using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Bench;

/// <summary>
/// Each fine-tuning strategy trained to the end at equal time, side by side in one run, on the real-size
/// task of the transfer-learning benchmark: "is there a fracture in this radiograph?" on bone-fracture
/// (validation drawn from <c>train/</c> by source radiograph, the official <c>val/</c> as the sealed test).
/// Four arms of <c>clinforge develop --rounds 0</c>, one trial each with the same training time: from
/// scratch (the initializer's small ResNet), and the pretrained ResNet-18 as a linear head on frozen
/// features (the initializer's plan), partially fine-tuned (stages 1–3 frozen, the last stage trains) and
/// fully fine-tuned (every stage, discriminative learning rates, a warm-up epoch). The last two are the
/// head-only arm's recipe with only the strategy changed, given with <c>--recipe</c>. Frozen-stage outputs
/// computed for a run are not charged to its trial's training time (the trial's deadline moves), so the
/// wall times differ by that one-time work, which the table shows.
/// </summary>
internal static class StrategyBench
{
    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = Program.FindShared() ?? throw new InvalidOperationException("../shared/data not found beside the checkout: this benchmark needs bone-fracture.");
        double minutes = Program.Option(args, "--trial-minutes") is { } tm ? double.Parse(tm, inv) : 8;
        // --arms to run some of them again; --head-only-recipe names an earlier head-only arm's recipe.json when that arm is not among them.
        var arms = (Program.Option(args, "--arms") ?? "scratch,head_only,partial,full").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var root = Path.Combine(shared, "bone-fracture");
        var csv = PretrainedBench.WriteBoneFractureCsv(root);
        const string request = "Is there a fracture in this radiograph? Tell fracture from no fracture.";
        var stamp = DateTime.Now.ToString("yyyyMMddHHmmss", inv);
        var rows = new List<string>();
        string? headOnlyRecipe = Program.Option(args, "--head-only-recipe");
        foreach (var arm in arms)
        {
            var runDir = Path.Combine(Path.GetTempPath(), $"clinforge-strategies-{arm}-{stamp}");
            var extra = new List<string>();
            if (arm is "scratch") extra.AddRange(["--start", "scratch"]);
            else if (arm is "head_only") extra.AddRange(["--start", "pretrained"]);
            else extra.AddRange(["--recipe", WriteVariant(headOnlyRecipe ?? throw new InvalidOperationException($"{arm} is the head-only arm's recipe with another strategy: run head_only first or give --head-only-recipe"), arm, runDir + ".recipe.json")]);
            Console.WriteLine($"== {arm}: one trial of {minutes} min -> {runDir}");
            var clock = Stopwatch.StartNew();
            int code = Program.RunCli(["develop", "--request", request, "--data", csv, "--rounds", "0", "--trial-minutes", minutes.ToString(inv),
                "--run", runDir, "--non-interactive", "--allow-root", root, .. extra]);
            if (code != 0) throw new InvalidOperationException($"{arm}: clinforge develop exited with {code}");
            double wall = clock.Elapsed.TotalMinutes;
            var run = new RunPaths(runDir);
            if (arm is "head_only") headOnlyRecipe = run.Trial(0).Recipe;
            var e = Json.Read<FinalEvaluation>(run.Evaluation);
            var m = Json.Read<TrialMetrics>(run.Trial(0).Metrics);
            var r = Json.Read<Recipe>(run.Trial(0).Recipe);
            var auc = e.Final.Metrics["auc"];
            var acc = e.Final.Metrics.TryGetValue("accuracy_at_0.5", out var a) ? a : null;
            var oneTime = m.PreparedSeconds > 0 ? string.Create(inv, $"{m.PreparedSeconds:F0} s") : "-";
            rows.Add(string.Create(inv, $"  {arm,-10} {r.Input.Size,4} px  {Fmt(auc),-24} {(acc is null ? "n/a" : Fmt(acc)),-24} {m.Best?.Objective,8:F4} {m.Epochs,6} {m.TrainSeconds / 60,7:F1} {m.ImagesPerSecond,8:F0} {oneTime,10} {wall,7:F1}"));
            Console.WriteLine(rows[^1]);
        }
        Console.WriteLine($"\n== summary: bone-fracture, one trial per strategy of {minutes} min of training each, seed 17; test = official val/, 95% bootstrap CIs");
        Console.WriteLine($"  {"strategy",-10} {"size",7}  {"test AUC [95% CI]",-24} {"test ACC at 0.5",-24} {"val AUC",8} {"epochs",6} {"train m",7} {"img/s",8} {"one-time",10} {"wall m",7}");
        rows.ForEach(Console.WriteLine);
        return 0;

        string Fmt(Estimate x) => string.Create(inv, $"{x.Value:F3} [{x.Lower:F3}, {x.Upper:F3}]");
    }

    /// <summary>The head-only arm's recipe with only the fine-tuning strategy changed (as the playbook's moves change it), written to <paramref name="path"/>.</summary>
    private static string WriteVariant(string headOnly, string strategy, string path)
    {
        var r = Json.Read<Recipe>(headOnly);
        var ft = r.FineTune ?? new FineTuneSpec();
        var variant = strategy switch
        {
            // The playbook's head_only_to_fine_tune: the last stage trains, at 0.1× the head's rate, one warm-up epoch.
            "partial" => r with { FineTune = ft with { Strategy = "partial", FrozenStages = 3 }, Optimizer = r.Optimizer with { WarmupEpochs = 1 }, MaxEpochs = 100 },
            // Every stage trains: the last at 0.3× the head's rate and 0.8× per earlier stage (the thumbnails' plan), one view, one warm-up epoch.
            "full" => r with { FineTune = new FineTuneSpec("full", FrozenStages: 1, BackboneLrScale: 0.3, LayerDecay: 0.8, Views: 1), Optimizer = r.Optimizer with { WarmupEpochs = 1 }, MaxEpochs = 100 },
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "partial or full"),
        };
        // As the playbook plans it: a step that reaches the stem at 224 px runs at batch 16.
        variant = Clinforge.Development.ClassificationInitializer.WithEarlyStagesBatch(variant);
        File.WriteAllText(path, Json.Serialize(variant with { Origins = new Dictionary<string, string>(variant.Origins) { ["fine_tune"] = $"{strategy} fine-tuning for the strategy benchmark (the head-only arm's recipe otherwise)" } }));
        return path;
    }
}
