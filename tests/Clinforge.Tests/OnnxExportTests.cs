using System.Diagnostics;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using Clinforge.Training.Onnx;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Clinforge.Tests;

/// <summary>
/// package/model.onnx against the TorchSharp model it was written from: ONNX Runtime on real images
/// (MedMNIST grey X-rays, bone-fracture radiographs as three channels) must give the probabilities of
/// Trainer.Predict within 1e-4, for every registry classifier and the wrappers a recipe can put around it.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    /// <summary>Every registry classifier, plain and inside each wrapper a recipe can ask for (ensemble, flip TTA, debiasing).</summary>
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in ModelRegistry.Names)
            foreach (var variant in new[] { "plain", "tta", "ensemble", "debias" })
                data.Add(name, variant);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_MatchTorchSharpWithin1e4_When_TheExportedModelRunsInOnnxRuntimeOnGreyXrays(string model, string variant)
    {
        // Given 24 real chest X-rays from PneumoniaMNIST (one channel, 28 px)
        var npz = SharedFile("medmnist/pneumoniamnist.npz");
        if (npz is null) return;
        var ds = DatasetReader.Open(npz);
        var set = ImageSets.Load(ds, ds.Items.Take(24).ToList(), new InputSpec(28, 1));

        // Then the ONNX file reproduces the TorchSharp probabilities
        AssertMatches(model, variant, set, null);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_MatchTorchSharpWithin1e4_When_TheExportedModelRunsInOnnxRuntimeOnThreeChannelImages(string model, string variant)
    {
        // Given 12 real bone radiographs read as three channels at 40 px, normalised with a different mean and std per channel (so a swapped channel would show)
        var folder = SharedFile("bone-fracture/val/images");
        if (folder is null) return;
        var files = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(12).ToList();
        var ds = Dataset.InMemory(folder, ["a", "b"], files.Select((f, i) => new DataItem(f, i % 2)).ToArray(), files.Select(ImageDecoder.Decode).ToArray());
        var set = ImageSets.Load(ds, ds.Items, new InputSpec(40, 3));

        AssertMatches(model, variant, set, ([0.30f, 0.45f, 0.60f], [0.20f, 0.25f, 0.35f]));
    }

    [Fact]
    public void Should_WriteAValidFileThatOnnxRuntimeLoads_When_ExportingAResNet()
    {
        // Given a registry ResNet as a recipe builds it, with three classes
        using var tmp = new TempDir();
        random.manual_seed(3);
        using var net = ModelRegistry.Create(new ModelSpec("resnet", 16, 2), 1, 3);
        Perturb(net);
        var pre = new Preprocessing(32, 1, [0.5f], [0.25f], ["x", "y", "z"]);

        // When exported
        var clock = Stopwatch.StartNew();
        var info = OnnxExport.Write(net, new Recipe { Input = new InputSpec(32, 1), Model = new ModelSpec("resnet", 16, 2) }, pre, tmp.Combine("model.onnx"));
        clock.Stop();
        output.WriteLine($"export {clock.Elapsed.TotalMilliseconds:F0} ms, {info.Bytes} bytes, {info.Nodes} nodes, {info.Parameters} parameters");

        // Then ONNX Runtime loads it, with the documented input and output, opset ≥ 13, and the manifest record agrees with the file
        using var session = new InferenceSession(tmp.Combine("model.onnx"));
        Assert.Equal([OnnxExport.InputName], session.InputMetadata.Keys);
        Assert.Equal([-1, 32, 32, 1], session.InputMetadata[OnnxExport.InputName].Dimensions);
        Assert.Equal([OnnxExport.OutputName], session.OutputMetadata.Keys);
        Assert.Equal([-1, 3], session.OutputMetadata[OnnxExport.OutputName].Dimensions);
        Assert.True(info.Opset >= 13);
        Assert.Equal(new FileInfo(tmp.Combine("model.onnx")).Length, info.Bytes);
        Assert.Equal(net.parameters().Sum(p => p.numel()) + net.buffers().Where(b => b.dtype == ScalarType.Float32).Sum(b => b.numel()) + 1 + 2 + 2,
            info.Parameters); // weights and BN statistics, plus 1/255, clip bounds, mean and std
        Assert.Equal("x,y,z", session.ModelMetadata.CustomMetadataMap["classes"]);
    }

    private void AssertMatches(string model, string variant, ImageSet set, (float[] Mean, float[] Std)? normalisation)
    {
        using var tmp = new TempDir();
        var recipe = new Recipe
        {
            Input = new InputSpec(set.Size, set.Channels), Model = new ModelSpec(model, 8, 2),
            TestTimeAugmentation = variant == "tta",
            EnsembleSize = variant == "ensemble" ? 3 : 1,
            Debias = variant == "debias" ? new DebiasSpec("drain", AdversaryWeight: 0.5) : null,
        };
        var pre = Trainer.ComputePreprocessing(set, ["normal", "finding"]);
        if (normalisation is { } n) pre = pre with { Mean = n.Mean, Std = n.Std };
        random.manual_seed(11);
        using var net = TrialPlans.CreateModel(recipe, set.Channels, 2);
        Perturb(net);

        // When the TorchSharp path scores them (the final evaluation's Trainer.Predict) and ONNX Runtime scores the exported file
        using var x = Trainer.ToTensor(set, pre);
        var expected = Trainer.Predict(net, x, null, recipe.TestTimeAugmentation, CPU).Probabilities;
        var path = tmp.Combine("model.onnx");
        OnnxExport.Write(net, recipe, pre, path);
        var actual = RunOnnx(path, set);

        // Then every probability agrees within 1e-4
        double worst = 0;
        for (int i = 0; i < set.Count; i++)
            for (int k = 0; k < 2; k++) worst = Math.Max(worst, Math.Abs(expected[i][k] - actual[i][k]));
        output.WriteLine($"{model} {variant}, {set.Channels} channel(s) at {set.Size} px: max |Δp| = {worst:E2} over {set.Count} images");
        Assert.True(worst <= Tolerance, $"max |Δp| = {worst:E3} > {Tolerance}");
        // and the probabilities are not all the same (the check would be empty on a constant model)
        Assert.True(expected.Select(p => p[0]).Distinct().Count() > 1, "the model gives one probability for every image");
    }

    /// <summary>The ImageSet's pixels as a deploying team feeds them: 0–255, NHWC.</summary>
    internal static double[][] RunOnnx(string path, ImageSet set)
    {
        int c = set.Channels, s = set.Size, plane = s * s;
        var nhwc = new float[set.Pixels.Length];
        for (int i = 0; i < set.Count; i++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++) nhwc[(i * plane + p) * c + ch] = set.Pixels[(i * c + ch) * plane + p] * 255f;
        using var session = new InferenceSession(path);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, new DenseTensor(nhwc, [set.Count, s, s, c]))]);
        var probabilities = results.Single(r => r.Name == OnnxExport.OutputName).AsTensor<float>();
        return Enumerable.Range(0, set.Count).Select(i => Enumerable.Range(0, (int)probabilities.Dimensions[1]).Select(k => (double)probabilities[i, k]).ToArray()).ToArray();
    }

    /// <summary>
    /// Gives every batch norm non-trivial affine weights and running statistics: freshly built layers have
    /// mean 0, variance 1, scale 1 and shift 0, which would let a wrong BatchNormalization pass unseen.
    /// </summary>
    internal static void Perturb(nn.Module<Tensor, Tensor> net)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in net.named_modules())
        {
            if (m is not BatchNorm2d bn) continue;
            bn.weight!.uniform_(0.5, 1.5);
            bn.bias!.normal_(0, 0.2);
            bn.running_mean!.normal_(0, 0.2);
            bn.running_var!.uniform_(0.5, 2.0);
        }
    }

    private string? SharedFile(string relative)
    {
        var path = Repo.SharedData is { } data ? Path.Combine(data, relative) : null;
        if (path is not null && (File.Exists(path) || Directory.Exists(path))) return path;
        output.WriteLine($"SKIPPED: {relative} not found under ../shared/data beside the checkout; this test needs the real images.");
        return null;
    }
}
