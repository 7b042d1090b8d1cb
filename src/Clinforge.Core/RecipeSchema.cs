namespace Clinforge.Core;

/// <summary>
/// What a valid recipe may contain: the names the registries know and the ranges that make sense.
/// A recipe that comes from outside the playbook (an LLM, a hand edit) is checked here before it
/// runs. A test keeps the name lists equal to the Training registries.
/// </summary>
public static class RecipeSchema
{
    public static readonly IReadOnlyList<string> Models = ["resnet", "simple_cnn", "resnet18_pretrained"];
    /// <summary>Models that start from pretrained weights (their input size is 64–320 px, even).</summary>
    public static readonly IReadOnlyList<string> PretrainedModels = ["resnet18_pretrained", "fcos_resnet18", "unet_resnet18"];
    /// <summary>Ways to fine-tune a pretrained backbone (<see cref="FineTuneSpec"/>).</summary>
    public static readonly IReadOnlyList<string> FineTuneStrategies = ["head_only", "partial", "full"];
    public static readonly IReadOnlyList<string> Losses = ["cross_entropy", "focal"];
    public static readonly IReadOnlyList<string> ClassWeights = ["none", "inverse_frequency", "sqrt_inverse_frequency"];
    public static readonly IReadOnlyList<string> Optimizers = ["adamw", "sgd"];
    public static readonly IReadOnlyList<string> Schedules = ["cosine", "constant"];
    public static readonly IReadOnlyList<string> Samplers = ["uniform", "class_balanced"];
    /// <summary>Knobs a successive-halving search may tune.</summary>
    public static readonly IReadOnlyList<string> SearchKnobs = ["learning_rate", "weight_decay"];
    /// <summary>Models a detection recipe (one with <see cref="Recipe.Detection"/>) may name.</summary>
    public static readonly IReadOnlyList<string> DetectionModels = ["fcos_lite", "fcos_resnet18"];
    /// <summary>Models a segmentation recipe (one with <see cref="Recipe.Segmentation"/>) may name.</summary>
    public static readonly IReadOnlyList<string> SegmentationModels = ["unet_resnet18", "unet"];
    /// <summary>Losses a segmentation recipe may use.</summary>
    public static readonly IReadOnlyList<string> SegmentationLosses = ["dice_ce", "dice_focal", "tversky"];
    /// <summary>Ways a detection recipe may use positives without boxes.</summary>
    public static readonly IReadOnlyList<string> MixedSupervisionModes = ["none", "teacher_student"];

    /// <summary>Every problem with the recipe, in plain words; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(Recipe r)
    {
        var p = new List<string>();
        void Name(string field, string value, IReadOnlyList<string> allowed)
        {
            if (!allowed.Contains(value)) p.Add($"{field} '{value}' is not one of {string.Join(", ", allowed)}");
        }
        void Range(string field, double value, double min, double max)
        {
            if (double.IsNaN(value) || value < min || value > max) p.Add($"{field} {value} is outside [{min}, {max}]");
        }
        if (r.Input is null || r.Model is null) { p.Add("input and model are required"); return p; }
        // Segmentation keeps fine structures at their own resolution (DRIVE's fundus images are 584 px high).
        Range("input.size", r.Input.Size, 8, r.Segmentation is null ? 512 : 1024);
        if (r.Input.Channels is not (1 or 3)) p.Add($"input.channels {r.Input.Channels} must be 1 or 3");
        Name("model.name", r.Model.Name, r.Detection is not null ? DetectionModels : r.Segmentation is not null ? SegmentationModels : Models);
        if (r.Detection is { } d) DetectionProblems(d, Name, Range);
        if (r.Detection is not null && r.Segmentation is not null) p.Add("a recipe is for detection or segmentation, not both");
        if (r.Segmentation is { } seg)
        {
            Name("segmentation.loss", seg.Loss, SegmentationLosses);
            Name("segmentation.contrast", seg.Contrast, ContrastModes.All);
            Range("segmentation.tversky_alpha", seg.TverskyAlpha, 0, 1);
            Range("segmentation.tversky_beta", seg.TverskyBeta, 0, 1);
            Range("segmentation.focal_gamma", seg.FocalGamma, 0, 5);
            Range("segmentation.patch_size", seg.PatchSize, 32, Math.Max(32, r.Input.Size));
            if (seg.PatchSize % 32 != 0) p.Add($"segmentation.patch_size {seg.PatchSize} must be a multiple of 32 (the encoder's stride)");
            if (r.Input.Size % 32 != 0) p.Add($"input.size {r.Input.Size} must be a multiple of 32 for {r.Model.Name}");
            Range("segmentation.patches_per_image", seg.PatchesPerImage, 1, 64);
            Range("segmentation.foreground_patch_fraction", seg.ForegroundPatchFraction, 0, 1);
            Range("segmentation.min_component_pixels", seg.MinComponentPixels, 0, 100000);
            if (seg.ReuseWeightsOf is { } reuse) Range("segmentation.reuse_weights_of", reuse, 0, 10000);
            if (seg.Labels is null || seg.Labels.Count == 0 || seg.Labels.Any(string.IsNullOrWhiteSpace) || seg.Labels.Distinct(StringComparer.Ordinal).Count() != seg.Labels.Count)
                p.Add("segmentation.labels must name each label once");
        }
        // Segmenters keep every 3×3 convolution at a multiple of 16 channels: on CPUs whose oneDNN
        // mis-computes narrow convolutions (../shared/notes/torchsharp-on-linux.md), a U-Net of base
        // width 8 gave NaN probabilities in evaluation mode here, and 2e-3 away from ONNX Runtime when finite.
        if (r.Model.Name == "unet" && r.Model.Width % 16 != 0) p.Add($"model.width {r.Model.Width} must be a multiple of 16 for unet");
        if (r.Model.Name == "unet_resnet18" && r.Model.Width % 32 != 0) p.Add($"model.width {r.Model.Width} must be a multiple of 32 for unet_resnet18 (its last decoder block has half as many channels)");
        if (r.Model.Name == "unet_resnet18")
            Range("input.size", r.Input.Size, 64, 1024);
        else if (r.Model.Name == "fcos_resnet18")
        {
            // Fracture lines need resolution: up to 640 px, in whole stride-32 cells so the pyramid's maps align.
            Range("input.size", r.Input.Size, 64, 640);
            if (r.Input.Size % 32 != 0) p.Add($"input.size {r.Input.Size} must be a multiple of 32 for {r.Model.Name}");
            Range("model.width", r.Model.Width, 16, 256);
        }
        else if (PretrainedModels.Contains(r.Model.Name))
        {
            Range("input.size", r.Input.Size, 64, 320);
            // The weights' uneven padding equals the symmetric one only for even sizes.
            if (r.Input.Size % 2 != 0) p.Add($"input.size {r.Input.Size} must be even for {r.Model.Name}");
        }
        if (r.FineTune is { } ft)
        {
            if (!PretrainedModels.Contains(r.Model.Name)) p.Add($"fine_tune is for pretrained models ({string.Join(", ", PretrainedModels)}), not '{r.Model.Name}'");
            Name("fine_tune.strategy", ft.Strategy, FineTuneStrategies);
            Range("fine_tune.frozen_stages", ft.FrozenStages, 1, 3);
            Range("fine_tune.backbone_lr_scale", ft.BackboneLrScale, 1e-3, 1);
            Range("fine_tune.layer_decay", ft.LayerDecay, 0.1, 1);
            Range("fine_tune.views", ft.Views, 1, 8);
        }
        Range("model.width", r.Model.Width, 4, 256);
        Range("model.depth", r.Model.Depth, 1, 8);
        Range("model.dropout", r.Model.Dropout, 0, 0.9);
        Name("loss.name", r.Loss.Name, Losses);
        Name("loss.class_weights", r.Loss.ClassWeights, ClassWeights);
        Range("loss.label_smoothing", r.Loss.LabelSmoothing, 0, 0.5);
        Range("loss.focal_gamma", r.Loss.FocalGamma, 0, 5);
        Name("optimizer.name", r.Optimizer.Name, Optimizers);
        Name("optimizer.schedule", r.Optimizer.Schedule, Schedules);
        Range("optimizer.learning_rate", r.Optimizer.LearningRate, 1e-6, 1.0);
        Range("optimizer.weight_decay", r.Optimizer.WeightDecay, 0, 0.5);
        Range("optimizer.momentum", r.Optimizer.Momentum, 0, 0.999);
        Range("optimizer.grad_clip", r.Optimizer.GradClip, 0, 100);
        Range("optimizer.warmup_epochs", r.Optimizer.WarmupEpochs, 0, 20);
        Name("sampler.name", r.Sampler.Name, Samplers);
        Range("augmentation.horizontal_flip", r.Augmentation.HorizontalFlip, 0, 1);
        Range("augmentation.vertical_flip", r.Augmentation.VerticalFlip, 0, 1);
        Range("augmentation.rotate90", r.Augmentation.Rotate90, 0, 1);
        Range("augmentation.crop_padding", r.Augmentation.CropPadding, 0, 0.5);
        Range("augmentation.brightness", r.Augmentation.Brightness, 0, 1);
        Range("batch_size", r.BatchSize, 2, 1024);
        Range("max_epochs", r.MaxEpochs, 1, 1000);
        Range("train_budget_fraction", r.TrainBudgetFraction, 0.1, 0.95);
        if (r.EmaDecay != 0) Range("ema_decay", r.EmaDecay, 0.5, 0.9999);
        if (r.Debias is not null) p.AddRange(r.Debias.Problems());
        Range("ensemble_size", r.EnsembleSize, 1, 8);
        if (r.EnsembleSize > 1 && (r.Debias is not null || r.Detection is not null || r.Segmentation is not null))
            p.Add("ensemble_size > 1 is for plain classification (not with debias, detection or segmentation)");
        if (r.Loss.Weights is { } w && (w.Count < 2 || w.Any(x => double.IsNaN(x) || x <= 0 || x > 100)))
            p.Add("loss.weights must hold one positive weight (≤ 100) per class");
        if (r.Search is { } search)
        {
            Name("search.knob", search.Knob, SearchKnobs);
            if (search.Values is null || search.Values.Count is < 2 or > 8) p.Add("search.values must hold 2 to 8 values");
            else foreach (var v in search.Values)
                    Range($"search.values ({search.Knob})", v, search.Knob == "learning_rate" ? 1e-6 : 0, search.Knob == "learning_rate" ? 1.0 : 0.5);
            if (r.EnsembleSize > 1 || r.Debias is not null || r.Detection is not null)
                p.Add("search is for plain single-model classification trials");
        }
        return p;
    }

    private static void DetectionProblems(DetectionRecipe d, Action<string, string, IReadOnlyList<string>> name, Action<string, double, double, double> range)
    {
        range("detection.center_radius", d.CenterRadius, 0.5, 5);
        range("detection.focal_alpha", d.FocalAlpha, 0.01, 0.99);
        range("detection.focal_gamma", d.FocalGamma, 0, 5);
        range("detection.label_smoothing", d.LabelSmoothing, 0, 0.3);
        range("detection.scale_jitter", d.ScaleJitter, 0, 0.5);
        range("detection.negatives_per_positive", d.NegativesPerPositive, 0, 20);
        range("detection.nms_iou", d.NmsIou, 0.1, 0.95);
        range("detection.max_detections", d.MaxDetections, 1, 100);
        range("detection.min_score", d.MinScore, 0, 0.9);
        name("detection.mixed_supervision", d.MixedSupervision, MixedSupervisionModes);
        range("detection.teacher_fraction", d.TeacherFraction, 0.1, 0.9);
        range("detection.pseudo_threshold", d.PseudoThreshold, 0.05, 0.99);
        range("detection.pseudo_max_boxes", d.PseudoMaxBoxes, 1, 10);
        range("detection.min_teacher_map50", d.MinTeacherMap50, 0, 1);
        range("detection.pseudo_label_rounds", d.PseudoLabelRounds, 1, 3);
        // Class names index the detector's class maps: each must be named once.
        if (d.Classes is null || d.Classes.Any(string.IsNullOrWhiteSpace) || d.Classes.Distinct(StringComparer.Ordinal).Count() != d.Classes.Count)
            name("detection.classes", d.Classes is null ? "null" : string.Join(", ", d.Classes), ["distinct, non-empty class names (or an empty list for one class)"]);
    }
}
