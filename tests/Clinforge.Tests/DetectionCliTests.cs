using System.Text.Json;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

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
        // and the image-level reading covers every test image, positives known only at image level included
        var imageLevel = evaluation.Final.ImageLevel!;
        Assert.Equal(evaluation.TestImages + evaluation.TestImageLevelOnly, imageLevel.Positives + imageLevel.Negatives);
        Assert.Equal(evaluation.TestPositives + evaluation.TestImageLevelOnly, imageLevel.Positives);
        Assert.True(imageLevel.Auc.Lower <= imageLevel.Auc.Value && imageLevel.Auc.Value <= imageLevel.Auc.Upper);
        Assert.Equal((double)imageLevel.TruePositives / imageLevel.Positives, imageLevel.Sensitivity.Value, 12);
        Assert.Contains("image level (is there a finding in the image?)", File.ReadAllText(Path.Combine(run.ReportDir, "report.md")), StringComparison.Ordinal);
        // and its protocol section says how often the sealed test split was opened, as the classification report does
        Assert.Contains("looked at 1 time(s)", File.ReadAllText(Path.Combine(run.ReportDir, "report.md")), StringComparison.Ordinal);
        // and a detection model card: intended use, supervision and pseudo-labels, operating point (recall first), CIs, limits, usage; copied into the package
        var modelCard = File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md"));
        foreach (var part in new[] { "## Intended use", "for a clinician's review", "supervision **mixed**", "Pseudo-labels, round 1", "## Operating point", "favours recall",
                     "Non-maximum suppression at IoU", "mAP@50:95", "### Image level", "| AUC (DeLong CI) |", "| recall |", "| f1 |", "## Known limits", "Resolution", "clinforge predict", "clinforge evaluate" })
            Assert.Contains(part, modelCard, StringComparison.Ordinal);
        Assert.Equal(modelCard, File.ReadAllText(Path.Combine(run.PackageDir, "model_card.md")));
        Assert.True(File.Exists(Path.Combine(run.Trial(0).Root, PseudoLabelRound.File)));
        // and the HTML report (what the web app shows) holds the test table; `report` rewrites it from the run folder
        Assert.Contains("id=\"test-table\"", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")));
        Assert.Contains("id=\"image-table\"", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")));
        // and example test images of the final model's marks, drawn at the look: listed in the report with a caption each, files that decode
        var examples = evaluation.Examples;
        Assert.InRange(examples.Count, 1, 6);
        Assert.Equal(examples.Count, examples.Select(x => x.Id).Distinct().Count());
        var reportMd = File.ReadAllText(run.ReportMarkdown);
        Assert.Contains("Example test images (final model)", reportMd, StringComparison.Ordinal);
        Assert.Contains("bluish green = true mark", reportMd, StringComparison.Ordinal);
        using (var saved = JsonDocument.Parse(File.ReadAllText(run.TestDetections)))
        {
            var kept = saved.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("kept").GetArrayLength());
            foreach (var x in examples)
            {
                Assert.Contains(x.Kind, DetectionExamples.Kinds);
                Assert.True(x.Kind switch { DetectionExamples.TrueMark => x.TrueMarks > 0, DetectionExamples.Miss => x.Missed > 0, _ => x.FalseMarks > 0 && x.TrueMarks + x.Missed == 0 }, $"{x.Kind}: {x}");
                // every box the final model kept on the image is drawn as a true or a false mark
                Assert.Equal(kept[x.Id], x.TrueMarks + x.FalseMarks);
                Assert.Contains($"]({x.File})", reportMd, StringComparison.Ordinal);
                Assert.Contains($"{x.Missed} missed", reportMd, StringComparison.Ordinal);
                var drawn = ImageDecoder.Decode(Path.Combine(run.ReportDir, x.File));
                (byte, byte, byte) colour = x.Kind switch { DetectionExamples.TrueMark => (0, 158, 115), DetectionExamples.Miss => (213, 94, 0), _ => (86, 180, 233) };
                Assert.Contains(colour, Enumerable.Range(0, drawn.Width * drawn.Height).Select(p => (drawn.Pixels[p * drawn.Channels], drawn.Pixels[p * drawn.Channels + 1], drawn.Pixels[p * drawn.Channels + 2])));
            }
        }
        Assert.Contains($"alt=\"{examples[0].Kind} example: {examples[0].Id}\" src=\"data:image/png;base64,", File.ReadAllText(run.ReportHtml), StringComparison.Ordinal);
        var drawnBefore = examples.ToDictionary(x => x.File, x => (File.ReadAllBytes(Path.Combine(run.ReportDir, x.File)), File.GetLastWriteTimeUtc(Path.Combine(run.ReportDir, x.File))));
        var rewritten = Repo.RunCli(TimeSpan.FromMinutes(1), "report", run.Root);
        Assert.True(rewritten.ExitCode == 0, rewritten.Stderr);
        Assert.Contains("map50_95", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")));
        Assert.Equal(modelCard.Split("## Data and supervision")[1], File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md")).Split("## Data and supervision")[1]);
        // and the rewritten report lists the same example files, which were referenced, not drawn again
        Assert.All(examples, x => Assert.Contains($"]({x.File})", File.ReadAllText(run.ReportMarkdown), StringComparison.Ordinal));
        Assert.All(examples, x =>
        {
            Assert.Equal(drawnBefore[x.File].Item1, File.ReadAllBytes(Path.Combine(run.ReportDir, x.File)));
            Assert.Equal(drawnBefore[x.File].Item2, File.GetLastWriteTimeUtc(Path.Combine(run.ReportDir, x.File)));
        });

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
        // and the image-level reading counts every val image, the image-level positives of image_labels.csv too
        var valImages = Directory.GetFiles(Path.Combine(data, "val", "images")).Length;
        var imageLevelOnly = File.ReadAllLines(Path.Combine(data, "val", "image_labels.csv")).Length - 1;
        Assert.True(imageLevelOnly > 0);
        Assert.Equal(valImages, ext.ImageLevel!.Positives + ext.ImageLevel.Negatives);
        Assert.Equal(valImages - ext.Images, imageLevelOnly);
        Assert.Contains("Image level (is there a finding", File.ReadAllText(Path.Combine(evalDir, "external_evaluation.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_TrainReportAndMarkEachClass_When_ClinicianAsksToKeepTheDataClassesApart()
    {
        // given: a synthetic detection folder whose findings belong to three body-part classes (told apart by
        // brightness), and the clinician's answer to the "classes" question: keep the body parts apart
        using var tmp = new TempDir();
        var data = SyntheticDetection.WriteFolder(tmp.Combine("data"), 120, seed: 21, classes: 3);
        var parts = SyntheticDetection.BodyParts.Take(3).ToArray();
        var answers = tmp.Combine("answers.json");
        File.WriteAllText(answers, "{\"classes\": \"body parts\"}");
        var runDir = tmp.Combine("run");

        // when: developed with the initial trial only
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop",
            "--request", "Find fractures on these wrist X-rays and mark them.",
            "--data", data, "--rounds", "0", "--trial-minutes", "0.3", "--run", runDir, "--threads", "1", "--answers", answers);

        // then: the recipe trains the three classes, the message says so, and the test look has a per-class table with CIs
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("the detector learns 3 classes", stderr, StringComparison.Ordinal);
        var run = new RunPaths(runDir);
        Assert.Equal(TaskSpec.PerSourceClassRequested, Json.Read<TaskSpec>(run.TaskSpec).ClassHandling);
        Assert.Equal(parts, Json.Read<Recipe>(run.Trial(0).Recipe).Detection!.Classes);
        Assert.Contains("classes kept apart (3)", File.ReadAllText(run.Trial(0).Log), StringComparison.Ordinal);
        var evaluation = Json.Read<DetectionEvaluation>(Path.Combine(run.FinalDir, "detection_evaluation.json"));
        Assert.Equal(parts, evaluation.Classes);
        Assert.Equal(parts, evaluation.Final.PerClass.Select(c => c.Class));
        Assert.Equal(evaluation.TestBoxes, evaluation.Final.PerClass.Sum(c => c.Boxes));
        foreach (var c in evaluation.Final.PerClass)
            foreach (var name in new[] { "map50", "map50_95", "recall", "precision", "f1" })
            {
                var e = c.Metrics[name];
                Assert.True(double.IsNaN(e.Value) || (e.Lower <= e.Value + 1e-12 && e.Value <= e.Upper + 1e-12), $"{c.Class} {name}");
            }
        // mAP is the mean of the classes' AP over classes with test boxes (COCO)
        var aps = evaluation.Final.PerClass.Where(c => c.Boxes > 0).Select(c => c.Metrics["map50"].Value).ToList();
        Assert.Equal(aps.Average(), evaluation.Final.Metrics["map50"].Value, 9);
        var modelCard = File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md"));
        Assert.Contains("### Per class", modelCard, StringComparison.Ordinal);
        Assert.Contains("the detector learns 3 classes", modelCard, StringComparison.Ordinal);
        Assert.All(parts, p => Assert.Contains($"| {p} |", modelCard, StringComparison.Ordinal));
        Assert.DoesNotContain("single-class", modelCard, StringComparison.Ordinal);
        Assert.Contains("id=\"class-table\"", File.ReadAllText(Path.Combine(run.ReportDir, "report.html")), StringComparison.Ordinal);
        // and each class has its operating threshold, chosen on validation (the pooled one where a class has few validation boxes), carried into the package
        var trialMetrics = Json.Read<TrialMetrics>(run.Trial(evaluation.Final.Trial).Metrics);
        Assert.Equal(3, trialMetrics.Best!.ClassThresholds!.Count);
        Assert.Equal(trialMetrics.Best.ClassThresholds, evaluation.Final.ClassThresholds);
        var manifest = Json.Read<DetectionPackageManifest>(Path.Combine(run.PackageDir, "detection_manifest.json"));
        Assert.Equal(evaluation.Final.ClassThresholds, manifest.ClassThresholds);
        Assert.Contains("Each class has its own threshold", modelCard, StringComparison.Ordinal);

        // when: the package marks new images
        var images = Directory.GetFiles(Path.Combine(data, "val", "images")).Order(StringComparer.Ordinal).Take(8).ToArray();
        var outDir = tmp.Combine("out");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), ["predict", run.PackageDir, .. images, "--out", outDir, "--threads", "1"]);

        // then: detections.json names the classes (with the legend of colours and numbers) and each box's class
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "detections.json")));
        Assert.Equal(parts, doc.RootElement.GetProperty("classes").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(parts, doc.RootElement.GetProperty("legend").EnumerateArray().Select(x => x.GetProperty("class").GetString()));
        var boxes = doc.RootElement.GetProperty("images").EnumerateArray().SelectMany(r => r.GetProperty("boxes").EnumerateArray()).ToList();
        Assert.All(boxes, b => Assert.Contains(b.GetProperty("class").GetString(), parts));
        // and every box drawn reaches its own class's threshold, which the JSON lists
        Assert.Equal(parts, doc.RootElement.GetProperty("class_thresholds").EnumerateArray().Select(x => x.GetProperty("class").GetString()));
        Assert.All(boxes, b => Assert.True(b.GetProperty("score").GetDouble() >= manifest.ClassThresholds[b.GetProperty("class_index").GetInt32()]));

        // when: the package is evaluated externally on the folder's val images
        var evalDir = tmp.Combine("eval");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "evaluate", run.PackageDir, data, "--split", "val", "--out", evalDir, "--threads", "1");

        // then: the same per-class metrics, against the data's own classes
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var ext = Json.Read<Clinforge.Cli.ExternalEvaluation>(Path.Combine(evalDir, "external_evaluation.json"));
        Assert.Equal(parts, ext.PerClass.Select(c => c.Class));
        Assert.Contains("Per class", File.ReadAllText(Path.Combine(evalDir, "external_evaluation.md")), StringComparison.Ordinal);
    }
}
