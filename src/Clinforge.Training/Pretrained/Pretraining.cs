using System.Globalization;
using Clinforge.Core;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// What the trainer does differently for a pretrained model: the weights' own preprocessing, loading
/// the weights (or noting why not), freezing stages by the recipe's fine-tuning strategy, computing
/// the frozen stages once, and learning-rate groups that give earlier stages smaller steps.
/// </summary>
public static class Pretraining
{
    /// <summary>
    /// The preprocessing the pretrained ResNet-18 expects: pixels on the 0–255 scale minus the
    /// package's per-channel means, no division by a standard deviation (ResNetPreprocess.onnx), as
    /// (x − mean) / std on [0, 1] pixels with mean = m/255 and std = 1/255. Grey images use the mean
    /// of the three channel means with the stem summed over colour.
    /// </summary>
    public static Preprocessing Preprocessing(int size, int channels, IReadOnlyList<string> classes)
    {
        var means = PretrainedWeights.MeanRgb255;
        float[] mean = channels == 3 ? means.Select(m => m / 255f).ToArray() : [means.Average() / 255f];
        var std = Enumerable.Repeat(1f / 255f, channels).ToArray();
        var scheme = channels == 3
            ? "ResNet-18 (Microsoft.ML.DnnImageFeaturizer.ResNet18): R, G, B on the 0–255 scale minus the means 123.15, 115.90, 103.06, no std division; the stem was reordered from the file's B, G, R"
            : "ResNet-18 (Microsoft.ML.DnnImageFeaturizer.ResNet18): grey on the 0–255 scale minus 114.04 (mean of the three channel means), stem summed over colour";
        return new Preprocessing(size, channels, mean, std, classes) { Scheme = scheme };
    }

    /// <summary>The pretrained network inside <paramref name="model"/> (itself or a debiasing wrapper's classifier), or null.</summary>
    public static PretrainedResNet? Find(Module<Tensor, Tensor> model) => model switch
    {
        PretrainedResNet p => p,
        ShortcutNet s => s.Classifier as PretrainedResNet,
        _ => null,
    };

    /// <summary>
    /// Loads the pretrained weights into a pretrained model and freezes what the recipe's strategy
    /// freezes; null for other models. A missing or corrupt weights file leaves the model random and
    /// unfrozen, and the returned note says so (it goes into the log and metrics.json).
    /// </summary>
    public static PretrainedInit? Initialize(Module<Tensor, Tensor> model, Recipe recipe, Action<string> log)
    {
        if (Find(model) is not { } net) return null;
        var init = PretrainedWeights.TryLoad(net.Backbone);
        net.Freeze(FrozenStages(recipe, init));
        log(init.Loaded
            ? $"{init.Note}; fine-tuning: {Describe(recipe.FineTune)}"
            : $"{init.Note}. Every stage trains at the full learning rate.");
        return init;
    }

    /// <summary>Stages the strategy freezes: head_only 4, partial K, full 0; nothing when the weights did not load.</summary>
    public static int FrozenStages(Recipe recipe, PretrainedInit init) => !init.Loaded ? 0 : (recipe.FineTune?.Strategy ?? "full") switch
    {
        "head_only" => 4,
        "partial" => recipe.FineTune!.FrozenStages,
        _ => 0,
    };

    /// <summary>The strategy in words.</summary>
    public static string Describe(FineTuneSpec? ft) => (ft?.Strategy ?? "full") switch
    {
        "head_only" => $"head only on frozen features ({ft!.Views} view(s) per image)",
        "partial" => string.Create(CultureInfo.InvariantCulture, $"stem and stages 1–{ft!.FrozenStages} frozen ({ft.Views} view(s) per image), later stages at ×{ft.BackboneLrScale:G3} the head's learning rate"),
        _ => string.Create(CultureInfo.InvariantCulture, $"all stages, the last at ×{ft?.BackboneLrScale ?? 1:G3} the head's learning rate, ×{ft?.LayerDecay ?? 1:G3} per earlier stage"),
    };

    /// <summary>
    /// Computes the frozen stages once for the training views and the validation images when that fits
    /// in <see cref="FrozenCache.MaxBytes"/>; null when nothing is frozen (or it does not fit: then
    /// the frozen stages run every batch, still without gradients and with batch norm frozen).
    /// </summary>
    public static FrozenInputs? Prepare(Module<Tensor, Tensor> model, Recipe recipe, PretrainedInit? init, ImageBatches xTrain, ImageBatches xVal,
        IReadOnlyList<string> trainIds, IReadOnlyList<string> valIds, string? cacheFolder, Action<string> log)
    {
        if (model is not PretrainedResNet net || init is not { Loaded: true } || net.FrozenStages == 0) return null;
        int level = net.FrozenStages, size = recipe.Input.Size;
        int views = Math.Max(1, recipe.FineTune?.Views ?? 1);
        long perImage = FrozenCache.FloatsPerImage(level, size);
        long bytes = perImage * sizeof(float) * (views * xTrain.Count + xVal.Count * (recipe.TestTimeAugmentation ? 2 : 1));
        if (bytes > FrozenCache.MaxBytes)
        {
            log($"frozen stages not cached: {bytes >> 20} MB would exceed {FrozenCache.MaxBytes >> 20} MB; they run every batch without gradients");
            return null;
        }
        string[] Common(int l) => [init.OnnxSha256 ?? "", $"level {l}", $"size {size}", $"channels {recipe.Input.Channels}"];
        string TrainKey(int l) => FrozenCache.Key([.. Common(l), Json.Serialize(recipe.Augmentation), $"seed {recipe.Seed}", .. trainIds]);
        string ValKey(int l) => FrozenCache.Key([.. Common(l), "validation", .. valIds]);
        // Augmented views are drawn from their own generator so a cached file means the same views in every trial.
        var gen = new Generator((ulong)recipe.Seed + 7919);
        var train = FrozenCache.Compute(net, xTrain.Count, xTrain.Take, size, level, views, recipe.Augmentation, gen, cacheFolder, TrainKey, log, out double trainSeconds);
        var val = FrozenCache.Compute(net, xVal.Count, xVal.Take, size, level, 1, recipe.Augmentation, gen, cacheFolder, ValKey, log, out double valSeconds);
        Tensor? flipped = null;
        double flippedSeconds = 0;
        if (recipe.TestTimeAugmentation)
            flipped = FrozenCache.Compute(net, xVal.Count, (start, length) => xVal.Take(start, length).flip(3), size, level, 1, recipe.Augmentation, gen,
                cacheFolder, l => FrozenCache.Key(ValKey(l), "flipped"), log, out flippedSeconds);
        net.InputLevel = level;
        return new FrozenInputs(train, xTrain.Count, views, val, flipped) { ComputedSeconds = trainSeconds + valSeconds + flippedSeconds };
    }

    /// <summary>
    /// Trainable parameters in groups with their learning-rate multipliers. A pretrained model: one group
    /// per unfrozen stage, the last backbone stage at <c>backbone_lr_scale</c> and each earlier one
    /// <c>layer_decay</c> times the next (Howard and Ruder 2018, discriminative fine-tuning), the head
    /// at 1. Any other model, or one whose weights did not load: one group at 1.
    /// </summary>
    public static (IReadOnlyList<IReadOnlyList<Parameter>> Groups, IReadOnlyList<double> Multipliers) ParameterGroups(Module<Tensor, Tensor> model, Recipe recipe, PretrainedInit? init)
    {
        var groups = init is not { Loaded: true } ? null : model switch
        {
            PretrainedResNet net => net.TrainableGroups(),
            FcosResNet18 detector => detector.TrainableGroups(),
            UNetResNet18 unet => unet.TrainableGroups(),
            _ => null,
        };
        if (groups is null)
            return ([model.parameters().Where(p => p.requires_grad).ToList()], [1.0]);
        var ft = recipe.FineTune ?? new FineTuneSpec();
        var multipliers = new double[groups.Count];
        multipliers[^1] = 1.0;
        for (int i = groups.Count - 2; i >= 0; i--)
            multipliers[i] = i == groups.Count - 2 ? ft.BackboneLrScale : multipliers[i + 1] * ft.LayerDecay;
        return (groups, multipliers);
    }

    /// <summary>Gives a weight-averaged copy the same frozen stages and input level as the model it shadows.</summary>
    public static void MatchInput(Module<Tensor, Tensor> copy, Module<Tensor, Tensor> model)
    {
        if (ReferenceEquals(copy, model) || copy is not PretrainedResNet c || model is not PretrainedResNet m) return;
        c.Freeze(m.FrozenStages);
        c.InputLevel = m.InputLevel;
    }
}
