using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training.Onnx;

/// <summary>
/// Writes a trained classifier as one ONNX file that holds the whole scoring pipeline after decoding
/// and resizing: pixel scaling, the training set's per-channel normalisation, the network (eval mode),
/// test-time flip averaging when the recipe uses it, and the softmax. A network exported without its
/// pipeline is not deployable (the request users of nnU-Net and TotalSegmentator keep making), so the
/// graph takes the pixels as an image library gives them: float32 [N, S, S, C] on the 0–255 scale.
/// </summary>
public static class OnnxExport
{
    /// <summary>The file name inside a package.</summary>
    public const string FileName = "model.onnx";

    /// <summary>The graph's input name.</summary>
    public const string InputName = "image";

    /// <summary>The graph's output name.</summary>
    public const string OutputName = "probabilities";

    /// <summary>Loads the trial's model (model.bin, recipe.json, preprocessing.json) and writes <see cref="FileName"/> into <paramref name="directory"/>.</summary>
    public static OnnxModelInfo WriteTrial(TrialPaths trial, string directory)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var recipe = Json.Read<Recipe>(trial.Recipe);
        if (recipe.Segmentation is not null) return SegmentationOnnx.WriteTrial(trial, directory);
        var pre = Json.Read<Preprocessing>(trial.Preprocessing);
        using var model = TrialPlans.CreateModel(recipe, pre);
        model.load(trial.Model);
        return Write(model, recipe, pre, Path.Combine(directory, FileName));
    }

    /// <summary>Writes <paramref name="model"/> with the recipe's inference settings and the preprocessing to <paramref name="path"/> (atomically).</summary>
    public static OnnxModelInfo Write(nn.Module<Tensor, Tensor> model, Recipe recipe, Preprocessing pre, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(pre);
        var clock = Stopwatch.StartNew();
        model.eval();
        int c = pre.Channels, s = pre.Size, k = pre.Classes.Count;
        var g = new OnnxGraph();
        g.Fresh(InputName); // reserved: no node output may take the input's name
        var steps = new List<string>();

        // [N, S, S, C] → [N, C, S, S], then exactly Clinforge.Data.ImageOps: x · (1/255) clamped to [0, 1].
        var x = g.Node("Transpose", [InputName], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        steps.Add("transpose NHWC to NCHW");
        x = g.Node("Mul", [x, g.Constant("inv255", [1f / 255f])]);
        x = g.Node("Clip", [x, g.Constant("zero", [0f]), g.Constant("one", [1f])]);
        steps.Add("scale by 1/255 and clip to [0, 1]");
        // Trainer.ToTensor: (x − mean) / std per channel, statistics of the training split.
        x = g.Node("Sub", [x, g.Constant("mean", pre.Mean, 1, c, 1, 1)]);
        x = g.Node("Div", [x, g.Constant("std", pre.Std, 1, c, 1, 1)]);
        steps.Add(string.Create(CultureInfo.InvariantCulture, $"subtract the training mean [{Floats(pre.Mean)}] and divide by the standard deviation [{Floats(pre.Std)}] per channel (0–1 scale)"));
        if (recipe.TestTimeAugmentation)
        {
            // Trainer.Predict's test-time augmentation: the horizontal flip rides along as a second half
            // of the batch (one copy of the weights), and the two halves' probabilities are averaged.
            var flipped = g.Node("Slice", [x, g.Int64Constant("flip_start", -1), g.Int64Constant("flip_end", long.MinValue),
                g.Int64Constant("flip_axis", 3), g.Int64Constant("flip_step", -1)]);
            x = g.Node("Concat", [x, flipped], OnnxAttribute.Int("axis", 0));
        }
        var logits = OnnxLayers.Write(g, model, x);
        steps.Add($"network ({Describe(recipe)}), eval mode");
        var p = g.Node("Softmax", [logits], OnnxAttribute.Int("axis", 1));
        if (recipe.TestTimeAugmentation)
        {
            p = g.Node("Reshape", [p, g.Int64Constant("halves", 2, -1, k)]);
            p = g.Node("ReduceMean", [p], OnnxAttribute.Ints("axes", 0), OnnxAttribute.Int("keepdims", 0));
            steps.Add("softmax, averaged with the horizontally flipped image's (test-time augmentation)");
        }
        else
        {
            steps.Add("softmax over the classes");
        }
        g.Identity(p, OutputName);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["classes"] = string.Join(",", pre.Classes),
            ["input"] = $"{InputName}: float32 [N, {s}, {s}, {c}] NHWC, 0-255, {(c == 3 ? "RGB" : "grey")}; resize the shorter side to {s} and centre-crop",
            ["output"] = $"{OutputName}: float32 [N, {k}] class probabilities",
            ["preprocessing_in_graph"] = string.Join("; ", steps),
        };
        var bytes = g.ToModel("clinforge_classifier", InputName, ["N", s, s, c], OutputName, ["N", k], metadata,
            "Clinforge classifier with its preprocessing: feed resized pixels, read class probabilities.");
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        clock.Stop();
        return new OnnxModelInfo
        {
            File = Path.GetFileName(path),
            Bytes = bytes.LongLength,
            Opset = OnnxGraph.Opset,
            IrVersion = OnnxGraph.IrVersion,
            Nodes = g.NodeCount,
            Parameters = g.ParameterCount,
            Input = new OnnxTensorInfo(InputName, "float32", ["N", Str(s), Str(s), Str(c)], "NHWC",
                $"pixel values on the 0–255 scale, {(c == 3 ? "channels in R, G, B order" : "one grey channel")}; resize so the shorter side is {s} (area averaging when shrinking, bilinear when enlarging) and crop the centre {s}×{s}"),
            Output = new OnnxTensorInfo(OutputName, "float32", ["N", Str(k)], "NC",
                $"class probabilities in the order {string.Join(", ", pre.Classes)}; apply the manifest's operating point"),
            InGraph = steps,
            ExportSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static string Describe(Recipe r) =>
        $"{r.Model.Name} width {r.Model.Width} depth {r.Model.Depth}{(r.EnsembleSize > 1 ? $", ensemble of {r.EnsembleSize}" : "")}";

    private static string Floats(float[] xs) => string.Join(", ", xs.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)));

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
}
