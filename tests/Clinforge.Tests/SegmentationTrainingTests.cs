using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;
using Clinforge.Training;
using Clinforge.Training.Onnx;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using static TorchSharp.torch;

namespace Clinforge.Tests;

/// <summary>The segmentation networks, loss, inference mapping and training loop, in the test process.</summary>
[Collection(InProcessTraining.Name)]
public sealed class SegmentationTrainingTests
{
    [Theory]
    [InlineData("unet_resnet18", 32, 1, 3)]
    [InlineData("unet_resnet18", 32, 1, 1)]
    [InlineData("unet", 16, 3, 3)]
    public void Should_ForwardAndBackwardAtFullResolution_When_EachRegisteredSegmenterIsBuilt(string name, int width, int depth, int channels)
    {
        // given: every registered segmenter, three output maps (background + two labels), a batch of two 64-px images
        Assert.Contains(name, ModelRegistry.SegmenterNames);
        random.manual_seed(4);
        using var model = ModelRegistry.Create(new ModelSpec(name, width, depth), channels, 3);
        using var scope = NewDisposeScope();
        var target = randint(0, 3, [2, 64, 64], dtype: ScalarType.Int64);
        var region = ones(2, 64, 64);

        // when
        var output = model.forward(randn(2, channels, 64, 64));
        var loss = SegmentationLoss.Compute(output, target, region, new SegmentationRecipe { Labels = ["a", "b"] });
        loss.backward();

        // then: one logit map per class at the input's resolution, a finite loss, a gradient for every parameter
        Assert.Equal(new long[] { 2, 3, 64, 64 }, output.shape);
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Theory]
    [InlineData("dice_ce")]
    [InlineData("dice_focal")]
    [InlineData("tversky")]
    public void Should_IgnorePixelsOutsideTheRegion_When_TheLossIsComputed(string lossName)
    {
        // given: logits, labels and a region that excludes the right half
        random.manual_seed(5);
        using var scope = NewDisposeScope();
        var seg = new SegmentationRecipe { Loss = lossName };
        var logits = randn(2, 2, 16, 16);
        var target = randint(0, 2, [2, 16, 16], dtype: ScalarType.Int64);
        var region = ones(2, 16, 16);
        region[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(8, null)] = zeros(2, 16, 8);

        // when: the logits and labels change only outside the region
        var changedLogits = logits.clone();
        changedLogits[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(8, null)] = randn(2, 2, 16, 8) * 10;
        var changedTarget = target.clone();
        changedTarget[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(8, null)] = 1 - target[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(8, null)];
        double before = SegmentationLoss.Compute(logits, target, region, seg).item<float>();
        double after = SegmentationLoss.Compute(changedLogits, changedTarget, region, seg).item<float>();

        // then: the loss is the same; and a confident right answer scores lower than a confident wrong one
        Assert.Equal(before, after, 5);
        var right = nn.functional.one_hot(target, 2).permute(0, 3, 1, 2).to_type(ScalarType.Float32) * 20 - 10;
        Assert.True(SegmentationLoss.Compute(right, target, region, seg).item<float>() < SegmentationLoss.Compute(-right, target, region, seg).item<float>() - 0.5);
    }

    [Fact]
    public void Should_GiveBackTheSameLabels_When_AMaskGoesIntoTheLetterboxAndBack()
    {
        // given: a 60×40 label map with two labels, letterboxed into a 64-px square
        var map = new byte[60 * 40];
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 60; x++)
                map[y * 60 + x] = (byte)(x is > 10 and < 30 && y is > 5 and < 35 ? 1 : x > 40 && y > 20 ? 2 : 0);
        var frame = Letterbox.Frame(60, 40, 64);
        var square = new byte[64 * 64];
        SegmentationSet.ToSquare(map, frame, square);
        var inside = new byte[64 * 64];
        SegmentationSet.InsideImage(frame, inside);

        // when: the square's labels become one-hot probabilities and are mapped back to the image's pixels
        var probabilities = new float[3 * 64 * 64];
        for (int p = 0; p < square.Length; p++) probabilities[square[p] * 64 * 64 + p] = 1;
        var back = SegmentationPredictor.ToImage(probabilities, 3, frame);

        // then: the padding is outside the image, and at most the pixels along label edges differ (interpolation at a 0.94 px scale)
        Assert.Equal(64 * (int)Math.Round(40 * frame.Scale), inside.Sum(b => b));
        int differ = map.Zip(back).Count(p => p.First != p.Second);
        Assert.True(differ < map.Length / 40, $"{differ} of {map.Length} pixels differ");
        Assert.Equal(map.Count(v => v == 2), back.Count(v => v == 2), (double)map.Length / 60);
    }

    [Fact]
    public void Should_RemoveOnlySmallPieces_When_SmallComponentsArePostProcessed()
    {
        // given: a 10×10 map with one 3-pixel speck and one 12-pixel bar of label 1, and a 2-pixel speck of label 2
        var map = new byte[100];
        map[0] = map[1] = map[11] = 1;
        for (int x = 0; x < 6; x++) map[50 + x] = map[60 + x] = 1;
        map[98] = map[99] = 2;

        // when
        int removed = SegmentationPostprocess.RemoveSmallComponents(map, 10, 10, 4);

        // then: both specks are gone, the bar stays
        Assert.Equal(5, removed);
        Assert.Equal(12, map.Count(v => v == 1));
        Assert.Equal(0, map.Count(v => v == 2));
    }

    [Theory]
    [InlineData(ContrastModes.None)]
    [InlineData(ContrastModes.Clahe)]
    public void Should_HoldImagesAsBytesThatNormaliseAsTheirFloatsWould_When_ASegmentationSetIsLoaded(string contrast)
    {
        // given: 6 generated image/mask pairs (96 × 88 px) letterboxed to 128 px, with the contrast mode
        using var tmp = new TempDir();
        var ds = SegmentationReader.Read(SyntheticSegmentation.WriteFolder(tmp.Combine("data"), 6, seed: 4));
        var input = new InputSpec(128, 3);
        var pre = new Preprocessing(128, 3, [0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.2f], ["vessel"]);

        // when: loaded as a segmentation set, and each image letterboxed to floats as inference does
        var set = SegmentationSet.Load(ds, ds.Items, input, contrast);
        using var scope = NewDisposeScope();
        var fromBytes = Trainer.Normalize(set.PixelTensor(), pre);
        var floats = new float[6 * 3 * 128 * 128];
        for (int i = 0; i < 6; i++)
            Letterbox.ToTensorChw(ImageContrast.Prepare(ds.Load(ds.Items[i]), contrast), 128, 3, floats.AsSpan(i * 3 * 128 * 128, 3 * 128 * 128));
        var fromFloats = Trainer.ToTensor(floats, 6, 3, 128, pre);

        // then: one byte per value, and the network's input from them within half a grey level (over the smallest std) of the floats'
        Assert.Equal(6 * 3 * 128 * 128, set.Pixels.Length);
        Assert.Equal(ScalarType.Byte, set.PixelTensor().dtype);
        double worst = (fromBytes - fromFloats).abs().max().item<float>();
        Assert.True(worst <= 0.5 / 255 / 0.2 + 1e-5, $"largest difference {worst:E2}");
        var stats = Trainer.ComputePreprocessing(set.Pixels, 6, 3, 128, ["vessel"]);
        var reference = Trainer.ComputePreprocessing(floats, 6, 3, 128, ["vessel"]);
        for (int c = 0; c < 3; c++) Assert.Equal(reference.Mean[c], stats.Mean[c], 0.002);
    }

    [Fact]
    public void Should_LearnToOutlineStrands_When_AUNetTrainsOnGeneratedPairs()
    {
        // given: 28 generated image/mask pairs with a field of view, split 20 / 8
        using var tmp = new TempDir();
        var ds = SegmentationReader.Read(SyntheticSegmentation.WriteFolder(tmp.Combine("data"), 28, seed: 3, width: 64, height: 64));
        var recipe = new Recipe
        {
            Input = new InputSpec(64, 3), Model = new ModelSpec("unet", 16, 3), BatchSize = 4, MaxEpochs = 400, Seed = 3,
            Optimizer = new OptimizerSpec("adamw", LearningRate: 3e-3, WeightDecay: 1e-4, Schedule: "cosine", GradClip: 5),
            Augmentation = new AugmentationSpec(HorizontalFlip: 0.5, VerticalFlip: 0.5),
            Segmentation = new SegmentationRecipe { PatchSize = 64, PatchesPerImage = 2, Labels = ["strand"] },
        };
        NativeRuntime.Initialize(2, recipe.Seed);
        var train = SegmentationSet.Load(ds, ds.Items.Take(20).ToList(), recipe.Input, ContrastModes.None);
        var val = SegmentationSet.Load(ds, ds.Items.Skip(20).ToList(), recipe.Input, ContrastModes.None);
        var paths = new TrialPaths(tmp.Combine("trial"));
        Directory.CreateDirectory(paths.Root);

        // when: it trains for 40 s, judged by mean Dice
        var outcome = new SegmentationTrainer(_ => { }).Train(recipe, train, val,
            (truth, predicted, region, size) => SegmentationObjective.Score(SegmentationMetricNames.Dice, truth, predicted, region, size, size, 1),
            DateTime.UtcNow.AddSeconds(40), paths);

        // then: it outlines the strands (Dice well above what marking nothing or everything gives) and keeps one score per validation image
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.True(outcome.Metrics.Best!.Objective > 0.6, $"validation Dice {outcome.Metrics.Best.Objective:F3} after {outcome.Metrics.Epochs} epochs");
        Assert.Equal(8, outcome.BestValPerImage.Count);
        Assert.Equal(outcome.Metrics.Best.Objective, outcome.BestValPerImage.Average(), 9);

        // and the saved model, reloaded, outlines the validation images at their own size about as well
        var maps = SegmentationTrialWorker.Predict(WithRecipe(paths, recipe), ds, ds.Items.Skip(20).ToList());
        var masks = ds.Segmentation!;
        double dice = ds.Items.Skip(20).Select((item, i) => SegmentationMetrics.Score(item.Id, masks.Labels(item.Id), maps[i], masks.Region(item.Id) ?? [], 64, 64, 1).Dice).Average();
        Assert.True(Math.Abs(dice - outcome.Metrics.Best.Objective) < 0.05, $"reloaded {dice:F3} vs trained {outcome.Metrics.Best.Objective:F3}");
    }

    private static TrialPaths WithRecipe(TrialPaths paths, Recipe recipe)
    {
        Json.Write(paths.Recipe, recipe);
        return paths;
    }
}

/// <summary>package/model.onnx of a segmenter against TorchSharp, with ONNX Runtime as the oracle.</summary>
[Collection(InProcessTraining.Name)]
public sealed class SegmentationOnnxTests
{
    /// <summary>Three real fundus photographs when ../shared/data is there, three generated images otherwise.</summary>
    private static List<RawImage> FundusImages(TempDir tmp)
    {
        var drive = Repo.SharedData is { } shared ? Path.Combine(shared, "drive", "training", "images") : null;
        var folder = drive is not null && Directory.Exists(drive) ? drive : Path.Combine(SyntheticSegmentation.WriteFolder(tmp.Combine("gen"), 3, seed: 1), "images");
        return Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).Take(3).Select(ImageDecoder.Decode).ToList();
    }

    [Theory]
    [InlineData("unet_resnet18", 32, 1, false)]
    [InlineData("unet_resnet18", 32, 1, true)]
    [InlineData("unet", 16, 3, true)]
    public void Should_GiveTorchSharpsProbabilities_When_ASegmenterRunsInOnnxRuntime(string name, int width, int depth, bool flips)
    {
        // given: a registered segmenter with perturbed batch-norm statistics (so eval mode matters), three classes, and
        // real fundus photographs letterboxed to 64 px when ../shared/data is there (generated ones otherwise)
        using var tmp = new TempDir();
        random.manual_seed(6);
        var recipe = new Recipe
        {
            Input = new InputSpec(64, 3), Model = new ModelSpec(name, width, depth),
            Segmentation = new SegmentationRecipe { Labels = ["a", "b"], FlipInference = flips },
        };
        using var model = ModelRegistry.Create(recipe.Model, 3, 3);
        OnnxExportTests.Perturb(model);
        var pre = new Preprocessing(64, 3, [0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.2f], ["a", "b"]);
        var images = FundusImages(tmp);

        // when: exported and run by ONNX Runtime on the letterboxed 0–255 pixels, and by TorchSharp on the same pixels
        var info = SegmentationOnnx.Write(model, recipe, pre, tmp.Combine("model.onnx"));
        using var session = new InferenceSession(tmp.Combine("model.onnx"));
        double worst = 0;
        foreach (var image in images)
        {
            var chw = new float[3 * 64 * 64];
            Letterbox.ToTensorChw(image, 64, 3, chw);
            var hwc = new float[chw.Length];
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 64 * 64; p++) hwc[p * 3 + c] = chw[c * 64 * 64 + p] * 255f;
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, new DenseTensor(hwc, [1, 64, 64, 3]))]);
            var onnx = outputs[0].AsTensor<float>().ToArray();
            using var scope = NewDisposeScope();
            model.eval();
            using var noGrad = no_grad();
            var torch = SegmentationPredictor.Probabilities(model, Trainer.ToTensor(chw, 1, 3, 64, pre), recipe.Segmentation).data<float>().ToArray();
            Assert.True(onnx.All(float.IsFinite), $"ONNX Runtime gave {onnx.Count(v => !float.IsFinite(v))} non-finite probabilities");
            Assert.True(torch.All(float.IsFinite), $"TorchSharp gave {torch.Count(v => !float.IsFinite(v))} non-finite probabilities");
            worst = Math.Max(worst, onnx.Zip(torch).Max(p => Math.Abs(p.First - p.Second)));
        }

        // then: [N, 3, 64, 64] probabilities within 1e-4 of TorchSharp's everywhere
        Assert.Equal(["N", "3", "64", "64"], info.Output.Shape);
        Assert.True(worst < 1e-4, $"largest difference {worst:E2}");
        Assert.Equal("a,b", session.ModelMetadata.CustomMetadataMap["labels"]);
    }

    [Fact]
    public void Should_SayHowToPrepareContrast_When_TheRecipeEqualisesItOutsideTheGraph()
    {
        // given: a small pretrained U-Net whose recipe equalises each channel locally (CLAHE) before the letterbox
        using var tmp = new TempDir();
        var recipe = new Recipe
        {
            Input = new InputSpec(64, 3), Model = new ModelSpec("unet_resnet18", 32, 1),
            Segmentation = new SegmentationRecipe { Labels = ["vessel"], PatchSize = 64, Contrast = ContrastModes.Clahe },
        };
        using var model = ModelRegistry.Create(recipe.Model, 3, 2);
        var pre = new Preprocessing(64, 3, [0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.2f], ["vessel"]);

        // when: exported
        var info = SegmentationOnnx.Write(model, recipe, pre, tmp.Combine("model.onnx"));
        using var session = new InferenceSession(tmp.Combine("model.onnx"));

        // then: the graph's metadata and the package's description both name the step, before the letterbox
        var input = session.ModelMetadata.CustomMetadataMap["input"];
        Assert.Contains("CLAHE", input, StringComparison.Ordinal);
        Assert.True(input.IndexOf("CLAHE", StringComparison.Ordinal) < input.IndexOf("letterbox", StringComparison.Ordinal), input);
        Assert.Contains("8x8 tiles", info.Input.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_BlendTheSameTilesInOnnxRuntimeAsInTorchSharp_When_TheSquareIsLargerThanATrainingPatch(bool flips)
    {
        // given: the pretrained U-Net with perturbed batch-norm statistics, 160-px squares and 64-px training patches
        // (3 × 3 overlapping tiles), and three real fundus photographs when ../shared/data is there
        using var tmp = new TempDir();
        random.manual_seed(8);
        var recipe = new Recipe
        {
            Input = new InputSpec(160, 3), Model = new ModelSpec("unet_resnet18", 32, 1),
            Segmentation = new SegmentationRecipe { Labels = ["vessel"], PatchSize = 64, FlipInference = flips },
        };
        using var model = ModelRegistry.Create(recipe.Model, 3, 2);
        OnnxExportTests.Perturb(model);
        var pre = new Preprocessing(160, 3, [0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.2f], ["vessel"]);
        var images = FundusImages(tmp);

        // when: the graph (one 64-px tile in) runs in ONNX Runtime on the tiles cut and blended by the package's
        // ONNX path, and TorchSharp's inference reads the same squares
        var info = SegmentationOnnx.Write(model, recipe, pre, tmp.Combine("model.onnx"));
        using var session = new InferenceSession(tmp.Combine("model.onnx"));
        double worst = 0;
        int tileCalls = 0;
        foreach (var image in images)
        {
            var chw = new float[3 * 160 * 160];
            Letterbox.ToTensorChw(image, 160, 3, chw);
            var onnx = SegmentationPredictor.ProbabilitiesOfTiles(chw, 3, 160, recipe.Segmentation, (hwc, n, t) =>
            {
                tileCalls++;
                using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, new DenseTensor(hwc, [n, t, t, 3]))]);
                return outputs[0].AsTensor<float>().ToArray();
            });
            using var scope = NewDisposeScope();
            model.eval();
            using var noGrad = no_grad();
            var torch = SegmentationPredictor.Probabilities(model, Trainer.ToTensor(chw, 1, 3, 160, pre), recipe.Segmentation).data<float>().ToArray();
            Assert.Equal(2 * 160 * 160, onnx.Length);
            Assert.True(onnx.All(float.IsFinite) && torch.All(float.IsFinite));
            worst = Math.Max(worst, onnx.Zip(torch).Max(p => Math.Abs(p.First - p.Second)));
        }

        // then: the graph reads 64-px tiles, nine per square, its metadata says how to cut and blend them,
        // and the blended probabilities agree with TorchSharp's within 1e-4
        Assert.Equal(["N", "64", "64", "3"], info.Input.Shape);
        Assert.Equal(3 * 9 / SegmentationPredictor.TileBatch, tileCalls);
        Assert.Contains("3x3 tiles of 64x64 starting at x, y in [0, 48, 96]", session.ModelMetadata.CustomMetadataMap["input"], StringComparison.Ordinal);
        Assert.True(worst < 1e-4, $"largest difference {worst:E2}");
    }
}
