using System.Diagnostics;
using System.Globalization;
using Clinforge.Cli;
using Clinforge.Data;
using Clinforge.Evaluation;
using Clinforge.Training;

namespace Clinforge.Bench;

/// <summary>
/// `shortcut`: baseline vs shortcut-aware refinement on PneumoniaMNIST with an INJECTED drain-like
/// artifact (issue 8), printing partial correlation, false-positive share in artifact-present
/// negatives and test AUC with 95% CIs, and whether the targets are met.
/// `shortcut-fixture OUT`: writes the fixture as a CSV dataset (images, labels.csv with a partly
/// filled drain column, artifact_truth.csv, README.txt stating the injection).
/// </summary>
internal static class Shortcut
{
    public const string Request = "Classify pneumonia versus normal on these chest X-rays, but don't rely on chest drains.";

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
        int threads = Int(args, "--threads", 2);
        NativeRuntime.Initialize(threads, 17);
        var clock = Stopwatch.StartNew();
        var fixture = ShortcutFixture.Inject(DatasetReader.Open(Path.Combine(shared, "medmnist", "pneumoniamnist.npz")), new ShortcutFixtureOptions(Seed: Int(args, "--seed", 17)));
        var outDir = Path.Combine(Path.GetTempPath(), $"clinforge-bench-shortcut-{DateTime.Now:yyyyMMddHHmmss}");
        var o = new ShortcutRunOptions(outDir, Request, Epochs: Int(args, "--epochs", 12), Width: Int(args, "--width", 16), Rounds: Int(args, "--rounds", 5),
            Resamples: Int(args, "--resamples", 1000), AuxiliarySeconds: Int(args, "--aux-seconds", 60));
        Console.WriteLine($"== shortcut benchmark: {o.Epochs} epochs per trial, width {o.Width}, {o.Rounds} rounds, output {outDir}");
        var r = ShortcutPipeline.Run(fixture, o, Console.WriteLine);
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", inv);
        string Ci(double v, double lo, double hi) => $"{F(v)} [{F(lo)}, {F(hi)}]";
        Console.WriteLine();
        Console.WriteLine("== summary (test split, artifact independent of the label; 95% bootstrap CIs)");
        Console.WriteLine($"  {fixture.Describe()}");
        Console.WriteLine($"  auxiliary drain classifier: val AUC {Ci(r.Confounders.ValAuc!.Estimate, r.Confounders.ValAuc.Lower, r.Confounders.ValAuc.Upper)} on {r.Confounders.ValAnnotated} annotated images; AUC vs injected truth on test {F(r.Confounders.TruthAuc ?? double.NaN)}");
        Console.WriteLine($"  confounder-only AUC (train+val): {Ci(r.Inspection.ConfounderOnlyAuc.Estimate, r.Inspection.ConfounderOnlyAuc.Lower, r.Inspection.ConfounderOnlyAuc.Upper)}");
        Console.WriteLine($"  {"model",-10} {"recipe",-58} {"partial corr",-24} {"FP share (artifact neg.)",-26} {"test AUC",-24}");
        foreach (var m in new[] { r.Baseline, r.Refined })
        {
            var a = m.Analysis;
            Console.WriteLine($"  {m.Name,-10} {m.Recipe,-58} {Ci(a.PartialCorrelation.Value, a.PartialCorrelation.Lower, a.PartialCorrelation.Upper),-24} {Ci(m.FalsePositiveShare.Estimate, m.FalsePositiveShare.Lower, m.FalsePositiveShare.Upper),-26} {Ci(m.TestAuc.Estimate, m.TestAuc.Lower, m.TestAuc.Upper),-24}");
        }
        Console.WriteLine($"  artifact-present share of test negatives: {F(r.Baseline.Analysis.NegativeShare)}");
        var t = r.Targets;
        Console.WriteLine($"  target partial corr reduced >= 40%: {(t.PartialMet ? "MET" : "NOT MET")} ({t.PartialReduction.ToString("0%", inv)})");
        Console.WriteLine($"  target FP share at least halved:    {(t.FalsePositiveMet ? "MET" : "NOT MET")} (ratio {F(t.FalsePositiveShareRatio)})");
        Console.WriteLine($"  target AUC drop <= 0.02:            {(t.AucMet ? "MET" : "NOT MET")} (difference {Ci(t.AucDifference.Difference, t.AucDifference.DifferenceInterval.Lower, t.AucDifference.DifferenceInterval.Upper)}, p = {F(t.AucDifference.PValue)})");
        Console.WriteLine($"  rounds: {string.Join("; ", r.Rounds.Skip(1).Select(x => $"{x.Change} → {(x.Kept ? "kept" : "discarded")}{(x.TradeOff ? " (trade-off)" : "")}"))}");
        Console.WriteLine($"  wall time {clock.Elapsed.TotalMinutes:F1} min; {r.Environment}; report {Path.Combine(outDir, "shortcut_report.md")}");
        return 0;
    }

    private static int Int(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
