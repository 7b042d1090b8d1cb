using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using Xunit.Abstractions;

namespace Clinforge.Tests;

/// <summary>A plain develop on real-size images starts from the pretrained weights, through real trial child processes, and the package predicts.</summary>
public sealed class PretrainedCliTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_StartFromPretrainedWeightsAndPackageThem_When_DevelopingOnRealSizeImages()
    {
        // given 96 px lesion images (real-size for the initializer) and the package's weights
        if (!File.Exists(PretrainedWeights.OnnxPath())) { output.WriteLine($"skipped: {PretrainedWeights.OnnxPath()} is absent"); return; }
        using var tmp = new TempDir();
        var data = SyntheticLesions.Generate(tmp.Combine("data"), count: 40, seed: 5, positiveShare: 0.5, size: 96);
        var runDir = tmp.Combine("run");

        // when a plain request is developed
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(8), "develop",
            "--request", "Tell melanoma from nevus.", "--data", data, "--rounds", "0", "--trial-minutes", "1.5", "--run", runDir, "--threads", "1");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}\n{Repo.TrialLogs(runDir)}");

        // then the first trial (a child process) started from the package's weights and said so
        var run = new RunPaths(runDir);
        var recipe = Json.Read<Recipe>(run.Trial(0).Recipe);
        Assert.Equal("resnet18_pretrained", recipe.Model.Name);
        var metrics = Json.Read<TrialMetrics>(run.Trial(0).Metrics);
        Assert.StartsWith("pretrained ResNet-18", metrics.Initialization);
        Assert.Contains("pretrained", File.ReadAllText(run.Trial(0).Log));
        var modelCard = File.ReadAllText(Path.Combine(run.ReportDir, "model_card.md"));
        Assert.Contains("Starting weights: pretrained ResNet-18", modelCard);
        Assert.Contains("MB (model.bin)", modelCard);
        var pre = Json.Read<Preprocessing>(Path.Combine(run.PackageDir, "preprocessing.json"));
        Assert.Contains("minus the means", pre.Scheme);

        // and the package predicts new images
        var (pcode, pout, perr) = Repo.RunCli(TimeSpan.FromMinutes(2), "predict", run.PackageDir, Path.Combine(data, "melanoma_like"), "--out", tmp.Combine("pred"));
        Assert.True(pcode == 0, $"exit {pcode}\n{pout}\n{perr}");
    }
}
