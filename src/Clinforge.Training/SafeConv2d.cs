using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// A 2-D convolution whose input gradient is correct on every CPU. It holds the same parameters, under
/// the same names (<c>weight</c>, <c>bias</c>), as TorchSharp's <c>Conv2d</c>, so checkpoints are
/// interchangeable. When <see cref="ConvolutionCheck"/> found that this machine's oneDNN computes the
/// backward-data of stride-1 convolutions wrongly for output channel counts that are not a multiple
/// of 16 (../shared/notes/torchsharp-on-linux.md), such a convolution runs with its filters padded by
/// zero filters to the next multiple and the extra output channels are dropped: the padded channels
/// carry no gradient, and the kernel then runs on a shape it gets right.
/// </summary>
public sealed class SafeConv2d : Module<Tensor, Tensor>
{
    private readonly Parameter _weight;
    private readonly Parameter? _bias;
    private readonly long _stride, _padding;

    /// <summary>A convolution with square kernel, stride and padding, initialised as <c>torch.nn.Conv2d</c> is.</summary>
    public SafeConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(SafeConv2d))
    {
        // Initialised by a Conv2d of the same shape, so the random stream (and thus every seeded run) is unchanged.
        using var reference = Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: bias);
        _weight = new Parameter(reference.weight!.detach().clone());
        register_parameter("weight", _weight);
        if (bias)
        {
            _bias = new Parameter(reference.bias!.detach().clone());
            register_parameter("bias", _bias);
        }
        _stride = stride;
        _padding = padding;
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>The filters, [out, in, k, k].</summary>
    public Parameter Weight => _weight;

    /// <summary>The bias, or null.</summary>
    public Parameter? Bias => _bias;

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel size (square).</summary>
    public long KernelSize { get; }

    /// <summary>Stride (both axes).</summary>
    public long Stride => _stride;

    /// <summary>Zero padding (both axes).</summary>
    public long Padding => _padding;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        int multiple = ConvolutionCheck.Current.PadMultiple;
        bool affected = multiple > 0 && _stride == 1 && KernelSize > 1 && OutChannels % multiple != 0
                        && is_grad_enabled() && x.requires_grad;
        if (!affected)
            return functional.conv2d(x, _weight, _bias, strides: [_stride, _stride], padding: [_padding, _padding]);
        using var scope = NewDisposeScope();
        long extra = multiple - OutChannels % multiple;
        var w = cat([_weight, zeros([extra, _weight.shape[1], KernelSize, KernelSize], dtype: _weight.dtype, device: _weight.device)], 0);
        var b = _bias is null ? null : cat([_bias, zeros([extra], dtype: _bias.dtype, device: _bias.device)], 0);
        return functional.conv2d(x, w, b, strides: [1, 1], padding: [_padding, _padding])
            .narrow(1, 0, OutChannels).MoveToOuterDisposeScope();
    }
}
