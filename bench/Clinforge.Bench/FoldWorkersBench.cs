using System.Globalization;
using System.Text.RegularExpressions;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;

namespace Clinforge.Bench;

/// <summary>
/// Folds one after another against folds side by side, in one run: on the small-data bench's
/// clinician-size pools (BreastMNIST, 200 images, 20% malignant), the initial trial of a
/// <c>--protocol folds</c> run is trained with <c>--fold-workers 1</c> (the folds in turn, all cores
/// each) and <c>--fold-workers W</c> (W child processes, the cores split), from scratch and from the
/// pretrained backbone, at the same trial budget. Prints per arm the epochs all folds trained, the
/// training images seen per second of the trial's wall time, the trial's wall time, the pooled
/// out-of-fold objective and the initial model's test AUC, and the ratios side by side / in turn.
/// </summary>
internal static partial class FoldWorkersBench
{
    private sealed record Arm(string Start, int Workers, int Seed, int Epochs, double ImagesTrained, double TrialSeconds, double OutOfFold, Estimate TestAuc);

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var shared = Program.FindShared() ?? throw new InvalidOperationException("../shared/data not found beside the checkout: this benchmark needs the real MedMNIST files.");
        int seeds = Program.Option(args, "--seeds") is { } s ? int.Parse(s, inv) : 2;
        int firstSeed = Program.Option(args, "--first-seed") is { } fs ? int.Parse(fs, inv) : 1;
        int workers = Program.Option(args, "--workers") is { } w ? int.Parse(w, inv) : Environment.ProcessorCount;
        double trialMinutes = Program.Option(args, "--trial-minutes") is { } t ? double.Parse(t, inv) : 1;
        var c = SmallDataBench.Cases[0];
        var source = DatasetReader.Open(Path.Combine(shared, "medmnist", c.File));
        var arms = new List<Arm>();
        foreach (var start in new[] { "scratch", "pretrained" })
        {
            for (int seed = firstSeed; seed < firstSeed + seeds; seed++)
            {
                var csv = SmallDataBench.WriteSubsample(source, c, seed, 200, 0.2);
                foreach (var n in new[] { 1, workers })
                {
                    var runDir = Path.Combine(Path.GetTempPath(), $"clinforge-foldworkers-{start}-s{seed}-w{n}-{DateTime.Now:yyyyMMddHHmmss}");
                    Console.WriteLine($"== {c.Name}, --start {start}, seed {seed}, --fold-workers {n}: initial trial of {trialMinutes} min -> {runDir}");
                    int code = Program.RunCli(["develop", "--request", c.Request, "--data", csv, "--rounds", "0", "--protocol", "folds", "--start", start,
                        "--seed", seed.ToString(inv), "--trial-minutes", trialMinutes.ToString(inv), "--fold-workers", n.ToString(inv), "--run", runDir, "--non-interactive"]);
                    if (code != 0) throw new InvalidOperationException($"--start {start} seed {seed} --fold-workers {n}: clinforge develop exited with {code}");
                    var arm = Read(new RunPaths(runDir), start, n, seed);
                    Console.WriteLine(Row(arm));
                    arms.Add(arm);
                }
            }
        }
        var lines = new List<string>
        {
            string.Create(inv, $"{c.Name}: pools of 200 images (20% malignant), 5-fold cross-validation, the initial trial only ({trialMinutes} min budget), {Environment.ProcessorCount} cores; test = the official test split"),
            $"  {"start",-10} {"workers",-7} {"seed",-4} {"fold epochs",-11} {"images/s",-9} {"trial s",-8} {"out-of-fold",-11} test AUC [95% CI]",
        };
        lines.AddRange(arms.Select(Row));
        foreach (var start in new[] { "scratch", "pretrained" })
        {
            var one = arms.Where(a => a.Start == start && a.Workers == 1).ToList();
            var many = arms.Where(a => a.Start == start && a.Workers == workers).ToList();
            lines.Add(string.Create(inv, $"  {start}: ratio {workers} side by side / 1 in turn: training images per second {many.Average(Speed) / one.Average(Speed):F2}, " +
                $"fold epochs {many.Average(a => a.Epochs) / one.Average(a => a.Epochs):F2}, trial wall {many.Average(a => a.TrialSeconds) / one.Average(a => a.TrialSeconds):F2}; " +
                $"mean out-of-fold objective {one.Average(a => a.OutOfFold):F3} vs {many.Average(a => a.OutOfFold):F3}, mean test AUC {one.Average(a => a.TestAuc.Value):F3} vs {many.Average(a => a.TestAuc.Value):F3}"));
        }
        Console.WriteLine("\n== summary");
        lines.ForEach(Console.WriteLine);
        return 0;
    }

    private static double Speed(Arm a) => a.ImagesTrained / a.TrialSeconds;

    private static string Row(Arm a) => string.Create(CultureInfo.InvariantCulture,
        $"  {a.Start,-10} {a.Workers,-7} {a.Seed,-4} {a.Epochs,-11} {Speed(a),-9:F0} {a.TrialSeconds,-8:F0} {a.OutOfFold,-11:F3} {a.TestAuc.Value:F3} [{a.TestAuc.Lower:F3}, {a.TestAuc.Upper:F3}]");

    private static Arm Read(RunPaths run, string start, int workers, int seed)
    {
        var trial = run.Trial(0);
        var metrics = Json.Read<TrialMetrics>(trial.Metrics);
        if (metrics.Status != TrialStatus.Succeeded) throw new InvalidOperationException($"{trial.Root}: the initial trial did not succeed: {metrics.Error}");
        int k = metrics.FoldObjectives!.Count;
        int pool = PredictionTable.Read(trial.ValPredictions).Ids.Count;
        double images = 0;
        int epochs = 0;
        for (int f = 0; f < k; f++)
        {
            var fold = trial.Fold(f);
            int heldOut = PredictionTable.Read(fold.ValPredictions).Ids.Count;
            var m = Json.Read<TrialMetrics>(fold.Metrics);
            epochs += m.Epochs;
            images += (double)m.Epochs * (pool - heldOut);
        }
        // The trial's wall time: from its log's first line to its last (the child process's own start-up included).
        var stamps = File.ReadLines(trial.Log).Select(l => Stamp().Match(l)).Where(x => x.Success)
            .Select(x => TimeSpan.ParseExact(x.Groups[1].Value, @"hh\:mm\:ss", CultureInfo.InvariantCulture)).ToList();
        double seconds = (stamps[^1] - stamps[0]).TotalSeconds;
        if (seconds < 0) seconds += 86400;
        var e = Json.Read<FinalEvaluation>(run.Evaluation);
        return new Arm(start, workers, seed, epochs, images, Math.Max(1, seconds), metrics.Best!.Objective, e.Initial.Metrics["auc"]);
    }

    [GeneratedRegex(@"^\[(\d\d:\d\d:\d\d)\]")]
    private static partial Regex Stamp();
}
