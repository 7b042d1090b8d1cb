using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// One U-Net decoder step (Ronneberger et al. 2015): the coarser map is upsampled ×2 (bilinear), joined
/// with the encoder's skip map of the same resolution (when there is one), and passed through two 3×3
/// convolutions with batch norm and ReLU.
/// </summary>
public sealed class DecoderBlock : Module<Tensor, Tensor?, Tensor>
{
    private readonly Sequential _convs;

    /// <summary>A block taking <paramref name="inChannels"/> from below and <paramref name="skipChannels"/> from the encoder (0: none) to <paramref name="outChannels"/>.</summary>
    public DecoderBlock(int inChannels, int skipChannels, int outChannels) : base(nameof(DecoderBlock))
    {
        _convs = ConvBlock(inChannels + skipChannels, outChannels);
        register_module("convs", _convs);
    }

    /// <summary>Two 3×3 convolutions with batch norm and ReLU (the U-Net's unit).</summary>
    public static Sequential ConvBlock(int inChannels, int outChannels) => Sequential(
        new SafeConv2d(inChannels, outChannels, 3, padding: 1, bias: false), BatchNorm2d(outChannels), ReLU(),
        new SafeConv2d(outChannels, outChannels, 3, padding: 1, bias: false), BatchNorm2d(outChannels), ReLU());

    /// <summary>Submodules are registered by hand under stable names.</summary>
    protected override void RegisterComponents() { }

    /// <summary>The block as ONNX nodes (eval mode): Resize ×2, Concat with the skip, the convolutions.</summary>
    public string ExportOnnx(OnnxGraph graph, string below, string? skip)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var up = OnnxLayers.Upsample2(graph, below);
        if (skip is not null) up = graph.Node("Concat", [up, skip], OnnxAttribute.Int("axis", 1));
        return OnnxLayers.Write(graph, _convs, up);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor below, Tensor? skip)
    {
        long h = skip is null ? below.shape[2] * 2 : skip.shape[2], w = skip is null ? below.shape[3] * 2 : skip.shape[3];
        var up = functional.interpolate(below, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        return _convs.forward(skip is null ? up : cat([up, skip], 1));
    }
}
