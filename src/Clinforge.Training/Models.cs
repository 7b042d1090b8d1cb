using Clinforge.Core;
using Clinforge.Training.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Models chosen by name from the recipe (the timm pattern: one registry, one place). Each factory
/// takes the recipe's model knobs, the input channel count and the number of classes.
/// </summary>
public static class ModelRegistry
{
    private static readonly Dictionary<string, Func<ModelSpec, int, int, Module<Tensor, Tensor>>> s_factories = new(StringComparer.Ordinal)
    {
        // CIFAR-style pre-activation-free ResNet (He et al. 2016) with width/depth knobs: the
        // MedMNIST v2 baselines (Yang et al. 2023) use ResNet-18 at 28 px; width 16-32 keeps a trial
        // near a minute on 2 CPU cores (../shared/BENCHMARKS.md).
        ["resnet"] = (spec, inCh, classes) => new SmallResNet(inCh, classes, spec.Width, spec.Depth, spec.Dropout),
        // Plain VGG-like stack (Simonyan & Zisserman 2015): cheapest baseline, useful when data are tiny.
        ["simple_cnn"] = (spec, inCh, classes) => new SimpleCnn(inCh, classes, spec.Width, spec.Depth, spec.Dropout),
        // ResNet-18 ([2, 2, 2, 3]) with the weights of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18,
        // loaded by the trainer (PretrainedWeights); width and depth are fixed by the weights and ignored.
        ["resnet18_pretrained"] = (spec, inCh, classes) => new PretrainedResNet(inCh, classes, spec.Dropout),
    };

    // Detectors, named by detection recipes (RecipeSchema.DetectionModels); kept apart so the classification
    // names (and every classifier's [N, classes] contract) stay as they are.
    private static readonly Dictionary<string, Func<ModelSpec, int, int, Module<Tensor, Tensor>>> s_detectors = new(StringComparer.Ordinal)
    {
        // Anchor-free one-stage detector (FCOS-style, Tian et al. 2019); output [N, classes + 5, S/8, S/8].
        ["fcos_lite"] = (spec, inCh, classes) => new FcosLite(inCh, classes, spec.Width, spec.Depth),
        // The same head and pyramid on the pretrained ResNet-18 (width = pyramid channels; depth unused).
        ["fcos_resnet18"] = (spec, inCh, classes) => new FcosResNet18(inCh, classes, spec.Width),
    };

    /// <summary>Registered classification model names.</summary>
    public static IReadOnlyCollection<string> Names => s_factories.Keys;

    /// <summary>Registered detector names.</summary>
    public static IReadOnlyCollection<string> DetectorNames => s_detectors.Keys;

    /// <summary>Builds the model a recipe names.</summary>
    public static Module<Tensor, Tensor> Create(ModelSpec spec, int inChannels, int classes)
    {
        if (!s_factories.TryGetValue(spec.Name, out var factory) && !s_detectors.TryGetValue(spec.Name, out factory))
            throw new ClinforgeException($"recipe.json: unknown model '{spec.Name}'. Known models: {string.Join(", ", Names.Concat(DetectorNames))}.");
        if (spec.Width < 4 || spec.Depth < 1)
            throw new ClinforgeException($"recipe.json: model width must be ≥ 4 and depth ≥ 1 (got width {spec.Width}, depth {spec.Depth}).");
        return factory(spec, inChannels, classes);
    }
}

/// <summary>
/// A CNN classifier split at its last convolutional feature map, so saliency methods (Grad-CAM) can
/// take gradients with respect to it: <c>forward(x) == Classify(Features(x))</c>.
/// </summary>
public interface IConvClassifier
{
    /// <summary>The last convolutional feature map, [N, K, h, w].</summary>
    Tensor Features(Tensor x);

    /// <summary>Logits from a feature map, [N, classes].</summary>
    Tensor Classify(Tensor features);
}

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
