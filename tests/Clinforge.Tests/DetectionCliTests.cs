using System.Globalization;
using System.Text.Json;
using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Tests;

/// <summary>Detection end to end as a user runs it: develop on a YOLO-layout folder, then predict with the package.</summary>
public sealed class DetectionCliTests
{
    private static string WriteYoloFolder(string root, int count, int seed, double boxedShare = 1.0) =>
        SyntheticDetection.WriteFolder(root, count, seed, boxedShare);

    [Fact]
    public void Should_DevelopEvaluateAndMarkImages_When_DataHasFewBoxedPositives()
    {
        // given: a detection folder where only 30% of positives have boxes, the rest listed in image_labels.csv
        using var tmp = new TempDir();
        var data = WriteYoloFolder(tmp.Combine("data"), 150, seed: 11, boxedShare: 0.3);
        var runDir = tmp.Combine("run");

        // when: the seed request is developed for one refinement round
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop",
            "--request", "I need a tool that can look at wrist X-rays and help me find fractures. Ideally, it should mark suspicious fractures on images during my workflow so they are less likely to be missed.",
            "--data", data, "--rounds", "1", "--trial-minutes", "0.3", "--run", runDir, "--threads", "1", "--non-interactive");

        // then: a fracture detector, teacher–student chosen from the data card, a test look with CIs, a package
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var run = new RunPaths(runDir);
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        Assert.Equal(TaskKind.Detection, spec.Task);
        Assert.Equal(["fracture"], spec.Classes);
        Assert.Contains(spec.Questions, q => q.Field == "classes");
        var card = Json.Read<DataCard>(run.DataCard);
        Assert.True(card.Detection!.BoxedShare < 0.5);
        var recipe0 = Json.Read<Recipe>(run.Trial(0).Recipe);
        Assert.Equal("teacher_student", recipe0.Detection!.MixedSupervision);
        Assert.Contains("pseudo-labelled", File.ReadAllText(run.Trial(0).Log), StringComparison.Ordinal);
        var evaluation = Json.Read<DetectionEvaluation>(Path.Combine(run.FinalDir, "detection_evaluation.json"));
        foreach (var name in new[] { "map50", "map50_95", "recall", "precision", "f1" })
            Assert.True(evaluation.Final.Metrics[name].Lower <= evaluation.Final.Metrics[name].Upper, name);
        Assert.True(File.Exists(Path.Combine(run.ReportDir, "report.md")));
        // and a detection model card: intended use, supervision and pseudo-labels, operating point (recall first), CIs, limits, usage; copied into the package
        var modelCard = File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md"));
        foreach (var part in new[] { "## Intended use", "for a clinician's review", "supervision **mixed**", "Pseudo-labels, round 1", "## Operating point", "favours recall",
                     "Non-maximum suppression at IoU", "mAP@50:95", "| recall |", "| f1 |", "## Known limits", "Resolution", "clinforge predict", "clinforge evaluate" })
            Assert.Contains(part, modelCard, StringComparison.Ordinal);
        Assert.Equal(modelCard, File.ReadAllText(Path.Combine(run.PackageDir, "model_card.md")));
        Assert.True(File.Exists(Path.Combine(run.Trial(0).Root, PseudoLabelRound.File)));
        // and the HTML report (what the web app shows) holds the test table; `report` rewrites it from the run folder
        Assert.Contains("id=\"test-table\"", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")));
        var rewritten = Repo.RunCli(TimeSpan.FromMinutes(1), "report", run.Root);
        Assert.True(rewritten.ExitCode == 0, rewritten.Stderr);
        Assert.Contains("map50_95", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")));
        Assert.Equal(modelCard.Split("## Data and supervision")[1], File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md")).Split("## Data and supervision")[1]);

        // when: new images are checked with the package
        var images = Directory.GetFiles(Path.Combine(data, "val", "images")).Order(StringComparer.Ordinal).Take(3).ToArray();
        var outDir = tmp.Combine("out");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), ["predict", run.PackageDir, .. images, "--out", outDir, "--threads", "1"]);

        // then: detections.json lists each image with its boxes, and a PNG with the marks exists per image
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "detections.json")));
        var rows = doc.RootElement.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.True(File.Exists(Path.Combine(outDir, r.GetProperty("marked").GetString()!))));
        Assert.Equal("fracture", doc.RootElement.GetProperty("finding").GetString());

        // when: the package is evaluated externally on the folder's boxed val images
        var evalDir = tmp.Combine("eval");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "evaluate", run.PackageDir, data, "--split", "val", "--out", evalDir, "--threads", "1");

        // then: localisation metrics with CIs at the packaged threshold, over the images that have label files
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var ext = Json.Read<Clinforge.Cli.ExternalEvaluation>(Path.Combine(evalDir, "external_evaluation.json"));
        Assert.Equal("detection", ext.Task);
        Assert.Equal(Directory.GetFiles(Path.Combine(data, "val", "labels")).Length, ext.Images);
        foreach (var name in new[] { "map50", "map50_95", "recall", "precision", "f1" })
            Assert.True(ext.Metrics[name].Lower <= ext.Metrics[name].Value + 1e-12 && ext.Metrics[name].Value <= ext.Metrics[name].Upper + 1e-12, name);
    }
}
