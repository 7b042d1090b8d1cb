using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>Conv–BN–ReLU blocks with max pooling between stages; a cheap baseline.</summary>
public sealed class SimpleCnn : Module<Tensor, Tensor>, IConvClassifier, IOnnxExportable
{
    private readonly Sequential _features;
    private readonly Dropout _dropout;
    private readonly Linear _head;

    public SimpleCnn(int inChannels, int classes, int width, int depth, double dropout) : base(nameof(SimpleCnn))
    {
        _features = FeatureStack(inChannels, width, depth, out int ch);
        _dropout = Dropout(dropout);
        _head = Linear(ch, classes);
        RegisterComponents();
    }

    /// <summary>The Conv–BN–ReLU stack (three stages of width w, 2w, 4w, <paramref name="depth"/> blocks each, max pooling between); <paramref name="channels"/> is its output width.</summary>
    internal static Sequential FeatureStack(int inChannels, int width, int depth, out int channels)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int ch = inChannels;
        for (int stage = 0; stage < 3; stage++)
        {
            int outCh = width << stage;
            for (int b = 0; b < depth; b++)
            {
                layers.Add(($"c{stage}{b}", new SafeConv2d(ch, outCh, 3, padding: 1, bias: false)));
                layers.Add(($"bn{stage}{b}", BatchNorm2d(outCh)));
                layers.Add(($"r{stage}{b}", ReLU()));
                ch = outCh;
            }
            if (stage < 2) layers.Add(($"p{stage}", MaxPool2d(2)));
        }
        channels = ch;
        return Sequential(layers);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Classify(Features(x)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Features(Tensor x) => _features.forward(x);

    /// <inheritdoc />
    public Tensor Classify(Tensor features) =>
        _head.forward(_dropout.forward(functional.adaptive_avg_pool2d(features, 1).flatten(1)));

    /// <inheritdoc />
    public string ExportOnnx(OnnxGraph graph, string input) =>
        OnnxLayers.Gemm(graph, _head, OnnxLayers.GlobalAveragePoolFlatten(graph, OnnxLayers.Write(graph, _features, input)));
}
