using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Reporting;

namespace Clinforge.Tests;

/// <summary><c>clinforge develop</c> writes package/model.onnx, and <c>clinforge predict --runtime onnx</c> agrees with the TorchSharp path (real processes, real files).</summary>
public sealed class OnnxPredictTests
{
    [Fact]
    public void Should_GiveTheTorchSharpDecisions_When_PredictingWithTheOnnxRuntime()
    {
        // Given a finished run on generated lesion images (initial trial only)
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 80, seed: 7, positiveShare: 0.4, size: 16);
        var runDir = tmp.Combine("run");
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop",
            "--request", "Tell melanoma from nevus.", "--data", data, "--rounds", "0", "--trial-minutes", "0.3", "--run", runDir, "--threads", "1");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var run = new RunPaths(runDir);

        // Then the package holds model.onnx and the manifest says what it takes and gives
        var manifest = ModelPackage.ReadManifest(run.PackageDir);
        var onnx = manifest.Onnx ?? throw new Xunit.Sdk.XunitException($"no ONNX record in the manifest: {manifest.OnnxUnavailable}");
        var file = Path.Combine(run.PackageDir, onnx.File);
        Assert.Equal("model.onnx", onnx.File);
        Assert.Equal(new FileInfo(file).Length, onnx.Bytes);
        Assert.True(onnx.Opset >= 13);
        var recipe = Json.Read<Recipe>(Path.Combine(run.PackageDir, manifest.Recipe));
        Assert.Equal(["N", recipe.Input.Size.ToString(CultureInfo.InvariantCulture), recipe.Input.Size.ToString(CultureInfo.InvariantCulture), recipe.Input.Channels.ToString(CultureInfo.InvariantCulture)], onnx.Input.Shape);
        Assert.Equal(["N", "2"], onnx.Output.Shape);
        Assert.Contains(onnx.InGraph, s => s.Contains("softmax", StringComparison.Ordinal));
        // and the model card describes it
        var modelCard = File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md"));
        Assert.Contains("`model.onnx`", modelCard, StringComparison.Ordinal);
        Assert.Contains($"opset {onnx.Opset}", modelCard, StringComparison.Ordinal);

        // When the test images are scored by both runtimes
        var ids = PredictionTable.Read(run.TestPredictions).Ids;
        var files = ids.Select(id => Path.Combine(data, id)).ToArray();
        var torch = Predict(tmp, run, files, "torch");
        var ort = Predict(tmp, run, files, "onnx");

        // Then each image gets the same decision and probabilities within 1e-4
        Assert.Equal(files.Length, ort.Count);
        for (int i = 0; i < files.Length; i++)
        {
            Assert.Equal(torch[i].Path, ort[i].Path);
            Assert.Equal(torch[i].Decision, ort[i].Decision);
            for (int k = 0; k < 2; k++) Assert.True(Math.Abs(torch[i].P[k] - ort[i].P[k]) <= 1e-4, $"{files[i]}: p{k} {torch[i].P[k]} (torch) vs {ort[i].P[k]} (onnx)");
        }
        Assert.True(torch.Select(r => r.Decision).Distinct().Count() > 1 || torch.Select(r => r.P[0]).Distinct().Count() > 1, "every image got the same output");
    }

    private static List<(string Path, double[] P, string Decision)> Predict(TempDir tmp, RunPaths run, string[] files, string runtime)
    {
        var outDir = tmp.Combine("out-" + runtime);
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), ["predict", run.PackageDir, .. files, "--out", outDir, "--threads", "1", "--runtime", runtime]);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains(runtime == "onnx" ? "ONNX Runtime" : "TorchSharp", stdout, StringComparison.Ordinal);
        return File.ReadAllLines(Path.Combine(outDir, "predictions.csv")).Skip(1).Select(line =>
        {
            var cells = line.Split(',');
            return (cells[0], new[] { double.Parse(cells[1], CultureInfo.InvariantCulture), double.Parse(cells[2], CultureInfo.InvariantCulture) }, cells[3]);
        }).ToList();
    }
}
