using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// The FCOS-style detector of <see cref="FcosLite"/> (Tian et al. 2019) on the pretrained ResNet-18
/// backbone (<see cref="ResNet18Backbone"/>): a feature pyramid (Lin et al. 2017) over its stride
/// 8/16/32 maps (layer2–layer4, 128/256/512 channels), fused top-down into one stride-8 map, and the
/// same shared head (class logits, four side distances in strides, centre-ness). The output contract
/// is <see cref="FcosLite"/>'s, [N, classes + 5, H/8, W/8], so assignment, loss and decoding are shared.
/// The stem and the first <see cref="FrozenStages"/> stages can be frozen: no gradient, batch norm in
/// evaluation mode, and their forward pass runs without autograd bookkeeping.
/// </summary>
public sealed class FcosResNet18 : Module<Tensor, Tensor>
{
    private readonly ResNet18Backbone _backbone;
    private readonly SafeConv2d _lat3, _lat4, _lat5, _smooth;
    private readonly Sequential _tower;
    private readonly SafeConv2d _cls, _box, _ctr;

    /// <summary>A detector for <paramref name="inChannels"/> (1 or 3) channels, <paramref name="classes"/> class maps and a pyramid of <paramref name="width"/> channels (backbone random until loaded).</summary>
    public FcosResNet18(int inChannels, int classes, int width) : base(nameof(FcosResNet18))
    {
        if (width < 16) throw new ArgumentOutOfRangeException(nameof(width), width, "the pyramid needs at least 16 channels");
        _backbone = new ResNet18Backbone(inChannels);
        var ch = ResNet18Backbone.StageChannels;
        _lat3 = new SafeConv2d(ch[1], width, 1);
        _lat4 = new SafeConv2d(ch[2], width, 1);
        _lat5 = new SafeConv2d(ch[3], width, 1);
        _smooth = new SafeConv2d(width, width, 3, padding: 1);
        // Batch norm in the tower, as in FcosLite (TorchSharp 0.107's GroupNorm starts with a zero weight).
        _tower = Sequential(
            new SafeConv2d(width, width, 3, padding: 1, bias: false), BatchNorm2d(width), ReLU(),
            new SafeConv2d(width, width, 3, padding: 1, bias: false), BatchNorm2d(width), ReLU());
        _cls = new SafeConv2d(width, classes, 3, padding: 1);
        _box = new SafeConv2d(width, 4, 3, padding: 1);
        _ctr = new SafeConv2d(width, 1, 3, padding: 1);
        register_module("backbone", _backbone);
        register_module("lat3", _lat3);
        register_module("lat4", _lat4);
        register_module("lat5", _lat5);
        register_module("smooth", _smooth);
        register_module("tower", _tower);
        register_module("cls", _cls);
        register_module("box", _box);
        register_module("ctr", _ctr);
        using (no_grad())
        {
            // Prior probability 0.01 for the rare foreground (Lin et al. 2017, focal loss §4.1).
            _cls.Bias!.fill_(-Math.Log((1 - 0.01) / 0.01));
            _box.Bias!.zero_();
        }
    }

    /// <summary>Submodules are registered by hand under stable names (see <see cref="ResNet18Backbone"/>).</summary>
    protected override void RegisterComponents() { }

    /// <summary>The backbone, for loading the pretrained weights.</summary>
    public ResNet18Backbone Backbone => _backbone;

    /// <summary>Backbone stages whose weights are frozen (0–4; the stem counts with the first).</summary>
    public int FrozenStages { get; private set; }

    /// <summary>Freezes the stem and the first <paramref name="stages"/> stages (0 = everything trains).</summary>
    public void Freeze(int stages)
    {
        _backbone.FreezeStages(stages);
        FrozenStages = stages;
        train(training);
    }

    /// <summary>Keeps frozen stages' batch norm in evaluation mode whatever mode the rest is in.</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        _backbone.HoldFrozenInEval(FrozenStages);
    }

    /// <summary>
    /// Trainable parameters from the stem upwards: one group per unfrozen backbone stage, then the
    /// pyramid and head together (the last group), so earlier stages can take smaller steps.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> TrainableGroups()
    {
        var groups = _backbone.TrainableStageGroups(FrozenStages).ToList();
        Module[] head = [_lat3, _lat4, _lat5, _smooth, _tower, _cls, _box, _ctr];
        groups.Add(head.SelectMany(m => m.parameters()).ToList());
        return groups;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var maps = new Tensor[4];
        var y = x;
        for (int s = 0; s < 4; s++)
        {
            // Frozen stages run without autograd: nothing upstream of them trains.
            using (s < FrozenStages ? no_grad() : null)
                y = s == 0 ? _backbone.Stage(0, _backbone.Stem(y)) : _backbone.Stage(s, y);
            maps[s] = y;
        }
        var (c3, c4, c5) = (maps[1], maps[2], maps[3]);
        var p5 = _lat5.forward(c5);
        var p4 = _lat4.forward(c4) + functional.interpolate(p5, size: [c4.shape[2], c4.shape[3]], mode: InterpolationMode.Nearest);
        var p3 = _lat3.forward(c3) + functional.interpolate(p4, size: [c3.shape[2], c3.shape[3]], mode: InterpolationMode.Nearest);
        var t = _tower.forward(_smooth.forward(p3));
        var box = _box.forward(t).clamp(max: 6).exp();
        return cat([_cls.forward(t), box, _ctr.forward(t)], 1).MoveToOuterDisposeScope();
    }
}
