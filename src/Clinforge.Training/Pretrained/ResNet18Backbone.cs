using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// The ResNet-18 backbone of the ML.NET featurizer package (He et al. 2016, as trained by CNTK): a 7×7
/// stride-2 stem with max pooling, then four stages of basic blocks with 64, 128, 256 and 512 channels
/// laid out <b>[2, 2, 2, 3]</b> (the package's last stage has one block more than torchvision's
/// ResNet-18; ../shared/notes/weights-and-formats.md). Submodules carry torchvision's names
/// (<c>conv1</c>, <c>layer4.2.bn2</c>, …) so the weight mapping is one table. Its input has the
/// channels in R, G, B order (the loader converts the file's B, G, R stem once), or one channel with
/// the stem summed over colour.
/// </summary>
public sealed class ResNet18Backbone : Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Blocks per stage, as in the package's ONNX graph.</summary>
    public static readonly IReadOnlyList<int> Layout = [2, 2, 2, 3];

    /// <summary>Output channels per stage.</summary>
    public static readonly IReadOnlyList<int> StageChannels = [64, 128, 256, 512];

    /// <summary>Stride of each stage's output relative to the input.</summary>
    public static readonly IReadOnlyList<int> StageStrides = [4, 8, 16, 32];

    // Registered under torchvision's names (TorchSharp's ComponentName), so the state dict reads conv1.weight, layer4.2.bn2.running_var, ...
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly MaxPool2d _maxpool;
    private readonly Sequential[] _layers;

    /// <summary>A randomly initialised backbone for <paramref name="inChannels"/> (1 or 3) input channels.</summary>
    public ResNet18Backbone(int inChannels) : base(nameof(ResNet18Backbone))
    {
        InChannels = inChannels;
        _conv1 = Conv2d(inChannels, 64, 7, stride: 2, padding: 3, bias: false);
        _bn1 = BatchNorm2d(64, eps: 1e-5);
        _maxpool = MaxPool2d(3, stride: 2, padding: 1);
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);
        _layers = new Sequential[4];
        int ch = 64;
        for (int s = 0; s < 4; s++)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int b = 0; b < Layout[s]; b++)
            {
                blocks.Add((b.ToString(System.Globalization.CultureInfo.InvariantCulture), new TorchvisionBlock(ch, StageChannels[s], s > 0 && b == 0 ? 2 : 1)));
                ch = StageChannels[s];
            }
            _layers[s] = Sequential(blocks);
            register_module($"layer{s + 1}", _layers[s]);
        }
    }

    /// <summary>
    /// Submodules are registered by hand under torchvision's names; TorchSharp's reflection-based
    /// registration (which a parent's registration triggers) would add them again under the field names.
    /// </summary>
    protected override void RegisterComponents() { }

    /// <summary>Input channels: 3 (R, G, B) or 1 (grey, summed stem).</summary>
    public int InChannels { get; }

    /// <summary>The stem: conv1, batch norm, ReLU and max pooling (stride 4).</summary>
    public Tensor Stem(Tensor x) => StemPool(StemConv(x));

    /// <summary>The stem before its pooling: conv1, batch norm and ReLU, the stride-2 map of 64 channels (a U-Net's first skip connection).</summary>
    public Tensor StemConv(Tensor x) => functional.relu(_bn1.forward(_conv1.forward(x)));

    /// <summary>The stem's max pooling (stride 2 → 4).</summary>
    public Tensor StemPool(Tensor x) => _maxpool.forward(x);

    /// <summary>Stage <paramref name="index"/> (0–3, i.e. torchvision's layer1–layer4) applied to <paramref name="x"/>.</summary>
    public Tensor Stage(int index, Tensor x) => _layers[index].forward(x);

    /// <summary>The modules whose weights belong to stage <paramref name="index"/>; the stem counts as part of stage 0 for freezing.</summary>
    public IEnumerable<Module> FreezeUnit(int index) => index == 0 ? [_conv1, _bn1, _layers[0]] : [_layers[index]];

    /// <summary>
    /// Activations after stage <paramref name="stages"/> (0 = the image itself; 1–4 = after layer1–layer4).
    /// </summary>
    public Tensor Through(Tensor x, int stages)
    {
        using var scope = NewDisposeScope();
        var y = x;
        if (stages >= 1) y = Stage(0, Stem(y));
        for (int s = 1; s < stages; s++) y = Stage(s, y);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Continues from the output of stage <paramref name="from"/> (0 = the image) to the last stage's output.</summary>
    public Tensor From(Tensor activation, int from)
    {
        using var scope = NewDisposeScope();
        var y = activation;
        if (from == 0) y = Stage(0, Stem(y));
        for (int s = Math.Max(from, 1); s < 4; s++) y = Stage(s, y);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The feature maps at strides 8, 16 and 32 (layer2, layer3, layer4: 128, 256 and 512 channels),
    /// the usual inputs of a feature pyramid (Lin et al. 2017) for detection or segmentation heads.
    /// </summary>
    public (Tensor Stride8, Tensor Stride16, Tensor Stride32) FeatureMaps(Tensor x)
    {
        using var scope = NewDisposeScope();
        var c2 = Stage(0, Stem(x));
        var c3 = Stage(1, c2);
        var c4 = Stage(2, c3);
        var c5 = Stage(3, c4);
        return (c3.MoveToOuterDisposeScope(), c4.MoveToOuterDisposeScope(), c5.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => From(x, 0);

    /// <summary>The stem, max pooling and the four stages, as ONNX nodes (eval mode); the output is the stride-32 map.</summary>
    public string ExportOnnx(OnnxGraph graph, string input) => ExportStages(graph, input, 0, 4);

    /// <summary>The stem before its pooling (<see cref="StemConv"/>) as ONNX nodes (eval mode).</summary>
    public string ExportStemConv(OnnxGraph graph, string input) =>
        OnnxLayers.Relu(graph, OnnxLayers.BatchNorm(graph, _bn1, OnnxLayers.Conv(graph, _conv1, input)));

    /// <summary>The stem's max pooling (<see cref="StemPool"/>) as an ONNX node.</summary>
    public string ExportStemPool(OnnxGraph graph, string input) => OnnxLayers.MaxPool(graph, _maxpool, input);

    /// <summary>Stage <paramref name="index"/> as ONNX nodes (eval mode).</summary>
    public string ExportStage(OnnxGraph graph, int index, string input) => OnnxLayers.Write(graph, _layers[index], input);

    /// <summary>
    /// From the output of stage <paramref name="from"/> (0 = the image) to the output of stage
    /// <paramref name="to"/>, as ONNX nodes (eval mode), as <see cref="Through"/> and <see cref="From"/> compute it.
    /// </summary>
    public string ExportStages(OnnxGraph graph, string input, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var y = input;
        if (from == 0 && to >= 1)
            y = OnnxLayers.MaxPool(graph, _maxpool, OnnxLayers.Relu(graph, OnnxLayers.BatchNorm(graph, _bn1, OnnxLayers.Conv(graph, _conv1, input))));
        for (int s = from; s < to; s++) y = OnnxLayers.Write(graph, _layers[s], y);
        return y;
    }

    /// <summary>
    /// Freezes the stem and the first <paramref name="stages"/> stages (no gradient) and lets the rest
    /// train; every network built on this backbone (classifier, detector, and the heads to come) freezes
    /// it this way. Batch norm of frozen stages must stay in evaluation mode: see <see cref="HoldFrozenInEval"/>.
    /// </summary>
    public void FreezeStages(int stages)
    {
        if (stages is < 0 or > 4) throw new ArgumentOutOfRangeException(nameof(stages), stages, "frozen stages must lie in 0..4");
        for (int s = 0; s < 4; s++)
            foreach (var m in FreezeUnit(s))
                foreach (var p in m.parameters()) p.requires_grad = s >= stages;
    }

    /// <summary>Puts the frozen stages' modules (batch norm above all) back in evaluation mode, after the owner's <c>train()</c>.</summary>
    public void HoldFrozenInEval(int stages)
    {
        for (int s = 0; s < stages; s++)
            foreach (var m in FreezeUnit(s)) m.eval();
    }

    /// <summary>The parameters of each stage that trains (stage <paramref name="frozen"/>+1 … 4, the stem with stage 1), earliest first.</summary>
    public IEnumerable<IReadOnlyList<Parameter>> TrainableStageGroups(int frozen)
    {
        for (int s = frozen; s < 4; s++)
            yield return FreezeUnit(s).SelectMany(m => m.parameters()).ToList();
    }

    /// <summary>State-dict name prefixes of the stem and stages 1..<paramref name="stages"/> (torchvision's names).</summary>
    public static IEnumerable<string> StagePrefixes(int stages) =>
        stages <= 0 ? [] : ["conv1.", "bn1.", .. Enumerable.Range(1, stages).Select(s => $"layer{s}.")];

    /// <summary>A basic block with torchvision's submodule names (conv1, bn1, conv2, bn2, downsample).</summary>
    private sealed class TorchvisionBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d _conv1;
        private readonly BatchNorm2d _bn1;
        private readonly Conv2d _conv2;
        private readonly BatchNorm2d _bn2;
        private readonly Sequential? _downsample;

        public TorchvisionBlock(int inCh, int outCh, int stride) : base(nameof(TorchvisionBlock))
        {
            _conv1 = Conv2d(inCh, outCh, 3, stride: stride, padding: 1, bias: false);
            _bn1 = BatchNorm2d(outCh, eps: 1e-5);
            _conv2 = Conv2d(outCh, outCh, 3, stride: 1, padding: 1, bias: false);
            _bn2 = BatchNorm2d(outCh, eps: 1e-5);
            if (stride != 1 || inCh != outCh)
                _downsample = Sequential(Conv2d(inCh, outCh, 1, stride: stride, bias: false), BatchNorm2d(outCh, eps: 1e-5));
            register_module("conv1", _conv1);
            register_module("bn1", _bn1);
            register_module("conv2", _conv2);
            register_module("bn2", _bn2);
            if (_downsample is not null) register_module("downsample", _downsample);
        }

        protected override void RegisterComponents() { }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = functional.relu(_bn1.forward(_conv1.forward(x)));
            y = _bn2.forward(_conv2.forward(y));
            var s = _downsample is null ? x : _downsample.forward(x);
            return functional.relu(y + s).MoveToOuterDisposeScope();
        }

        public string ExportOnnx(OnnxGraph graph, string input)
        {
            var y = OnnxLayers.Relu(graph, OnnxLayers.BatchNorm(graph, _bn1, OnnxLayers.Conv(graph, _conv1, input)));
            y = OnnxLayers.BatchNorm(graph, _bn2, OnnxLayers.Conv(graph, _conv2, y));
            var s = _downsample is null ? input : OnnxLayers.Write(graph, _downsample, input);
            return OnnxLayers.Relu(graph, OnnxLayers.Add(graph, y, s));
        }
    }
}
