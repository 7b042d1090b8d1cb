using Clinforge.Core;
using Clinforge.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Tests;

/// <summary>Segmentation end to end as a user runs it: develop on an images/ + masks/ + roi/ folder, then predict with the package.</summary>
public sealed class SegmentationCliTests
{
    [Fact]
    public void Should_DevelopReportAndOutlineNewImages_When_DataAreImageMaskPairs()
    {
        // given: 40 generated image/mask pairs with a field of view
        using var tmp = new TempDir();
        var data = SyntheticSegmentation.WriteFolder(tmp.Combine("data"), 40, seed: 5);
        var runDir = tmp.Combine("run");

        // when: "outline the vessels" is developed for one refinement round
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(5), "develop", "--request", "Outline the vessels on these images",
            "--data", data, "--rounds", "1", "--trial-minutes", "1", "--run", runDir, "--threads", "1", "--non-interactive");

        // then: a segmentation spec with a Dice objective, a pretrained U-Net at the images' size, the playbook's first move tried
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}\n{Repo.TrialLogs(runDir)}");
        var run = new RunPaths(runDir);
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        Assert.Equal(TaskKind.Segmentation, spec.Task);
        Assert.Equal(["vessel"], spec.Classes);
        Assert.Equal(SegmentationMetricNames.Dice, spec.PrimaryMetric);
        var card = Json.Read<DataCard>(run.DataCard);
        Assert.True(card.Segmentation!.RegionOfInterest);
        var recipe0 = Json.Read<Recipe>(run.Trial(0).Recipe);
        Assert.Equal("unet_resnet18", recipe0.Model.Name);
        Assert.Equal(96, recipe0.Input.Size); // thin strands, but a 96-px image is one patch: not enlarged in the first plan
        Assert.Equal(["vessel"], recipe0.Segmentation!.Labels);
        Assert.True(File.Exists(run.Trial(0).ValScores));
        Assert.Contains("pretrained ResNet-18", File.ReadAllText(run.Trial(0).Log), StringComparison.Ordinal);
        Assert.Equal("flip_inference", Json.Read<Proposal>(run.Trial(1).Proposal).Move);
        // and that inference-only change validated trial 0's own weights instead of retraining
        Assert.Equal(0, Json.Read<Recipe>(run.Trial(1).Recipe).Segmentation!.ReuseWeightsOf);
        Assert.Contains("inference-only change: trial 000's weights", File.ReadAllText(run.Trial(1).Log), StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(run.Trial(0).Model), File.ReadAllBytes(run.Trial(1).Model));

        // and the one test look: Dice of a model that learnt the strands, every metric with an interval around it, per-image scores
        var e = Json.Read<SegmentationEvaluation>(run.SegmentationEvaluation);
        Assert.Equal(card.Counts[SplitNames.Test].Values.Sum(), e.TestImages);
        Assert.True(e.RegionOfInterest);
        var final = Assert.Single(e.Final.Labels);
        Assert.True(final.Dice.Value > 0.5, $"test Dice {final.Dice.Value:F3}");
        foreach (var x in new[] { final.Dice, final.Iou, final.Sensitivity, final.Precision })
            Assert.True(x.Lower <= x.Value && x.Value <= x.Upper && x.Lower >= 0 && x.Upper <= 1, $"{x}");
        Assert.Equal(e.TestImages * 2 + 1, File.ReadAllLines(Path.Combine(run.FinalDir, "test_scores.csv")).Length);

        // and a report with the test table, example overlays and the protocol; a model card; a package
        var report = File.ReadAllText(run.ReportMarkdown);
        foreach (var part in new[] { "vessel segmentation", "| Dice |", "HD95", "typical width (px)", "Example test images", "segmentation_best.png", "looked at 1 time(s)" })
            Assert.Contains(part, report, StringComparison.Ordinal);
        Assert.All(e.Examples, x => Assert.True(File.Exists(Path.Combine(run.ReportDir, x.File)), x.File));
        Assert.Contains("for a clinician to check", File.ReadAllText(run.ModelCard), StringComparison.Ordinal);
        Assert.True(File.Exists(run.Package.SegmentationManifest));
        var rewritten = Repo.RunCli(TimeSpan.FromMinutes(1), "report", run.Root);
        Assert.True(rewritten.ExitCode == 0, rewritten.Stderr);

        // when: new images are outlined with the package
        var images = Directory.GetFiles(Path.Combine(data, "images")).Order(StringComparer.Ordinal).Take(3).ToArray();
        var outDir = tmp.Combine("out");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), ["predict", run.PackageDir, .. images, "--out", outDir, "--threads", "1"]);

        // then: a mask at each image's size holding the training masks' values, an overlay, and the areas
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        foreach (var image in images)
        {
            var stem = Path.GetFileNameWithoutExtension(image);
            using var mask = Image.Load<L8>(Path.Combine(outDir, stem + "_mask.png"));
            Assert.Equal((96, 88), (mask.Width, mask.Height));
            var values = new HashSet<byte>();
            mask.ProcessPixelRows(rows => { for (int y = 0; y < rows.Height; y++) foreach (var p in rows.GetRowSpan(y)) values.Add(p.PackedValue); });
            Assert.Subset(new HashSet<byte> { 0, 255 }, values);
            Assert.Contains((byte)255, values);
            Assert.True(File.Exists(Path.Combine(outDir, stem + "_overlay.png")));
        }
        var csv = File.ReadAllLines(Path.Combine(outDir, "segmentation.csv"));
        Assert.Equal(4, csv.Length);
        Assert.All(csv.Skip(1), line => Assert.Contains(",vessel,", line, StringComparison.Ordinal));

        // when: the package is evaluated externally on a second generated folder (another "site")
        var site = SyntheticSegmentation.WriteFolder(tmp.Combine("site"), 12, seed: 99);
        var evalDir = tmp.Combine("eval");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "evaluate", run.PackageDir, site, "--split", "all", "--out", evalDir, "--threads", "1");

        // then: every pair scored inside its region, Dice with its interval, as at the test look
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(evalDir, "external_evaluation.json"))))
        {
            Assert.Equal(12, doc.RootElement.GetProperty("images").GetInt32());
            Assert.Equal("segmentation", doc.RootElement.GetProperty("task").GetString());
            var dice = doc.RootElement.GetProperty("metrics").GetProperty("dice");
            Assert.True(dice.GetProperty("value").GetDouble() > 0.5, stdout);
            Assert.True(dice.GetProperty("lower").GetDouble() <= dice.GetProperty("value").GetDouble());
        }

        // when: the same images go through the package's model.onnx in ONNX Runtime
        var onnxDir = tmp.Combine("out-onnx");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), ["predict", run.PackageDir, .. images, "--out", onnxDir, "--threads", "1", "--runtime", "onnx"]);

        // then: the same masks, pixel for pixel but for probabilities that tie within rounding
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("ONNX Runtime", stdout, StringComparison.Ordinal);
        foreach (var image in images)
        {
            var name = Path.GetFileNameWithoutExtension(image) + "_mask.png";
            var a = ImageDecoder.Decode(Path.Combine(outDir, name)).Pixels;
            var b = ImageDecoder.Decode(Path.Combine(onnxDir, name)).Pixels;
            Assert.True(a.Zip(b).Count(p => p.First != p.Second) <= a.Length / 1000, name);
        }

        // when: a copy of the package whose recipe asks for locally equalised contrast (CLAHE) outlines the same images in both runtimes
        var clahePackage = tmp.Combine("package-clahe");
        CopyFolder(run.PackageDir, clahePackage);
        var packaged = Json.Read<Recipe>(Path.Combine(clahePackage, "recipe.json"));
        Json.Write(Path.Combine(clahePackage, "recipe.json"), packaged with { Segmentation = packaged.Segmentation! with { Contrast = ContrastModes.Clahe } });
        var decoded = images.Select(ImageDecoder.Decode).ToList();
        Assert.Equal(0, Clinforge.Cli.SegmentationPredict.Predict(clahePackage, images, decoded, tmp.Combine("clahe-torch"), 1));
        Assert.Equal(0, Clinforge.Cli.SegmentationPredict.Predict(clahePackage, images, decoded, tmp.Combine("clahe-onnx"), 1, onnx: true));

        // then: both runtimes prepare the pixels alike (the same masks), and the preparation changed what the network saw
        int changed = 0;
        foreach (var image in images)
        {
            var name = Path.GetFileNameWithoutExtension(image) + "_mask.png";
            var torchMask = ImageDecoder.Decode(Path.Combine(tmp.Combine("clahe-torch"), name)).Pixels;
            var onnxMask = ImageDecoder.Decode(Path.Combine(tmp.Combine("clahe-onnx"), name)).Pixels;
            Assert.True(torchMask.Zip(onnxMask).Count(p => p.First != p.Second) <= torchMask.Length / 1000, name);
            changed += torchMask.Zip(ImageDecoder.Decode(Path.Combine(outDir, name)).Pixels).Count(p => p.First != p.Second);
        }
        Assert.True(changed > 0, "the CLAHE package gave the same masks as the plain one");
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyFolder(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
