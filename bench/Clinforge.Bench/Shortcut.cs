using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;
using Clinforge.Reporting;

namespace Clinforge.Bench;

/// <summary>
/// `shortcut`: the shortcut benchmark through the product path. It writes the PneumoniaMNIST fixture with
/// an INJECTED drain-like artifact, runs <c>clinforge develop</c> on it with the issue's request (the
/// confounder comes from the words, its labels from the partly filled column and the auxiliary
/// classifier), then reads final/confound.json and prints baseline (trial 0) vs refined: partial
/// correlation with the artifact probability, false-positive share in artifact-present negatives and
/// test AUC, all with 95% CIs, the same two models against the injected truth, and the targets.
/// `shortcut-fixture OUT`: writes the fixture only (images, labels.csv, artifact_truth.csv, README.txt).
/// </summary>
internal static class Shortcut
{
    /// <summary>The issue's seed request in its own wording.</summary>
    public const string Request = "Classify pneumonia on these chest X-rays, but don't let the model rely on chest drains.";

    public static int WriteFixture(string[] args, string shared)
    {
        if (args.Length < 2) { Console.Error.WriteLine("usage: ... shortcut-fixture OUT_DIR [--seed N]"); return 2; }
        var f = ShortcutFixture.Inject(DatasetReader.Open(Path.Combine(shared, "medmnist", "pneumoniamnist.npz")), new ShortcutFixtureOptions(Seed: Int(args, "--seed", 17)));
        var root = f.WriteFolder(args[1]);
        Console.WriteLine(f.Describe());
        Console.WriteLine($"written to {root} ({f.Cases.Count} images)");
        return 0;
    }

    public static int Run(string[] args, string shared)
    {
        var inv = CultureInfo.InvariantCulture;
        var clock = Stopwatch.StartNew();
        int rounds = Int(args, "--rounds", 4), seed = Int(args, "--seed", 17);
        double minutes = Program.Option(args, "--trial-minutes") is { } m ? double.Parse(m, inv) : 1.0;
        var outDir = Path.Combine(Path.GetTempPath(), $"clinforge-bench-shortcut-{DateTime.Now:yyyyMMddHHmmss}");
        var fixture = ShortcutFixture.Inject(DatasetReader.Open(Path.Combine(shared, "medmnist", "pneumoniamnist.npz")), new ShortcutFixtureOptions(Seed: seed));
        var data = fixture.WriteFolder(Path.Combine(outDir, "fixture"));
        var runDir = Path.Combine(outDir, "run");
        Console.WriteLine($"== shortcut benchmark through `clinforge develop`: {rounds} rounds x {minutes.ToString(inv)} min, fixture {data}, run {runDir}");
        Console.WriteLine($"   {fixture.Describe()}");
        int code = Program.RunCli(["develop", "--request", Request, "--data", Path.Combine(data, "labels.csv"), "--rounds", rounds.ToString(inv),
            "--trial-minutes", minutes.ToString(inv), "--run", runDir, "--seed", seed.ToString(inv)]);
        if (code != 0) throw new InvalidOperationException($"clinforge develop exited with {code}");

        var run = new RunPaths(runDir);
        if (!File.Exists(run.Confound)) throw new InvalidOperationException($"{run.Confound} missing: the run did not write the confound analysis.");
        var report = Json.Read<ConfoundReport>(run.Confound);
        var s = report.Shortcut ?? throw new InvalidOperationException($"{run.Confound}: no debiasing section; the request's confounder did not reach the run.");
        var evaluation = Json.Read<FinalEvaluation>(run.Evaluation);
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", inv);
        string Ci(double v, double lo, double hi) => $"{F(v)} [{F(lo)}, {F(hi)}]";

        Console.WriteLine();
        Console.WriteLine("== summary (test split, looked at once; tube independent of the label there; 95% bootstrap CIs)");
        Console.WriteLine($"  {s.Injected}");
        if (s.Auxiliary is { } a)
            Console.WriteLine($"  auxiliary drain classifier: val AUC {Ci(a.ValAuc, a.ValAucLower, a.ValAucUpper)} on {a.ValImages} annotated images (trained on {a.TrainImages})");
        Console.WriteLine($"  drains alone predict the label (train+val): AUC {Ci(report.ConfounderOnlyAuc, report.ConfounderOnlyAucLower, report.ConfounderOnlyAucUpper)}");
        Console.WriteLine($"  {"model",-16} {"debiasing",-44} {"test AUC",-22} {"partial corr (drain prob.)",-28} {"FP share with drain",-24}");
        foreach (var r in s.Models)
            Console.WriteLine($"  {r.Model + " (t" + r.Trial + ")",-16} {r.Debias,-44} {Ci(r.TestAuc, r.TestAucLower, r.TestAucUpper),-22} {Ci(r.PartialCorrelation, r.PartialLower, r.PartialUpper),-28} {Ci(r.FalsePositiveShare, r.FalsePositiveShareLower, r.FalsePositiveShareUpper) + $" of {r.FalsePositives}",-24}");
        Console.WriteLine($"  share of test negatives carrying a drain (by the auxiliary classifier): {F(s.Models[0].NegativeShare)} — a model that ignores drains shows about this FP share");

        // The same two models against the injected truth (the bench knows it; the product does not).
        var truth = File.ReadLines(Path.Combine(data, "artifact_truth.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => c[0], c => c[3] == "1" ? 1.0 : 0.0, StringComparer.Ordinal);
        int positive = Json.Read<DataCard>(run.DataCard).Classes.ToList().IndexOf(evaluation.PositiveClass);
        foreach (var (name, path, threshold) in new[] { ("baseline", run.InitialTestPredictions, evaluation.Initial.Threshold), ("refined", run.TestPredictions, evaluation.Final.Threshold) })
        {
            if (!File.Exists(path)) continue;
            var t = PredictionTable.Read(path);
            var rows = Enumerable.Range(0, t.Ids.Count).Where(i => truth.ContainsKey(t.Ids[i])).ToArray();
            var an = Confound.Analyze(rows.Select(i => t.Labels[i] == positive ? 1 : 0).ToArray(), rows.Select(i => t.Probabilities[i][positive]).ToArray(),
                rows.Select(i => truth[t.Ids[i]]).ToArray(), ConfoundCheckResamples, seed, threshold);
            Console.WriteLine($"  vs injected truth, {name,-8}: partial corr {Ci(an.PartialCorrelation.Value, an.PartialCorrelation.Lower, an.PartialCorrelation.Upper)}, FP share {Ci(an.FalsePositiveShare, an.FalsePositiveShareLower, an.FalsePositiveShareUpper)} of {an.FalsePositives} (negatives with a tube {F(an.NegativeShare)}) on {rows.Length} images");
        }

        if (ShortcutTargets.Evaluate(s) is { } g)
        {
            Console.WriteLine($"  target |partial corr| reduced >= 40%: {(g.PartialMet ? "MET" : "NOT MET")} ({g.PartialReduction.ToString("0%", inv)})");
            Console.WriteLine($"  target FP share at least halved:     {(g.FalsePositiveMet ? "MET" : "NOT MET")} (ratio {F(g.FalsePositiveShareRatio)})");
            Console.WriteLine($"  target AUC drop <= 0.02:             {(g.AucMet ? "MET" : "NOT MET")} (refined − baseline {Ci(g.AucDifference.Difference, g.AucDifference.Lower, g.AucDifference.Upper)}, p = {F(g.AucDifference.PValue)})");
        }
        else Console.WriteLine("  targets: no debiasing change was kept, so the refined model is the baseline (nothing to compare)");
        Console.WriteLine($"  verdict (report): {s.Verdict}");
        Console.WriteLine($"  wall time {clock.Elapsed.TotalMinutes:F1} min; {Environment.ProcessorCount} CPU cores; report {Path.Combine(run.ReportDir, "report.md")}; `clinforge explain --run {runDir}` tells the rounds");
        return 0;
    }

    private const int ConfoundCheckResamples = 1000;

    private static int Int(string[] args, string name, int fallback) =>
        Program.Option(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
