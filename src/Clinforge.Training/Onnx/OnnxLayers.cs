using Clinforge.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Clinforge.Training.Onnx;

/// <summary>
/// TorchSharp's standard layers as ONNX nodes (eval-mode semantics: batch norm with its running
/// statistics, dropout as the identity), and a walker that writes a <c>Sequential</c> child by child.
/// Each helper reads the layer's own settings (stride, padding, epsilon), so a description cannot
/// drift from the module it describes.
/// </summary>
public static class OnnxLayers
{
    /// <summary>
    /// Writes <paramref name="module"/>: a module that describes itself (<see cref="IOnnxExportable"/>),
    /// a <c>Sequential</c> (its children in order), or one of the standard layers; anything else is
    /// refused with the layer's name, so an export never silently drops a computation.
    /// </summary>
    public static string Write(OnnxGraph graph, nn.Module module, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(module);
        return module switch
        {
            IOnnxExportable self => self.ExportOnnx(graph, input),
            Sequential seq => seq.named_children().Aggregate(input, (x, child) => Write(graph, child.module, x)),
            SafeConv2d conv => Conv(graph, conv, input),
            Conv2d conv => Conv(graph, conv, input),
            BatchNorm2d bn => BatchNorm(graph, bn, input),
            ReLU => Relu(graph, input),
            MaxPool2d pool => MaxPool(graph, pool, input),
            Linear linear => Gemm(graph, linear, input),
            Flatten => graph.Node("Flatten", [input], OnnxAttribute.Int("axis", 1)),
            Dropout or Identity => input,
            _ => throw new ClinforgeException($"ONNX export: layer '{module.GetName()}' ({module.GetType().Name}) has no ONNX description; describe its model with {nameof(IOnnxExportable)}."),
        };
    }

    /// <summary>
    /// Bilinear ×2 upsampling as TorchSharp's <c>interpolate(..., Bilinear, align_corners: false)</c>
    /// computes it: ONNX Resize with <c>half_pixel</c> coordinates and <c>linear</c> mode (the two agree
    /// for every output size above one).
    /// </summary>
    public static string Upsample2(OnnxGraph graph, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Resize", [input, "", graph.Constant("up2", [1f, 1f, 2f, 2f], 4)],
            OnnxAttribute.Text("mode", "linear"), OnnxAttribute.Text("coordinate_transformation_mode", "half_pixel"));
    }

    /// <summary>Conv (weights [out, in/groups, kh, kw], optional bias), zero padding only.</summary>
    public static string Conv(OnnxGraph graph, Conv2d conv, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(conv);
        if (conv.padding_mode != PaddingModes.Zeros || conv.padding is null)
            throw new ClinforgeException($"ONNX export: convolution '{conv.GetName()}' uses {(conv.padding is null ? "'same'/'valid' padding" : conv.padding_mode + " padding")}; only explicit zero padding is exported.");
        var inputs = new List<string> { Parameter(graph, "conv_w", conv.weight) };
        if (conv.bias is { } b) inputs.Add(Parameter(graph, "conv_b", b));
        inputs.Insert(0, input);
        var pads = conv.padding.Concat(conv.padding).ToArray(); // ONNX: all begins, then all ends
        return graph.Node("Conv", inputs,
            OnnxAttribute.Ints("kernel_shape", conv.kernel_size),
            OnnxAttribute.Ints("strides", conv.stride),
            OnnxAttribute.Ints("pads", pads),
            OnnxAttribute.Ints("dilations", conv.dilation),
            OnnxAttribute.Int("group", conv.groups));
    }

    /// <summary>Conv for <see cref="SafeConv2d"/> (square kernel, stride and zero padding; its filter padding is a training-time detail).</summary>
    public static string Conv(OnnxGraph graph, SafeConv2d conv, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(conv);
        var inputs = new List<string> { input, Parameter(graph, "conv_w", conv.Weight) };
        if (conv.Bias is { } b) inputs.Add(Parameter(graph, "conv_b", b));
        long p = conv.Padding, s = conv.Stride, k = conv.KernelSize;
        return graph.Node("Conv", inputs,
            OnnxAttribute.Ints("kernel_shape", k, k),
            OnnxAttribute.Ints("strides", s, s),
            OnnxAttribute.Ints("pads", p, p, p, p),
            OnnxAttribute.Ints("dilations", 1, 1),
            OnnxAttribute.Int("group", 1));
    }

    /// <summary>BatchNormalization with the running statistics (inference form).</summary>
    public static string BatchNorm(OnnxGraph graph, BatchNorm2d bn, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(bn);
        if (bn.running_mean is null || bn.running_var is null)
            throw new ClinforgeException($"ONNX export: batch norm '{bn.GetName()}' keeps no running statistics; it cannot be exported in eval form.");
        long c = bn.running_mean.shape[0];
        var scale = bn.weight is { } w ? Parameter(graph, "bn_scale", w) : graph.Constant("bn_scale", Enumerable.Repeat(1f, (int)c).ToArray(), c);
        var bias = bn.bias is { } b ? Parameter(graph, "bn_bias", b) : graph.Constant("bn_bias", new float[c], c);
        return graph.Node("BatchNormalization",
            [input, scale, bias, Parameter(graph, "bn_mean", bn.running_mean), Parameter(graph, "bn_var", bn.running_var)],
            OnnxAttribute.Float("epsilon", (float)bn.eps));
    }

    /// <summary>Relu.</summary>
    public static string Relu(OnnxGraph graph, string input) => Graph(graph).Node("Relu", [input]);

    /// <summary>Element-wise sum (a residual connection).</summary>
    public static string Add(OnnxGraph graph, string a, string b) => Graph(graph).Node("Add", [a, b]);

    /// <summary>MaxPool (stride defaults to the kernel, as in PyTorch).</summary>
    public static string MaxPool(OnnxGraph graph, MaxPool2d pool, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(pool);
        var k = pool.kernel_size;
        var stride = pool.stride ?? k;
        var padding = pool.padding ?? new long[k.Length];
        var dilation = pool.dilation ?? Enumerable.Repeat(1L, k.Length).ToArray();
        if (dilation.Any(d => d != 1))
            throw new ClinforgeException($"ONNX export: max pool '{pool.GetName()}' is dilated; not exported.");
        return graph.Node("MaxPool", [input],
            OnnxAttribute.Ints("kernel_shape", k),
            OnnxAttribute.Ints("strides", stride),
            OnnxAttribute.Ints("pads", padding.Concat(padding).ToArray()),
            OnnxAttribute.Int("ceil_mode", pool.ceil_mode ? 1 : 0));
    }

    /// <summary><c>adaptive_avg_pool2d(x, 1).flatten(1)</c>: GlobalAveragePool then Flatten, [N, C].</summary>
    public static string GlobalAveragePoolFlatten(OnnxGraph graph, string input) =>
        Graph(graph).Node("Flatten", [graph.Node("GlobalAveragePool", [input])], OnnxAttribute.Int("axis", 1));

    /// <summary>A linear layer on [N, in]: Gemm with the weight transposed (PyTorch stores [out, in]).</summary>
    public static string Gemm(OnnxGraph graph, Linear linear, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(linear);
        var inputs = new List<string> { input, Parameter(graph, "fc_w", linear.weight) };
        if (linear.bias is { } b) inputs.Add(Parameter(graph, "fc_b", b));
        return graph.Node("Gemm", inputs, OnnxAttribute.Int("transB", 1));
    }

    /// <summary>A one-channel image repeated to <paramref name="channels"/> channels ([N, 1, H, W] → [N, C, H, W]), for a backbone that expects colour.</summary>
    public static string RepeatChannels(OnnxGraph graph, string input, int channels)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Concat", Enumerable.Repeat(input, channels).ToArray(), OnnxAttribute.Int("axis", 1));
    }

    /// <summary>The channel order reversed (RGB ↔ BGR), as <c>x.flip(1)</c>.</summary>
    public static string ReverseChannels(OnnxGraph graph, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Node("Slice", [input, graph.Int64Constant("rev_start", -1), graph.Int64Constant("rev_end", long.MinValue),
            graph.Int64Constant("rev_axis", 1), graph.Int64Constant("rev_step", -1)]);
    }

    /// <summary>Per-channel <c>x · scale + shift</c> on [N, C, H, W] (e.g. back to 0–255 and minus a mean).</summary>
    public static string ChannelAffine(OnnxGraph graph, string input, float[] scale, float[] shift)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(shift);
        var y = graph.Node("Mul", [input, graph.Constant("ch_scale", scale, 1, scale.Length, 1, 1)]);
        return graph.Node("Add", [y, graph.Constant("ch_shift", shift, 1, shift.Length, 1, 1)]);
    }

    /// <summary>A parameter or buffer as a float initialiser of the same shape.</summary>
    public static string Parameter(OnnxGraph graph, string hint, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        return graph.Constant(hint, values, tensor.shape);
    }

    private static OnnxGraph Graph(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph;
    }
}
