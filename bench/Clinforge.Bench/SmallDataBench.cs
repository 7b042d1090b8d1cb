using System.Diagnostics;
using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Bench;

/// <summary>
/// Development protocols on clinician-size data, side by side in one run: for each public set and seed,
/// the official train and val parts are subsampled to a small development pool (default 200 images, 20%
/// of the class that matters), the official test part is kept as the sealed test split, and one request
/// with an explicit sensitivity floor runs twice with the same seed and wall-clock budget — once with
/// <c>--protocol holdout</c> (validation drawn from the pool) and once with <c>--protocol folds</c>
/// (5-fold cross-validation over the pool). Prints per seed and on average: the final model's test AUC,
/// its test sensitivity and specificity at the threshold the run chose, whether the floor held on test,
/// how often the run's kept/discarded decisions agree with what the test split would have said, and
/// wall time.
/// </summary>
/// <remarks>
/// The decision check scores every finished trial's model on the test split — something a product run
/// never does (its test split is looked at once, for the initial and final models only). A decision
/// "agrees" when a kept trial is better on test than the best trial it replaced, or a discarded trial is
/// not better, judged on the run's own objective computed on the test images.
/// </remarks>
internal static class SmallDataBench
{
    internal sealed record Case(string Name, string File, string Request, int PositiveLabel, string[] ClassNames);

    internal static readonly Case[] Cases =
    [
        new("BreastMNIST", "breastmnist.npz", "Tell malignant from normal or benign breast ultrasound images; I need a sensitivity of at least 90% for malignant.",
            0, ["malignant", "normal_or_benign"]),
        new("PneumoniaMNIST", "pneumoniamnist.npz", "Classify pneumonia versus normal on these paediatric chest X-rays; I need a sensitivity of at least 90% for pneumonia.",
            1, ["normal", "pneumonia"]),
    ];

    private sealed record Arm(string Protocol, int Seed, int Trials, int Kept, int FinalTrial, Estimate Auc, Estimate Sensitivity, Estimate Specificity,
        Estimate? ExpectedSensitivity, int Agree, int Decisions, double Wall, string Chosen);

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = Program.FindShared() ?? throw new InvalidOperationException("../shared/data not found beside the checkout: this benchmark needs the real MedMNIST files.");
        string? only = Program.Option(args, "--only");
        int seeds = Program.Option(args, "--seeds") is { } s ? int.Parse(s, inv) : 5;
        int images = Program.Option(args, "--images") is { } n ? int.Parse(n, inv) : 200;
        double positives = Program.Option(args, "--positive-share") is { } p ? double.Parse(p, inv) : 0.2;
        double budget = Program.Option(args, "--budget-minutes") is { } b ? double.Parse(b, inv) : 3;
        double trialMinutes = Program.Option(args, "--trial-minutes") is { } t ? double.Parse(t, inv) : 1;
        const double floor = 0.9;
        var summary = new List<string>();
        foreach (var c in Cases.Where(x => only is null || x.Name.Equals(only, StringComparison.OrdinalIgnoreCase)))
        {
            var source = DatasetReader.Open(Path.Combine(shared, "medmnist", c.File));
            var arms = new List<Arm>();
            for (int seed = 1; seed <= seeds; seed++)
            {
                var csv = WriteSubsample(source, c, seed, images, positives);
                foreach (var protocol in new[] { "holdout", "folds" })
                {
                    var runDir = Path.Combine(Path.GetTempPath(), $"clinforge-small-{c.Name.ToLowerInvariant()}-s{seed}-{protocol}-{DateTime.Now:yyyyMMddHHmmss}");
                    Console.WriteLine($"== {c.Name}, seed {seed}, --protocol {protocol}: budget {budget} min, trials of up to {trialMinutes} min -> {runDir}");
                    var clock = Stopwatch.StartNew();
                    // The rounds cap is never the limit: the wall-clock budget stops both arms.
                    int code = Program.RunCli(["develop", "--request", c.Request, "--data", csv, "--rounds", "100", "--protocol", protocol,
                        "--seed", seed.ToString(inv), "--budget-minutes", budget.ToString(inv), "--trial-minutes", trialMinutes.ToString(inv),
                        "--run", runDir, "--non-interactive"]);
                    if (code != 0) throw new InvalidOperationException($"{c.Name} seed {seed} --protocol {protocol}: clinforge develop exited with {code}");
                    var arm = Read(new RunPaths(runDir), csv, protocol, seed, clock.Elapsed.TotalMinutes);
                    Console.WriteLine(Row(arm));
                    arms.Add(arm);
                }
            }
            var test = source.Items.Where(i => source.OfficialSplit![i.Id] == SplitNames.Test).ToList();
            var lines = new List<string>
            {
                string.Create(inv, $"{c.Name}: development pool of {images} images ({positives:P0} {c.ClassNames[c.PositiveLabel]}) drawn from the official train+val per seed; " +
                    $"test = the official test split ({test.Count} images, {test.Count(i => i.Label == c.PositiveLabel)} {c.ClassNames[c.PositiveLabel]}); " +
                    $"request with a sensitivity floor of {floor:P0}; each arm {budget} min, trials ≤ {trialMinutes} min; 95% bootstrap CIs"),
                $"  {"protocol",-8} {"seed",-4} {"trials",-6} {"kept",-4} {"final",-5} {"test AUC [95% CI]",-22} {"test sens [95% CI]",-22} {"floor",-5} {"test spec [95% CI]",-22} {"expected sens (dev)",-22} {"decisions = test",-16} {"wall",-5} chosen",
            };
            lines.AddRange(arms.Select(Row));
            foreach (var protocol in new[] { "holdout", "folds" })
            {
                var mine = arms.Where(a => a.Protocol == protocol).ToList();
                int met = mine.Count(a => a.Sensitivity.Value >= floor);
                int agree = mine.Sum(a => a.Agree), decided = mine.Sum(a => a.Decisions);
                lines.Add(string.Create(inv, $"  {protocol}: mean test AUC {mine.Average(a => a.Auc.Value):F3}, floor met on test in {met} of {mine.Count} seeds " +
                    $"(mean test sensitivity {mine.Average(a => a.Sensitivity.Value):F3}, specificity {mine.Average(a => a.Specificity.Value):F3}), " +
                    $"decisions agreeing with test {agree} of {decided}{(decided > 0 ? $" ({(double)agree / decided:P0})" : "")}, mean trials {mine.Average(a => a.Trials):F1}, mean wall {mine.Average(a => a.Wall):F1} min"));
            }
            var h = arms.Where(a => a.Protocol == "holdout").ToList();
            var f = arms.Where(a => a.Protocol == "folds").ToList();
            lines.Add(string.Create(inv, $"  ratio folds / holdout: mean test AUC {f.Average(a => a.Auc.Value) / h.Average(a => a.Auc.Value):F3}, mean wall {f.Average(a => a.Wall) / h.Average(a => a.Wall):F2}"));
            lines.ForEach(Console.WriteLine);
            summary.AddRange(lines);
        }
        Console.WriteLine("\n== summary");
        summary.ForEach(Console.WriteLine);
        return 0;
    }

    private static string Row(Arm a)
    {
        var inv = CultureInfo.InvariantCulture;
        string Fmt(Estimate x) => string.Create(inv, $"{x.Value:F3} [{x.Lower:F3}, {x.Upper:F3}]");
        return string.Create(inv, $"  {a.Protocol,-8} {a.Seed,-4} {a.Trials,-6} {a.Kept,-4} {a.FinalTrial,-5} {Fmt(a.Auc),-22} {Fmt(a.Sensitivity),-22} {(a.Sensitivity.Value >= 0.9 ? "met" : "MISS"),-5} {Fmt(a.Specificity),-22} " +
            $"{(a.ExpectedSensitivity is { } e ? Fmt(e) : "n/a"),-22} {$"{a.Agree}/{a.Decisions}",-16} {a.Wall,-5:F1} {a.Chosen}");
    }

    /// <summary>
    /// A clinician-size folder: <paramref name="images"/> PNGs drawn without replacement from the official
    /// train and val parts (the positive share fixed), plus every official test image, listed in
    /// labels.csv with a split column (train or test; validation or folds are the run's to draw).
    /// </summary>
    internal static string WriteSubsample(Dataset source, Case c, int seed, int images, double positiveShare)
    {
        var root = Path.Combine(Path.GetTempPath(), $"clinforge-small-data-{c.Name.ToLowerInvariant()}-n{images}-s{seed}");
        var csvPath = Path.Combine(root, "labels.csv");
        if (File.Exists(csvPath)) return csvPath;
        Directory.CreateDirectory(Path.Combine(root, "images"));
        var rng = new Random(seed);
        var pool = source.Items.Where(i => source.OfficialSplit![i.Id] != SplitNames.Test).ToList();
        int wantPositive = (int)Math.Round(images * positiveShare);
        var chosen = pool.Where(i => i.Label == c.PositiveLabel).OrderBy(_ => rng.Next()).Take(wantPositive)
            .Concat(pool.Where(i => i.Label != c.PositiveLabel).OrderBy(_ => rng.Next()).Take(images - wantPositive)).ToList();
        var test = source.Items.Where(i => source.OfficialSplit![i.Id] == SplitNames.Test).ToList();
        var csv = new StringBuilder("file,label,split\n");
        foreach (var (item, split) in chosen.Select(i => (i, "train")).Concat(test.Select(i => (i, "test"))))
        {
            var file = $"images/{item.Id.Replace('/', '_')}.png";
            var raw = source.Load(item);
            if (raw.Channels == 1)
            {
                using var image = Image.LoadPixelData<L8>(raw.Pixels, raw.Width, raw.Height);
                image.SaveAsPng(Path.Combine(root, file));
            }
            else
            {
                using var image = Image.LoadPixelData<Rgb24>(raw.Pixels, raw.Width, raw.Height);
                image.SaveAsPng(Path.Combine(root, file));
            }
            csv.Append(CultureInfo.InvariantCulture, $"{file},{c.ClassNames[item.Label]},{split}\n");
        }
        // The list last: its presence marks the folder complete.
        File.WriteAllText(csvPath, csv.ToString());
        return csvPath;
    }

    private static Arm Read(RunPaths run, string csv, string protocol, int seed, double wall)
    {
        var e = Json.Read<FinalEvaluation>(run.Evaluation);
        List<TrialRecord> trials;
        using (var journal = new Journal(run.Journal)) trials = [.. journal.Trials().OrderBy(t => t.Number)];
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        var card = Json.Read<DataCard>(run.DataCard);
        var objective = Objective.From(spec);
        int positive = spec.ReportedClassIndex(card.Classes);

        // Bench only: every finished trial scored on the test split, to see whether the run's decisions were right.
        var ds = DatasetReader.Open(csv);
        var test = ds.Items.Where(i => ds.OfficialSplit![i.Id] == SplitNames.Test).ToList();
        var labels = test.Select(i => i.Label).ToArray();
        var scorer = new TorchModelScorer(ds);
        var onTest = new Dictionary<int, double>();
        foreach (var t in trials.Where(t => File.Exists(run.Trial(t.Number).Model)))
        {
            var metrics = Json.Read<TrialMetrics>(run.Trial(t.Number).Metrics);
            if (metrics.Status != TrialStatus.Succeeded) continue;
            onTest[t.Number] = ObjectiveEvaluator.Evaluate(objective, labels, scorer.Predict(run.Trial(t.Number), test), positive).Objective;
        }
        int agree = 0, decisions = 0, best = 0;
        foreach (var t in trials.Where(t => t.Number > 0 && onTest.ContainsKey(t.Number)))
        {
            if (!onTest.ContainsKey(best)) break;
            bool testBetter = onTest[t.Number] > onTest[best];
            decisions++;
            if (testBetter == t.Accepted) agree++;
            if (t.Accepted) best = t.Number;
        }
        var chosen = Json.Read<Recipe>(run.Trial(e.Final.Trial).Recipe);
        string strategy = chosen.FineTune is { } ft ? $"{ft.Strategy}{(ft.Strategy == "partial" ? $" ({ft.FrozenStages} frozen)" : "")}" : $"{chosen.Model.Name} w{chosen.Model.Width}";
        return new Arm(protocol, seed, trials.Count, trials.Count(t => t.Number > 0 && t.Accepted), e.Final.Trial, e.Final.Metrics["auc"],
            e.Final.Metrics["sensitivity"], e.Final.Metrics["specificity"], e.Final.Expected?.GetValueOrDefault("sensitivity"), agree, decisions, wall,
            $"{strategy} at {chosen.Input.Size} px");
    }
}
