using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// A compact anchor-free one-stage detector in the style of FCOS (Tian et al. 2019): a small ResNet
/// backbone (He et al. 2016) with strides 8/16/32, a feature pyramid (Lin et al. 2017, FPN) fused
/// top-down into one stride-8 map, and a shared head predicting, per location, class logits, the
/// four distances to the box sides (left, top, right, bottom, in strides, via exp) and a centre-ness
/// logit. One output level keeps CPU training cheap; small findings (fractures are often a few
/// percent of the image) live at stride 8. The output is one tensor [N, classes + 5, H/8, W/8] so the
/// model fits the registry's <c>Module&lt;Tensor, Tensor&gt;</c> contract.
/// </summary>
public sealed class FcosLite : Module<Tensor, Tensor>
{
    /// <summary>Output stride of the prediction map.</summary>
    public const int Stride = 8;

    private readonly Sequential _stem;
    private readonly Sequential _stage1, _stage2, _stage3, _stage4;
    private readonly SafeConv2d _lat3, _lat4, _lat5, _smooth;
    private readonly Sequential _tower;
    private readonly SafeConv2d _cls, _box, _ctr;

    /// <summary>Builds the detector; <paramref name="width"/> is the first stage's channel count, <paramref name="depth"/> the blocks per stage.</summary>
    public FcosLite(int inChannels, int classes, int width, int depth) : base(nameof(FcosLite))
    {
        _stem = Sequential(new SafeConv2d(inChannels, width, 3, stride: 2, padding: 1, bias: false), BatchNorm2d(width), ReLU());
        _stage1 = Stage(width, width, depth);          // stride 4
        _stage2 = Stage(width, width * 2, depth);      // stride 8  (C3)
        _stage3 = Stage(width * 2, width * 4, depth);  // stride 16 (C4)
        _stage4 = Stage(width * 4, width * 8, depth);  // stride 32 (C5)
        int f = width * 4;
        _lat3 = new SafeConv2d(width * 2, f, 1);
        _lat4 = new SafeConv2d(width * 4, f, 1);
        _lat5 = new SafeConv2d(width * 8, f, 1);
        _smooth = new SafeConv2d(f, f, 3, padding: 1);
        // Head tower. FCOS uses group norm (Wu & He 2018); TorchSharp 0.107's GroupNorm starts with a
        // zero affine weight here, which zeroes the tower and every gradient behind it, so batch norm is
        // used (batches of 8-16 are enough for its statistics).
        _tower = Sequential(
            new SafeConv2d(f, f, 3, padding: 1, bias: false), BatchNorm2d(f), ReLU(),
            new SafeConv2d(f, f, 3, padding: 1, bias: false), BatchNorm2d(f), ReLU());
        _cls = new SafeConv2d(f, classes, 3, padding: 1);
        _box = new SafeConv2d(f, 4, 3, padding: 1);
        _ctr = new SafeConv2d(f, 1, 3, padding: 1);
        RegisterComponents();
        using (no_grad())
        {
            // Prior probability 0.01 for the rare foreground (Lin et al. 2017, focal loss §4.1): stable early training.
            _cls.Bias!.fill_(-Math.Log((1 - 0.01) / 0.01));
            _box.Bias!.zero_();
        }
    }

    private static Sequential Stage(int inCh, int outCh, int depth)
    {
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        for (int b = 0; b < depth; b++) blocks.Add(($"b{b}", new BasicBlock(b == 0 ? inCh : outCh, outCh, b == 0 ? 2 : 1)));
        return Sequential(blocks);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var c2 = _stage1.forward(_stem.forward(x));
        var c3 = _stage2.forward(c2);
        var c4 = _stage3.forward(c3);
        var c5 = _stage4.forward(c4);
        var p5 = _lat5.forward(c5);
        var p4 = _lat4.forward(c4) + functional.interpolate(p5, size: [c4.shape[2], c4.shape[3]], mode: InterpolationMode.Nearest);
        var p3 = _lat3.forward(c3) + functional.interpolate(p4, size: [c3.shape[2], c3.shape[3]], mode: InterpolationMode.Nearest);
        var t = _tower.forward(_smooth.forward(p3));
        // Distances in strides through exp, clamped so an early large logit cannot overflow.
        var box = _box.forward(t).clamp(max: 6).exp();
        return cat([_cls.forward(t), box, _ctr.forward(t)], 1).MoveToOuterDisposeScope();
    }
}
