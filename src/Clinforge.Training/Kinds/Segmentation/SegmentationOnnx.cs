using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training.Onnx;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// Writes a trained segmenter as one ONNX file holding its scoring pipeline after letterboxing: pixel
/// scaling, the normalisation it was trained with, the network (eval mode), the flip averaging when the
/// recipe uses it, and the softmax over classes. Input float32 [N, S, S, C] on the 0–255 scale (as an
/// image library gives pixels), output the class probabilities [N, K, S, S] of the letterboxed square;
/// mapping them back to the image's own pixels and removing small pieces stay with the caller (the
/// package's manifest and recipe say how).
/// </summary>
public static class SegmentationOnnx
{
    /// <summary>Writes <paramref name="model"/> with the recipe's inference settings and the preprocessing to <paramref name="path"/> (atomically).</summary>
    public static OnnxModelInfo Write(nn.Module<Tensor, Tensor> model, Recipe recipe, Preprocessing pre, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(pre);
        var seg = recipe.Segmentation ?? throw new ClinforgeException("ONNX export: not a segmentation recipe.");
        var clock = Stopwatch.StartNew();
        model.eval();
        // The graph reads one tile: the whole letterboxed square when it is no larger than a training
        // patch, else a patch-sized tile of it, which the caller cuts and blends (SlidingWindow).
        var window = new SlidingWindow(recipe.Input.Size, seg.PatchSize);
        int c = pre.Channels, size = window.Size, s = window.Tile, k = seg.ClassCount;
        string tiling = window.Whole ? "" : SlidingWindowNote(window);
        // Contrast preparation works on the image's own pixels before the letterbox, outside the graph.
        string contrast = ImageContrast.Describe(seg.Contrast) is { Length: > 0 } step ? $"first {step}; then " : "";
        var g = new OnnxGraph();
        g.Fresh(OnnxExport.InputName);
        var steps = new List<string>();
        var x = g.Node("Transpose", [OnnxExport.InputName], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        x = g.Node("Mul", [x, g.Constant("inv255", [1f / 255f])]);
        x = g.Node("Clip", [x, g.Constant("zero", [0f]), g.Constant("one", [1f])]);
        x = g.Node("Sub", [x, g.Constant("mean", pre.Mean, 1, c, 1, 1)]);
        x = g.Node("Div", [x, g.Constant("std", pre.Std, 1, c, 1, 1)]);
        steps.Add("transpose NHWC to NCHW, scale by 1/255, clip to [0, 1]");
        steps.Add(string.Create(CultureInfo.InvariantCulture, $"subtract [{string.Join(", ", pre.Mean)}] and divide by [{string.Join(", ", pre.Std)}] per channel ({pre.Scheme ?? "training-set statistics"})"));
        if (seg.FlipInference)
            x = g.Node("Concat", [x, Flip(g, x, 3), Flip(g, x, 2)], OnnxAttribute.Int("axis", 0));
        var p = g.Node("Softmax", [OnnxLayers.Write(g, model, x)], OnnxAttribute.Int("axis", 1));
        steps.Add($"network {recipe.Model.Name} (eval mode), softmax over background and {string.Join(", ", seg.Labels)}");
        if (seg.FlipInference)
        {
            // [3N, K, S, S] → [3, N, K, S, S]: the mirrored copies' maps are mirrored back and the three averaged.
            var parts = g.Node("Reshape", [p, g.Int64Constant("thirds", 3, -1, k, s, s)]);
            string Part(int i) => g.Node("Slice", [parts, g.Int64Constant($"part{i}_start", i), g.Int64Constant($"part{i}_end", i + 1), g.Int64Constant($"part{i}_axis", 0)]);
            p = g.Node("ReduceMean", [g.Node("Concat", [Part(0), Flip(g, Part(1), 4), Flip(g, Part(2), 3)], OnnxAttribute.Int("axis", 0))],
                OnnxAttribute.Ints("axes", 0), OnnxAttribute.Int("keepdims", 0));
            steps.Add("averaged with the horizontally and vertically mirrored image's maps, mirrored back");
        }
        g.Identity(p, OnnxExport.OutputName);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["labels"] = string.Join(",", seg.Labels),
            ["input"] = $"{OnnxExport.InputName}: float32 [N, {s}, {s}, {c}] NHWC, 0-255, {(c == 3 ? "RGB" : "grey")}; {contrast}letterbox the image to {size}x{size} (longer side to {size}, centred, padding with the image's mean){tiling}",
            ["output"] = $"{OnnxExport.OutputName}: float32 [N, {k}, {s}, {s}] probabilities of background, {string.Join(", ", seg.Labels)}",
            ["preprocessing_in_graph"] = string.Join("; ", steps),
        };
        var bytes = g.ToModel("clinforge_segmenter", OnnxExport.InputName, ["N", s, s, c], OnnxExport.OutputName, ["N", k, s, s], metadata,
            "Clinforge segmenter with its preprocessing: feed letterboxed pixels, read per-pixel class probabilities.");
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
        return new OnnxModelInfo
        {
            File = Path.GetFileName(path), Bytes = bytes.LongLength, Opset = OnnxGraph.Opset, IrVersion = OnnxGraph.IrVersion, Nodes = g.NodeCount, Parameters = g.ParameterCount,
            Input = new OnnxTensorInfo(OnnxExport.InputName, "float32", ["N", Str(s), Str(s), Str(c)], "NHWC",
                $"pixel values on the 0–255 scale, {(c == 3 ? "channels in R, G, B order" : "one grey channel")}; {contrast}letterbox: scale the longer side to {size}, centre, pad with the image's mean{tiling}"),
            Output = new OnnxTensorInfo(OnnxExport.OutputName, "float32", ["N", Str(k), Str(s), Str(s)], "NCHW",
                $"per-pixel probabilities of background, {string.Join(", ", seg.Labels)} on the {(window.Whole ? "letterboxed square" : "tile")}; {(window.Whole ? "" : "blend the tiles as the input says, ")}undo the letterbox and take the most probable class"),
            InGraph = steps,
            ExportSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>How a caller cuts the square into the graph's tiles and blends them, as <paramref name="window"/> does.</summary>
    public static string SlidingWindowNote(SlidingWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var starts = SlidingWindow.Starts(window.Size, window.Tile);
        return string.Create(CultureInfo.InvariantCulture,
            $", then cut it into {starts.Length}x{starts.Length} tiles of {window.Tile}x{window.Tile} starting at x, y in [{string.Join(", ", starts)}]; weight each tile's probabilities by a Gaussian centred on the tile (sigma {window.Tile / 8.0:0.##} px), sum and divide by the summed weights");
    }

    /// <summary>Loads a trial's segmenter and writes model.onnx into <paramref name="directory"/>.</summary>
    public static OnnxModelInfo WriteTrial(TrialPaths trial, string directory)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var (model, pre, recipe) = SegmentationPredictor.Load(trial.Recipe, trial.Preprocessing, trial.Model);
        using (model)
            return Write(model, recipe, pre, Path.Combine(directory, OnnxExport.FileName));
    }

    // Reverses one axis: Slice from the last element backwards with step −1.
    private static string Flip(OnnxGraph g, string x, long axis) =>
        g.Node("Slice", [x, g.Int64Constant("flip_start", -1), g.Int64Constant("flip_end", long.MinValue), g.Int64Constant("flip_axis", axis), g.Int64Constant("flip_step", -1)]);
}
