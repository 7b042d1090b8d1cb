using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using Clinforge.Training.Onnx;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Clinforge.Tests;

/// <summary>Fold and seed ensembles of pretrained networks with frozen stages: those stages stored, computed and exported once.</summary>
[Collection(InProcessTraining.Name)]
public sealed class SharedEnsembleTests(ITestOutputHelper output)
{
    /// <summary>Three head-only networks on the package's weights, each with its own random head.</summary>
    private static List<PretrainedResNet> HeadOnlyMembers(int count)
    {
        random.manual_seed(3);
        var members = new List<PretrainedResNet>();
        for (int i = 0; i < count; i++)
        {
            var net = new PretrainedResNet(3, 2, 0);
            Assert.True(PretrainedWeights.TryLoad(net.Backbone).Loaded);
            net.Freeze(4);
            members.Add(net);
        }
        return members;
    }

    [Fact]
    public void Should_StoreTheFrozenBackboneOnceAndPredictTheSame_When_HeadOnlyFoldModelsAreAveraged()
    {
        // given three head-only networks on the same pretrained weights and 12 real radiographs
        if (!File.Exists(PretrainedWeights.OnnxPath())) { output.WriteLine($"skipped: {PretrainedWeights.OnnxPath()} is absent"); return; }
        var folder = Repo.SharedData is { } data ? Path.Combine(data, "bone-fracture", "val", "images") : null;
        if (folder is null || !Directory.Exists(folder)) { output.WriteLine("skipped: ../shared/data/bone-fracture is absent"); return; }
        var files = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(12).ToList();
        var ds = Dataset.InMemory(folder, ["a", "b"], files.Select((f, i) => new DataItem(f, i % 2)).ToArray(), files.Select(ImageDecoder.Decode).ToArray());
        var set = ImageSets.Load(ds, ds.Items, new InputSpec(64, 3));
        var pre = Pretraining.Preprocessing(64, 3, ["a", "b"]);
        using var tmp = new TempDir();
        var members = HeadOnlyMembers(3);
        using var x = Trainer.ToTensor(set, pre);
        var separate = members.Select(m => Trainer.Predict(m, x, null, false, CPU).Probabilities).ToList();

        // when they are averaged as a fold ensemble and saved
        using var ensemble = SeedEnsemble.Shared([.. members]);
        var single = tmp.Combine("single.bin");
        members[0].save(single);
        var file = tmp.Combine("model.bin");
        ensemble.save(file);

        // then the whole backbone is shared, the file is about one network, not three
        Assert.Equal(4, ensemble.SharedStages);
        long one = new FileInfo(single).Length, three = new FileInfo(file).Length;
        output.WriteLine($"one network {one >> 20} MB, the shared ensemble of three {three >> 20} MB");
        Assert.True(three < one * 1.1, $"{three} bytes for three members sharing their backbone, {one} for one");

        // and loaded again (as a trial's model), it predicts the mean of the members' probabilities
        using var loaded = TrialPlans.CreateModel(new Recipe { Input = new InputSpec(64, 3), Model = new ModelSpec("resnet18_pretrained", 8, 1) },
            pre with { FoldModels = 3, SharedStages = 4 });
        loaded.load(file);
        var p = Trainer.Predict(loaded, x, null, false, CPU).Probabilities;
        for (int i = 0; i < set.Count; i++)
            Assert.Equal(separate.Average(s => s[i][1]), p[i][1], 1e-5);
        Assert.True(p.Max(q => q[1]) - p.Min(q => q[1]) > 1e-3, "every image got the same probability");

        // and its ONNX export holds the backbone once and agrees with TorchSharp within 1e-4
        var onnx = tmp.Combine("model.onnx");
        OnnxExport.Write(loaded, new Recipe { Input = new InputSpec(64, 3), Model = new ModelSpec("resnet18_pretrained", 8, 1) }, pre, onnx);
        Assert.True(new FileInfo(onnx).Length < one * 1.1, $"ONNX file {new FileInfo(onnx).Length} bytes");
        var fromOnnx = OnnxExportTests.RunOnnx(onnx, set);
        for (int i = 0; i < set.Count; i++) Assert.Equal(p[i][1], fromOnnx[i][1], 1e-4);
        foreach (var m in members) m.Dispose();
    }

    [Fact]
    public void Should_ShareOnlyTheStagesThatAreIdentical_When_AMemberFineTunedItsLastStage()
    {
        // given three pretrained networks, one of which changed its last stage (partial fine-tuning with stages 1–3 frozen)
        if (!File.Exists(PretrainedWeights.OnnxPath())) { output.WriteLine($"skipped: {PretrainedWeights.OnnxPath()} is absent"); return; }
        var members = HeadOnlyMembers(3);
        using (no_grad())
            foreach (var (name, t) in members[2].state_dict().Where(kv => kv.Key.StartsWith("backbone.layer4.", StringComparison.Ordinal) && kv.Key.EndsWith("weight", StringComparison.Ordinal)))
                t.add_(0.01);

        // when they are averaged
        using var ensemble = SeedEnsemble.Shared([.. members]);

        // then the stem and stages 1–3 are shared, stage 4 is each member's own
        Assert.Equal(3, ensemble.SharedStages);
        // and a network from scratch shares nothing
        using var scratch = SeedEnsemble.Shared([new PretrainedResNet(3, 2, 0), new PretrainedResNet(3, 2, 0)]);
        Assert.Equal(0, scratch.SharedStages);
        foreach (var m in members) m.Dispose();
    }
}
