using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>Basic residual block: two 3×3 convolutions with batch norm and an identity or 1×1 shortcut.</summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly SafeConv2d _conv1, _conv2;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly Sequential? _shortcut;

    public BasicBlock(int inCh, int outCh, int stride) : base(nameof(BasicBlock))
    {
        _conv1 = new SafeConv2d(inCh, outCh, 3, stride: stride, padding: 1, bias: false);
        _bn1 = BatchNorm2d(outCh);
        _conv2 = new SafeConv2d(outCh, outCh, 3, stride: 1, padding: 1, bias: false);
        _bn2 = BatchNorm2d(outCh);
        if (stride != 1 || inCh != outCh)
            _shortcut = Sequential(new SafeConv2d(inCh, outCh, 1, stride: stride, bias: false), BatchNorm2d(outCh));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(_bn1.forward(_conv1.forward(x)));
        y = _bn2.forward(_conv2.forward(y));
        var s = _shortcut is null ? x : _shortcut.forward(x);
        return functional.relu(y + s).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public string ExportOnnx(OnnxGraph graph, string input)
    {
        var y = OnnxLayers.Relu(graph, OnnxLayers.BatchNorm(graph, _bn1, OnnxLayers.Conv(graph, _conv1, input)));
        y = OnnxLayers.BatchNorm(graph, _bn2, OnnxLayers.Conv(graph, _conv2, y));
        var s = _shortcut is null ? input : OnnxLayers.Write(graph, _shortcut, input);
        return OnnxLayers.Relu(graph, OnnxLayers.Add(graph, y, s));
    }
}
