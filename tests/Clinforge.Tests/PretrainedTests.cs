using Clinforge.Data;
using Clinforge.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class PretrainedTests(ITestOutputHelper output)
{
    private const int Size = 224;

    /// <summary>The package's ONNX file, or null (with a note) when the build did not restore it.</summary>
    private string? Onnx()
    {
        var path = PretrainedWeights.OnnxPath();
        if (File.Exists(path)) return path;
        output.WriteLine($"skipped: {path} is absent (the NuGet package {PretrainedWeights.Package} was not restored)");
        return null;
    }

    /// <summary>Up to <paramref name="n"/> real radiographs from ../shared/data/bone-fracture/val/images, or null (with a note).</summary>
    private string[]? RealImages(int n)
    {
        var folder = Repo.SharedData is { } d ? Path.Combine(d, "bone-fracture", "val", "images") : null;
        if (folder is null || !Directory.Exists(folder))
        {
            output.WriteLine("skipped: ../shared/data/bone-fracture/val/images is absent");
            return null;
        }
        return Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(n).ToArray();
    }

    private static float[] Pixels(string[] files, int channels)
    {
        var per = channels * Size * Size;
        var pixels = new float[files.Length * per];
        for (int i = 0; i < files.Length; i++) ImageOps.ToTensorChw(ImageDecoder.Decode(files[i]), Size, channels, pixels.AsSpan(i * per, per));
        return pixels;
    }

    /// <summary>The ONNX graph's pooled output [N, 512] for R, G, B pixels in [0, 1], preprocessed as the package does with constant means (B, G, R order, 0–255, minus the mean).</summary>
    private static float[] OnnxPooled(string onnx, float[] rgb, int n)
    {
        float[] meanBgr = [103.06f, 115.90f, 123.15f];
        int plane = Size * Size;
        using var session = new InferenceSession(onnx);
        var name = session.InputMetadata.Keys.Single();
        var pooled = new List<float>();
        // The graph's batch dimension is fixed at 1.
        for (int i = 0; i < n; i++)
        {
            var input = new DenseTensor<float>([1, 3, Size, Size]);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < plane; p++)
                    input.Buffer.Span[c * plane + p] = rgb[(i * 3 + (2 - c)) * plane + p] * 255f - meanBgr[c];
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, input)]);
            pooled.AddRange(results.First().AsEnumerable<float>());
        }
        return pooled.ToArray();
    }

    private static float[] TorchPooled(float[] pixels, int n, int channels)
    {
        using var net = new PretrainedResNet(channels, 2, 0);
        var init = PretrainedWeights.TryLoad(net.Backbone);
        Assert.True(init.Loaded, init.Note);
        net.eval();
        var pre = Pretraining.Preprocessing(Size, channels, ["a", "b"]);
        using var x = Trainer.ToTensor(pixels, n, channels, Size, pre);
        using var noGrad = no_grad();
        using var pooled = net.Pooled(x);
        return pooled.data<float>().ToArray();
    }

    [Fact]
    public void Should_ReproduceTheOnnxGraphsPooledFeatures_When_GivenRealRadiographs()
    {
        // given the package's ONNX graph run by ONNX Runtime as the oracle, and four real radiographs
        if (Onnx() is not { } onnx || RealImages(4) is not { } files) return;
        var rgb = Pixels(files, 3);

        // when the TorchSharp network built from the converted checkpoint computes the pooled features
        var expected = OnnxPooled(onnx, rgb, files.Length);
        var actual = TorchPooled(rgb, files.Length, 3);

        // then they agree within 1e-4 everywhere
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"max |torch - onnx| over {expected.Length} pooled values: {maxDiff:E2} (largest value {expected.Max():F3})");
        Assert.True(maxDiff <= 1e-4, $"max difference {maxDiff}");
    }

    [Fact]
    public void Should_NearlyMatchTheRepeatedGreyInput_When_TheStemIsSummedForGreyImages()
    {
        // given grey radiographs, fed to the ONNX graph as three equal channels
        if (Onnx() is not { } onnx || RealImages(4) is not { } files) return;
        var grey = Pixels(files, 1);
        int plane = Size * Size;
        var repeated = new float[files.Length * 3 * plane];
        for (int i = 0; i < files.Length; i++)
            for (int c = 0; c < 3; c++) grey.AsSpan(i * plane, plane).CopyTo(repeated.AsSpan((i * 3 + c) * plane, plane));

        // when the one-channel network (stem summed over colour, one mean) computes its features
        var expected = OnnxPooled(onnx, repeated, files.Length);
        var actual = TorchPooled(grey, files.Length, 1);

        // then each image's features point the same way (only the stem's zero-padded border differs)
        for (int i = 0; i < files.Length; i++)
        {
            var e = expected.AsSpan(i * 512, 512).ToArray();
            var a = actual.AsSpan(i * 512, 512).ToArray();
            double cos = e.Zip(a).Sum(p => (double)p.First * p.Second) / Math.Sqrt(e.Sum(v => (double)v * v) * a.Sum(v => (double)v * v));
            output.WriteLine($"{Path.GetFileName(files[i])}: cosine {cos:F5}");
            Assert.True(cos > 0.999, $"cosine {cos}");
        }
    }

    [Fact]
    public void Should_ExposeFeatureMapsAtStrides8To32_When_GivenAnImage()
    {
        // given a backbone and a 224 px batch
        using var backbone = new ResNet18Backbone(3);
        backbone.eval();
        using var x = randn(2, 3, Size, Size);

        // when the feature maps are taken
        using var noGrad = no_grad();
        var (c3, c4, c5) = backbone.FeatureMaps(x);

        // then they have 128/256/512 channels at 28/14/7 px
        Assert.Equal([2L, 128, 28, 28], c3.shape);
        Assert.Equal([2L, 256, 14, 14], c4.shape);
        Assert.Equal([2L, 512, 7, 7], c5.shape);
        Assert.Equal(15_908_800, backbone.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Sum(kv => kv.Value.numel()));
    }

    [Fact]
    public void Should_TrainFromScratchWithANoteNamingTheFile_When_TheWeightsFileIsMissingOrCorrupt()
    {
        // given a missing path and a truncated copy of a file
        using var dir = new TempDir();
        var missing = dir.Combine("absent", "ResNet18.onnx");
        var corrupt = dir.Combine("ResNet18.onnx");
        File.WriteAllBytes(corrupt, [0x08, 0x03, 0x12, 0x04]);
        using var backbone = new ResNet18Backbone(3);

        // when the weights are loaded from each
        var a = PretrainedWeights.TryLoad(backbone, missing);
        var b = PretrainedWeights.TryLoad(backbone, corrupt);

        // then neither loads, and each note names the file and says training starts from scratch
        Assert.False(a.Loaded);
        Assert.Contains(missing, a.Note);
        Assert.Contains("from scratch", a.Note);
        Assert.False(b.Loaded);
        Assert.Contains(corrupt, b.Note);
        Assert.Contains("corrupt", b.Note);
    }

    [Fact]
    public void Should_ReadEveryInitialiserWithItsShape_When_ParsingTheOnnxFile()
    {
        // given the package's ONNX file
        if (Onnx() is not { } onnx) return;

        // when its initialisers are read with the protobuf reader
        var tensors = OnnxInitializers.Read(onnx);

        // then every row of the name table is there with the shape the table states, 15,908,800 values in all
        var mapping = PretrainedWeights.Mapping();
        Assert.Equal(110, mapping.Count);
        foreach (var (_, name, shape) in mapping) Assert.Equal(shape, tensors[name].Dims);
        Assert.Equal(15_908_800, mapping.Sum(m => tensors[m.Onnx].Data.LongLength));
    }
}
