using Clinforge.Core;
using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// An image classifier on the pretrained ResNet-18 backbone: global average pooling, dropout and a
/// linear head (<c>fc</c>). The first <see cref="FrozenStages"/> stages (the stem counts with the
/// first) can be frozen: their weights get no gradient and their batch norm stays in evaluation mode,
/// so they compute the same function every epoch and their output can be computed once per image and
/// reused (<see cref="InputLevel"/>); 4 frozen stages is a linear probe on the pooled features
/// (Kornblith et al. 2019, "Do better ImageNet models transfer better?").
/// </summary>
public sealed class PretrainedResNet : Module<Tensor, Tensor>, IConvClassifier, IOnnxExportable
{
    private readonly ResNet18Backbone _backbone;
    private readonly Dropout _dropout;
    private readonly Linear _fc;

    /// <summary>A classifier for <paramref name="inChannels"/> input channels and <paramref name="classes"/> classes (backbone weights random until loaded).</summary>
    public PretrainedResNet(int inChannels, int classes, double dropout) : base(nameof(PretrainedResNet))
    {
        _backbone = new ResNet18Backbone(inChannels);
        _dropout = Dropout(dropout);
        _fc = Linear(ResNet18Backbone.StageChannels[^1], classes);
        register_module("backbone", _backbone);
        register_module("dropout", _dropout);
        register_module("fc", _fc);
    }

    /// <summary>Submodules are registered by hand under stable names (see <see cref="ResNet18Backbone"/>).</summary>
    protected override void RegisterComponents() { }

    /// <summary>The backbone (for loading weights and for detection or segmentation heads).</summary>
    public ResNet18Backbone Backbone => _backbone;

    /// <summary>Stages whose weights are frozen (0–4).</summary>
    public int FrozenStages { get; private set; }

    /// <summary>
    /// What <see cref="forward"/> receives: 0 = images; 1–3 = the cached output of that many stages;
    /// 4 = cached pooled features [N, 512]. Never saved: a loaded model takes images.
    /// </summary>
    public int InputLevel { get; set; }

    /// <summary>Freezes the stem and the first <paramref name="stages"/> stages (0 = nothing frozen).</summary>
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

    /// <summary>The parameters that train, grouped from the stem upwards: stage 0 (with the stem) … stage 3, then the head.</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> TrainableGroups()
    {
        var groups = _backbone.TrainableStageGroups(FrozenStages).ToList();
        groups.Add(_fc.parameters().ToList());
        return groups;
    }

    /// <summary>Pooled features [N, 512] of images (evaluation use: no gradient bookkeeping is changed).</summary>
    public Tensor Pooled(Tensor x)
    {
        using var scope = NewDisposeScope();
        return functional.adaptive_avg_pool2d(_backbone.forward(x), 1).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>The cached input for level <paramref name="level"/> computed from images (1–3: stage outputs; 4: pooled features).</summary>
    public Tensor CacheInput(Tensor images, int level) => CacheInputs(images, [level])[level];

    /// <summary>
    /// The cached inputs for several <paramref name="levels"/> from one pass through the stages: the
    /// deepest level's pass goes through every shallower stage output on its way.
    /// </summary>
    public IReadOnlyDictionary<int, Tensor> CacheInputs(Tensor images, IReadOnlyCollection<int> levels)
    {
        using var scope = NewDisposeScope();
        var result = new Dictionary<int, Tensor>();
        int deepest = levels.Max();
        var y = images;
        for (int stage = 1; stage <= Math.Min(deepest, 4); stage++)
        {
            y = stage == 1 ? _backbone.Stage(0, _backbone.Stem(y)) : _backbone.Stage(stage - 1, y);
            if (stage < 4 && levels.Contains(stage)) result[stage] = y.MoveToOuterDisposeScope();
        }
        if (levels.Contains(4)) result[4] = functional.adaptive_avg_pool2d(y, 1).flatten(1).MoveToOuterDisposeScope();
        return result;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var logits = InputLevel == 4
            ? _fc.forward(_dropout.forward(x))
            : Classify(_backbone.From(x, InputLevel));
        return logits.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Features(Tensor x) => _backbone.forward(x);

    /// <summary>
    /// Images through the backbone, global average pooling and the linear head, as ONNX nodes. The
    /// weights' own preprocessing (0–255 minus the channel means) is the package's preprocessing, which
    /// the exporter puts in front of this; a model set to take cached activations cannot be exported.
    /// </summary>
    public string ExportOnnx(OnnxGraph graph, string input)
    {
        if (InputLevel != 0)
            throw new ClinforgeException($"ONNX export: this model is set to take cached stage-{InputLevel} activations, not images; export a model loaded from model.bin.");
        return OnnxLayers.Gemm(graph, _fc, OnnxLayers.GlobalAveragePoolFlatten(graph, _backbone.ExportOnnx(graph, input)));
    }

    /// <summary>Activations after <paramref name="stages"/> stages of images (the part several networks may share).</summary>
    public Tensor Trunk(Tensor images, int stages) => _backbone.Through(images, stages);

    /// <summary>Logits from activations after <paramref name="stages"/> stages (1–4): the rest of the backbone and the head.</summary>
    public Tensor Tail(Tensor activation, int stages)
    {
        using var scope = NewDisposeScope();
        return Classify(_backbone.From(activation, stages)).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Trunk"/> as ONNX nodes.</summary>
    public string ExportTrunk(OnnxGraph graph, string input, int stages) => _backbone.ExportStages(graph, input, 0, stages);

    /// <summary><see cref="Tail"/> as ONNX nodes.</summary>
    public string ExportTail(OnnxGraph graph, string activation, int stages) =>
        OnnxLayers.Gemm(graph, _fc, OnnxLayers.GlobalAveragePoolFlatten(graph, _backbone.ExportStages(graph, activation, stages, 4)));

    /// <summary>State-dict names (relative to this network) of the stem and stages 1..<paramref name="stages"/>.</summary>
    public static IEnumerable<string> StagePrefixes(int stages) => ResNet18Backbone.StagePrefixes(stages).Select(p => "backbone." + p);

    /// <summary>
    /// The most stages (stem and stages 1..N, N ≤ 4) whose parameters and batch-norm statistics are
    /// bitwise the same in every network: frozen from the same pretrained weights. 0 when even the stem differs.
    /// </summary>
    public static int IdenticalStages(IReadOnlyList<PretrainedResNet> nets)
    {
        ArgumentNullException.ThrowIfNull(nets);
        if (nets.Count < 2) return 0;
        var first = nets[0].state_dict();
        var others = nets.Skip(1).Select(n => n.state_dict()).ToList();
        int stages = 0;
        for (int k = 1; k <= 4; k++)
        {
            var prefixes = StagePrefixes(k).ToList();
            bool same = first.Where(kv => prefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
                .All(kv => others.All(o => o.TryGetValue(kv.Key, out var t) && t.shape.SequenceEqual(kv.Value.shape) && t.eq(kv.Value).all().item<bool>()));
            if (!same) break;
            stages = k;
        }
        return stages;
    }

    /// <inheritdoc />
    public Tensor Classify(Tensor features) =>
        _fc.forward(_dropout.forward(functional.adaptive_avg_pool2d(features, 1).flatten(1)));
}
