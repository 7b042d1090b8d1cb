using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Tests;

/// <summary>One finished run (initial trial, test look, package) shared by the bad-input cases that need a model.</summary>
public sealed class FinishedRunFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public FinishedRunFixture()
    {
        Data = SyntheticLesions.Generate(_dir.Combine("data"), count: 60, seed: 4, positiveShare: 0.5, size: 16);
        Run = new RunPaths(_dir.Combine("run"));
        (Code, Output) = Develop(Data, Run.Root);
    }

    /// <summary>The request the run was made with.</summary>
    public const string Request = "Tell melanoma from nevus.";

    public string Data { get; }

    public RunPaths Run { get; }

    public int Code { get; }

    public string Output { get; }

    /// <summary>Whether the run finished with a package (training can fail on a machine with a broken CPU kernel).</summary>
    public bool Ready => Code == 0 && File.Exists(Path.Combine(Run.PackageDir, "manifest.json"));

    /// <summary>A copy of the finished run folder, to be broken by a test.</summary>
    public RunPaths CopyRun(TempDir into)
    {
        var target = into.Combine("run-copy");
        foreach (var dir in Directory.GetDirectories(Run.Root, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(Run.Root, target, StringComparison.Ordinal));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Run.Root, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(Run.Root, target, StringComparison.Ordinal));
        return new RunPaths(target);
    }

    public static (int Code, string Output) Develop(string data, string run, params string[] extra)
    {
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), ["develop", "--request", Request, "--data", data, "--rounds", "0", "--trial-minutes", "0.2", "--run", run, "--threads", "1", "--non-interactive", .. extra]);
        return (code, stdout + stderr);
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// Bad input where a model exists: one bad image never loses a batch (predict and evaluate score the
/// rest and list what they skipped), a run continued must be the run asked for, and an interrupted
/// test look is finished as the same look.
/// </summary>
public sealed class BadInputPackageTests(FinishedRunFixture run) : IClassFixture<FinishedRunFixture>
{
    private bool Ready()
    {
        if (run.Ready) return true;
        Console.WriteLine($"skipped: the shared run did not finish on this machine (exit {run.Code}):\n{run.Output}");
        return false;
    }

    [Fact]
    public void Should_ScoreTheRestAndListWhatWasSkipped_When_AFolderHoldsBadFiles()
    {
        if (!Ready()) return;
        // Given a folder of three good images and five bad ones (truncated, DICOM, empty, 1x1, a name that is not UTF-8)
        using var tmp = new TempDir();
        var folder = tmp.Combine("batch");
        Directory.CreateDirectory(folder);
        var good = Directory.GetFiles(run.Data, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(3).ToList();
        foreach (var (f, i) in good.Select((f, i) => (f, i))) File.Copy(f, Path.Combine(folder, $"good{i}.png"));
        BadInput.TruncatedPng(Path.Combine(folder, "cut.png"));
        BadInput.Dicom(Path.Combine(folder, "scan.dcm"));
        File.WriteAllBytes(Path.Combine(folder, "empty.png"), []);
        BadInput.Png(Path.Combine(folder, "dot.png"), 1, 1);
        bool nonUtf8 = BadInput.NonUtf8Copy(good[0], folder);

        // When the folder is scored
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "predict", run.Run.PackageDir, folder, "--out", tmp.Combine("out"));

        // Then the good images are scored, and each bad one is listed with its reason, on the terminal and in skipped.csv
        BadInput.AssertClean("batch", code, stdout, stderr);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal(4, File.ReadAllLines(tmp.Combine("out", "predictions.csv")).Length);
        var skipped = File.ReadAllText(tmp.Combine("out", "skipped.csv"));
        foreach (var (file, reason) in new[] { ("cut.png", "truncated"), ("scan.dcm", "DICOM"), ("empty.png", "empty (0 bytes)"), ("dot.png", "1x1") })
        {
            Assert.Contains(reason, skipped.Split('\n').Single(l => l.Contains(file, StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains(file, stderr, StringComparison.Ordinal);
        }
        if (nonUtf8) Assert.Contains("caf?.png", skipped, StringComparison.Ordinal);
        if (nonUtf8) Assert.Contains("not valid UTF-8", skipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ListSkippedImages_When_EvaluatingDataWithABadFile()
    {
        if (!Ready()) return;
        // Given labelled data in which one image is truncated
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("external"), count: 30, seed: 9, positiveShare: 0.5, size: 16);
        var victim = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, bytes[..(bytes.Length / 2)]);

        // When the package is evaluated on it
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "evaluate", run.Run.PackageDir, data, "--out", tmp.Combine("out"));

        // Then the rest is evaluated, and the skipped image is named with its reason on the terminal and in the report
        BadInput.AssertClean("evaluate", code, stdout, stderr);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("skipped 1 image file(s)", stderr, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(victim), stderr, StringComparison.Ordinal);
        var md = File.ReadAllText(tmp.Combine("out", "external_evaluation.md"));
        Assert.Contains("Left out: 1 image file(s)", md, StringComparison.Ordinal);
        Assert.Contains("truncated", md, StringComparison.Ordinal);
        Assert.Single(Json.Read<Clinforge.Cli.ExternalEvaluation>(tmp.Combine("out", "external_evaluation.json")).Skipped);
    }

    [Fact]
    public void Should_RefuseToContinueARun_When_TheRequestOrTheDataDiffer()
    {
        if (!Ready()) return;
        using var tmp = new TempDir();
        var copy = run.CopyRun(tmp);
        var other = SyntheticLesions.Generate(tmp.Combine("other"), count: 20, seed: 3, positiveShare: 0.5, size: 16);

        // When develop --run names the existing run with another request, or with other data
        var (c1, o1, e1) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "Find pneumonia on chest X-rays.", "--data", run.Data, "--run", copy.Root, "--non-interactive");
        var (c2, o2, e2) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", FinishedRunFixture.Request, "--data", other, "--run", copy.Root, "--non-interactive");

        // Then both are refused, saying what the run is of, and the run is unchanged
        BadInput.AssertClean("other request", c1, o1, e1);
        BadInput.AssertClean("other data", c2, o2, e2);
        Assert.Equal(2, c1);
        Assert.Contains("another request", e1, StringComparison.Ordinal);
        Assert.Equal(2, c2);
        Assert.Contains("other data", e2, StringComparison.Ordinal);
        Assert.Equal(FinishedRunFixture.Request, File.ReadAllText(copy.Request).Trim());

        // And the same request on the same data continues it (nothing to do: the test look is done)
        var (c3, o3, e3) = Repo.RunCli(TimeSpan.FromMinutes(2), "develop", "--request", FinishedRunFixture.Request, "--data", run.Data, "--run", copy.Root, "--non-interactive");
        Assert.True(c3 == 0, $"exit {c3}\n{o3}\n{e3}");
        Assert.Contains("already evaluated", o3, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_FinishTheSameLook_When_TheTestLookWasInterrupted(bool predictionsSaved)
    {
        if (!Ready()) return;
        // Given a run killed during its test look: journaled, predictions saved (or not yet), no evaluation.json
        using var tmp = new TempDir();
        var copy = run.CopyRun(tmp);
        var before = Clinforge.Core.PredictionTable.Read(copy.TestPredictions);
        File.Delete(copy.Evaluation);
        foreach (var f in Directory.GetFiles(copy.ReportDir, "*", SearchOption.AllDirectories)) File.Delete(f);
        if (!predictionsSaved) foreach (var f in Directory.GetFiles(copy.FinalDir, "test_predictions*.csv")) File.Delete(f);

        // When it is resumed
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "resume", copy.Root);

        // Then the look is finished as the same look: one look in the journal, the evaluation, the report, the card and the terminal
        BadInput.AssertClean("resume after an interrupted look", code, stdout, stderr);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using (var journal = new Clinforge.Development.Journal(copy.Journal))
        {
            Assert.Equal(1, journal.TestLookCount);
            var resumed = Assert.Single(journal.Events("test_look_resumed"));
            Assert.Contains(predictionsSaved ? "from the predictions it had saved" : "by scoring again", resumed.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(journal.Events(), e => e.Message.Contains("REPEATED", StringComparison.Ordinal));
        }
        Assert.Equal(1, Json.Read<FinalEvaluation>(copy.Evaluation).TestLooks);
        var report = File.ReadAllText(Path.Combine(copy.ReportDir, "report.md"));
        Assert.Contains("opened once", report, StringComparison.Ordinal);
        Assert.Contains("looked at 1 time(s)", report, StringComparison.Ordinal);
        Assert.Contains("looked at once", File.ReadAllText(Path.Combine(copy.ReportDir, "model_card.md")), StringComparison.Ordinal);
        Assert.Contains("looked at once", stdout, StringComparison.Ordinal);
        // and the numbers are those of the saved predictions
        Assert.Equal(before.Probabilities.Select(p => p[0]), Clinforge.Core.PredictionTable.Read(copy.TestPredictions).Probabilities.Select(p => p[0]));
    }
}
