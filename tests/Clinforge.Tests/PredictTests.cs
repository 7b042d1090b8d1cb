using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Reporting;

namespace Clinforge.Tests;

/// <summary>The model package and <c>clinforge predict</c>, run as a user runs them (real processes, real files).</summary>
public sealed class PredictTests
{
    /// <summary>A finished run (initial trial only, test look, package) on generated lesion images, as a user makes it with the CLI.</summary>
    private static (string Data, string RunDir) ShortRun(TempDir tmp, int count, int seed, double positiveShare, string trialMinutes)
    {
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: count, seed: seed, positiveShare: positiveShare, size: 16);
        var runDir = tmp.Combine("run");
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop",
            "--request", "Tell melanoma from nevus.", "--data", data, "--rounds", "0", "--trial-minutes", trialMinutes, "--run", runDir, "--threads", "1");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return (data, runDir);
    }

    [Fact]
    public void Should_ReproduceTestPredictions_When_PredictingTheTestImagesWithThePackage()
    {
        // Given a finished run on generated lesion images
        using var tmp = new TempDir();
        var (data, runDir) = ShortRun(tmp, count: 80, seed: 5, positiveShare: 0.4, trialMinutes: "0.1");
        int code; string stdout, stderr;
        var run = new RunPaths(runDir);

        // Then the package holds weights, recipe, preprocessing, spec and the operating point of evaluation.json
        var manifest = ModelPackage.ReadManifest(run.PackageDir);
        var evaluation = Json.Read<FinalEvaluation>(run.Evaluation);
        Assert.Equal(evaluation.Final.Trial, manifest.Trial);
        Assert.Equal(evaluation.Final.Threshold, manifest.Threshold);
        Assert.Equal("melanoma_like", manifest.PositiveClass);
        foreach (var f in new[] { "model.bin", "recipe.json", "preprocessing.json", "task_spec.json" })
            Assert.True(File.Exists(Path.Combine(run.PackageDir, f)), f);
        Assert.True(File.Exists(Path.Combine(run.ReportDir, "report.html")));
        Assert.True(File.Exists(Path.Combine(run.ReportDir, "model_card.md")));

        // When the test images are scored with the package, in the order of final/test_predictions.csv
        var expected = PredictionTable.Read(run.TestPredictions);
        var files = expected.Ids.Select(id => Path.Combine(data, id)).ToArray();
        var outDir = tmp.Combine("out");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), ["predict", run.PackageDir, .. files, "--out", outDir, "--threads", "1"]);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");

        // Then every probability equals the final evaluation's, and the decision follows the threshold
        var rows = File.ReadAllLines(Path.Combine(outDir, "predictions.csv"));
        Assert.Equal($"path,p_{manifest.Classes[0]},p_{manifest.Classes[1]},decision", rows[0]);
        Assert.Equal(files.Length + 1, rows.Length);
        int positive = manifest.Classes.ToList().IndexOf("melanoma_like");
        for (int i = 0; i < files.Length; i++)
        {
            var cells = rows[i + 1].Split(',');
            Assert.Equal(files[i], cells[0]);
            for (int c = 0; c < 2; c++)
                Assert.Equal(expected.Probabilities[i][c], double.Parse(cells[1 + c], CultureInfo.InvariantCulture)); // bit for bit: same decoder, preprocessing, batch
            var decision = expected.Probabilities[i][positive] >= manifest.Threshold ? "melanoma_like" : manifest.Classes[1 - positive];
            Assert.Equal(decision, cells[3]);
        }

        // When the same test images, copied into a class-per-folder tree, are evaluated externally with the package
        var external = tmp.Combine("external");
        foreach (var id in expected.Ids)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(external, id))!);
            File.Copy(Path.Combine(data, id), Path.Combine(external, id));
        }
        var evalDir = tmp.Combine("eval");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "evaluate", run.PackageDir, external, "--out", evalDir, "--threads", "1");

        // Then every point estimate equals the run's own test look (same images, same packaged threshold), each with a CI
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var ext = Json.Read<Clinforge.Cli.ExternalEvaluation>(Path.Combine(evalDir, "external_evaluation.json"));
        Assert.Equal(expected.Ids.Count, ext.Images);
        Assert.Equal(manifest.Threshold, ext.Threshold);
        Assert.Equal(evaluation.Final.Metrics.Keys.Order(), ext.Metrics.Keys.Order());
        foreach (var (name, estimate) in evaluation.Final.Metrics)
        {
            Assert.Equal(estimate.Value, ext.Metrics[name].Value, 9);
            // A rate with no cases under it (e.g. PPV when a weak model flags no test image) is NaN, and so is its interval.
            var e = ext.Metrics[name];
            Assert.True(double.IsNaN(e.Value) || (e.Lower <= e.Value && e.Value <= e.Upper), $"{name}: {e.Value} [{e.Lower}, {e.Upper}]");
        }
        Assert.Contains("not re-tuned", File.ReadAllText(Path.Combine(evalDir, "external_evaluation.md")));
    }

    [Fact]
    public void Should_FailNamingTheClass_When_ExternalDataHaveAClassTheModelDoesNotKnow()
    {
        // Given a package made from a short run, and external data with a class folder the model never saw
        using var tmp = new TempDir();
        var (data, runDir) = ShortRun(tmp, count: 40, seed: 6, positiveShare: 0.5, trialMinutes: "0.05");
        var external = tmp.Combine("external");
        Directory.CreateDirectory(Path.Combine(external, "psoriasis"));
        var one = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories)[0];
        File.Copy(one, Path.Combine(external, "psoriasis", "a.png"));
        File.Copy(one, Path.Combine(external, "psoriasis", "b.png"));
        Directory.CreateDirectory(Path.Combine(external, "nevus_like"));
        File.Copy(one, Path.Combine(external, "nevus_like", "c.png"));
        File.Copy(one, Path.Combine(external, "nevus_like", "d.png"));

        // When evaluated, and when a split is asked of data that have none
        var evalDir = tmp.Combine("eval");
        var unknown = Repo.RunCli(TimeSpan.FromMinutes(1), "evaluate", new RunPaths(runDir).PackageDir, external, "--out", evalDir);
        var noSplit = Repo.RunCli(TimeSpan.FromMinutes(1), "evaluate", new RunPaths(runDir).PackageDir, external, "--split", "test", "--out", evalDir);

        // Then both fail with a message naming the data and the problem, and no evaluation file looks complete
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("'psoriasis' is not one the model knows", unknown.Stderr);
        Assert.Contains(external, unknown.Stderr);
        Assert.NotEqual(0, noSplit.ExitCode);
        Assert.Contains("needs an official split", noSplit.Stderr);
        Assert.False(File.Exists(Path.Combine(evalDir, "external_evaluation.json")));
    }

    [Fact]
    public void Should_PrintPdfOrSayChromiumIsMissing_When_ReportAskedForPdf()
    {
        // Given a finished run
        using var tmp = new TempDir();
        var (data, runDir) = ShortRun(tmp, count: 40, seed: 6, positiveShare: 0.5, trialMinutes: "0.05");
        int code; string stdout, stderr;

        // When the report is printed to PDF
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "report", runDir, "--pdf");

        // Then with Chromium a PDF exists (signature "%PDF"); without it, a clear error naming the package
        var pdf = Path.Combine(runDir, "report", "report.pdf");
        if (File.Exists("/usr/bin/chromium"))
        {
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Equal("%PDF"u8.ToArray(), File.ReadAllBytes(pdf)[..4]);
        }
        else
        {
            Assert.NotEqual(0, code);
            Assert.Contains("apt-get install chromium", stderr);
            Assert.False(File.Exists(pdf));
        }
        Assert.True(File.Exists(Path.Combine(runDir, "report", "report.html")));
    }

    [Fact]
    public void Should_FailNamingTheFolder_When_PackageHasNoManifest()
    {
        // Given a folder that is not a package
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.Combine("notapackage"));
        File.WriteAllBytes(tmp.Combine("x.png"), []);

        // When predicting with it
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "predict", tmp.Combine("notapackage"), tmp.Combine("x.png"));

        // Then a clear error, no stack trace
        Assert.NotEqual(0, code);
        Assert.Contains("not a Clinforge model package", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
