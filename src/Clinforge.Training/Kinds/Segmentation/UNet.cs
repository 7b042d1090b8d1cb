using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// The U-Net of Ronneberger et al. 2015, trained from scratch (the comparison for the pretrained
/// <see cref="UNetResNet18"/>): <c>depth</c> poolings with <c>width</c>·2ᵏ channels per level, two 3×3
/// convolutions with batch norm (Ioffe &amp; Szegedy 2015, as nnU-Net uses normalisation) and ReLU per
/// unit, padded so the output has the input's size; bilinear upsampling in place of transposed
/// convolutions. Output [N, classes, H, W] for H and W multiples of 2^depth.
/// </summary>
public sealed class UNet : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential[] _down;
    private readonly DecoderBlock[] _up;
    private readonly SafeConv2d _head;
    private readonly MaxPool2d _pool;

    /// <summary>A U-Net for <paramref name="inChannels"/> channels, <paramref name="classes"/> output maps, base <paramref name="width"/> and <paramref name="depth"/> levels below the top.</summary>
    public UNet(int inChannels, int classes, int width, int depth) : base(nameof(UNet))
    {
        if (depth is < 1 or > 5) throw new ArgumentOutOfRangeException(nameof(depth), depth, "a U-Net here has 1 to 5 levels below the top");
        _down = new Sequential[depth + 1];
        int c = inChannels;
        for (int k = 0; k <= depth; k++)
        {
            _down[k] = DecoderBlock.ConvBlock(c, width << k);
            register_module($"down{k}", _down[k]);
            c = width << k;
        }
        _up = new DecoderBlock[depth];
        for (int k = depth - 1; k >= 0; k--)
        {
            _up[k] = new DecoderBlock(width << (k + 1), width << k, width << k);
            register_module($"up{k}", _up[k]);
        }
        _pool = MaxPool2d(2, stride: 2);
        _head = new SafeConv2d(width, classes, 1);
        register_module("pool", _pool);
        register_module("head", _head);
    }

    /// <summary>Submodules are registered by hand under stable names.</summary>
    protected override void RegisterComponents() { }

    /// <summary>Levels below the top: input sides must be multiples of 2^<see cref="Depth"/>.</summary>
    public int Depth => _up.Length;

    /// <summary>The network as ONNX nodes (eval mode): logits [N, classes, H, W].</summary>
    public string ExportOnnx(OnnxGraph graph, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var skips = new string[_down.Length];
        var y = input;
        for (int k = 0; k < _down.Length; k++)
            skips[k] = y = OnnxLayers.Write(graph, _down[k], k == 0 ? y : OnnxLayers.MaxPool(graph, _pool, y));
        for (int k = _up.Length - 1; k >= 0; k--) y = _up[k].ExportOnnx(graph, y, skips[k]);
        return OnnxLayers.Conv(graph, _head, y);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var skips = new Tensor[_down.Length];
        var y = x;
        for (int k = 0; k < _down.Length; k++)
        {
            y = _down[k].forward(k == 0 ? y : _pool.forward(y));
            skips[k] = y;
        }
        for (int k = _up.Length - 1; k >= 0; k--) y = _up[k].forward(y, skips[k]);
        return _head.forward(y).MoveToOuterDisposeScope();
    }
}
