using Clinforge.Core;
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

    // Segmenters, named by segmentation recipes (RecipeSchema.SegmentationModels); output [N, classes, H, W] (background first).
    private static readonly Dictionary<string, Func<ModelSpec, int, int, Module<Tensor, Tensor>>> s_segmenters = new(StringComparer.Ordinal)
    {
        // U-Net decoder on the pretrained ResNet-18 encoder (width = the decoder's base width; depth unused).
        ["unet_resnet18"] = (spec, inCh, classes) => new UNetResNet18(inCh, classes, spec.Width),
        // U-Net from scratch (Ronneberger et al. 2015): base width and levels below the top.
        ["unet"] = (spec, inCh, classes) => new UNet(inCh, classes, spec.Width, spec.Depth),
    };

    /// <summary>Registered classification model names.</summary>
    public static IReadOnlyCollection<string> Names => s_factories.Keys;

    /// <summary>Registered detector names.</summary>
    public static IReadOnlyCollection<string> DetectorNames => s_detectors.Keys;

    /// <summary>Registered segmenter names.</summary>
    public static IReadOnlyCollection<string> SegmenterNames => s_segmenters.Keys;

    /// <summary>Builds the model a recipe names.</summary>
    public static Module<Tensor, Tensor> Create(ModelSpec spec, int inChannels, int classes)
    {
        if (!s_factories.TryGetValue(spec.Name, out var factory) && !s_detectors.TryGetValue(spec.Name, out factory) && !s_segmenters.TryGetValue(spec.Name, out factory))
            throw new ClinforgeException($"recipe.json: unknown model '{spec.Name}'. Known models: {string.Join(", ", Names.Concat(DetectorNames).Concat(SegmenterNames))}.");
        if (spec.Width < 4 || spec.Depth < 1)
            throw new ClinforgeException($"recipe.json: model width must be ≥ 4 and depth ≥ 1 (got width {spec.Width}, depth {spec.Depth}).");
        return factory(spec, inChannels, classes);
    }
}
