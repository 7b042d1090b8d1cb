using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// A ResNet with three stages (widths w, 2w, 4w; <c>depth</c> blocks each), global average pooling
/// and a linear head. Three stages suit 28–64 px inputs (He et al. 2016, CIFAR variant).
/// </summary>
public sealed class SmallResNet : Module<Tensor, Tensor>, IConvClassifier, IOnnxExportable
{
    private readonly Sequential _stem;
    private readonly Sequential _stages;
    private readonly Dropout _dropout;
    private readonly Linear _head;

    public SmallResNet(int inChannels, int classes, int width, int depth, double dropout) : base(nameof(SmallResNet))
    {
        _stem = Sequential(new SafeConv2d(inChannels, width, 3, padding: 1, bias: false), BatchNorm2d(width), ReLU());
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        int ch = width;
        for (int stage = 0; stage < 3; stage++)
        {
            int outCh = width << stage;
            for (int b = 0; b < depth; b++)
            {
                blocks.Add(($"s{stage}b{b}", new BasicBlock(ch, outCh, stage > 0 && b == 0 ? 2 : 1)));
                ch = outCh;
            }
        }
        _stages = Sequential(blocks);
        _dropout = Dropout(dropout);
        _head = Linear(ch, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Classify(Features(x)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Features(Tensor x) => _stages.forward(_stem.forward(x));

    /// <inheritdoc />
    public Tensor Classify(Tensor features) =>
        _head.forward(_dropout.forward(functional.adaptive_avg_pool2d(features, 1).flatten(1)));

    /// <inheritdoc />
    public string ExportOnnx(OnnxGraph graph, string input) =>
        OnnxLayers.Gemm(graph, _head, OnnxLayers.GlobalAveragePoolFlatten(graph, OnnxLayers.Write(graph, _stages, OnnxLayers.Write(graph, _stem, input))));
}
