using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Recipe v0 for detection specs, a pure function of (TaskSpec, DataCard) like <see cref="Initializer"/>.
/// The supervision structure in the data card decides mixed supervision: when fewer than half of
/// the positive images have boxes and the rest are known at image level, the plan trains a teacher
/// on the boxed images and a student on boxed + pseudo-labelled ones (Sohn et al. 2020, STAC).
/// The spec's class handling decides the classes: one finding class by default ("fractures" merges
/// every source class), the data's own source classes when the clinician asked to keep them apart.
/// </summary>
public static class DetectionInitializer
{
    /// <summary>Below this share of boxed positives the initializer plans teacher–student pseudo-labelling.</summary>
    public const double MixedSupervisionBelow = 0.5;

    /// <summary>
    /// Builds the first detection recipe; <paramref name="start"/> is <c>--start</c>: "auto" starts real-size
    /// radiographs (common side ≥ <see cref="ClassificationInitializer.PretrainedMinSide"/> px) from the pretrained
    /// ResNet-18 and small images from scratch; "pretrained" or "scratch" force one side.
    /// </summary>
    public static Recipe Plan(TaskSpec spec, DataCard card, int seed, string start = "auto")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        var det = card.Detection ?? throw new ClinforgeException($"{card.Source}: the data card has no detection labels, so a detection recipe cannot be planned. Point --data at images with boxes (YOLO/polygon .txt, COCO JSON).");
        var ci = CultureInfo.InvariantCulture;
        var origins = new Dictionary<string, string>();
        int native = Math.Max(card.ImageSizes.CommonWidth, card.ImageSizes.CommonHeight);
        // Resolution and width from measured training throughput of fcos_lite on this 2-core CPU, shared
        // with other builds (bench detection-throughput, batch 16, img/s; runs differ up to 5x with load):
        //   run 1: 256 px w16 5.2 (first row, warm-up), 320 px w16 25.7, 384 px w16 16.3, 320 px w24 11.6
        //   run 2: 256 px w16 12.5, 320 px w16 5.4, 384 px w16 3.1, 320 px w24 4.3
        //   run 3: see README (224 px w8 and 256 px w8 added)
        // A first bone-fracture trial at 256 px w16 managed 6.4 img/s under load: one epoch in 8 minutes,
        // validation mAP@50 0.001. At 224 px w8 the cost per image is about a fifth, so a CPU trial sees
        // several epochs; the playbook raises resolution and width when the curve asks (a GPU user can
        // start higher). Fractures are about a tenth of the image side: ~22 px at 224, ~3 stride-8 cells.
        int size = Math.Min(224, Math.Max(64, native));
        origins["input.size"] = string.Format(ci, "{0} px letterbox (images {1} px): a CPU budget; median box side {2:0%} of the image, {3:0} px at this size", size, native, det.MedianBoxSide, det.MedianBoxSide * size);
        var model = new ModelSpec("fcos_lite", Width: 8, Depth: 1);
        origins["model"] = "FCOS-style anchor-free detector (Tian et al. 2019), small ResNet backbone w8 with an FPN to stride 8: several epochs per CPU trial";
        var optimizer = new OptimizerSpec("adamw", LearningRate: 4e-3, WeightDecay: 1e-4, Schedule: "cosine", GradClip: 10);
        origins["optimizer"] = "AdamW lr 4e-3 (few hundred steps per CPU trial) with a short warm-up, a cosine schedule over the time budget and gradient clipping at 10";
        var aug = new AugmentationSpec(HorizontalFlip: 0.5, Brightness: 0.1);
        origins["augmentation"] = "horizontal flip 0.5 (left and right limbs), brightness/contrast ±10%";
        bool mixed = det.PositivesImageLevelOnly > 0 && det.BoxedShare < MixedSupervisionBelow;
        // Classes: the clinician's answer to the spec's "classes" question (SpecAnswers). Kept apart, the
        // detector learns one map per source class in the data's own order (data.yaml / COCO categories),
        // so class indices in the labels need no remapping; otherwise one class (empty list).
        bool perSource = spec.ClassHandling == TaskSpec.PerSourceClassRequested && det.SourceClasses.Count > 1;
        IReadOnlyList<string> classes = perSource ? det.SourceClasses.ToList() : [];
        var detection = new DetectionRecipe
        {
            Classes = classes,
            // One negative per positive per epoch keeps CPU epochs short; the playbook moves to 2:1 when false marks dominate.
            NegativesPerPositive = det.Negatives > det.PositivesWithBoxes ? 1.0 : 0,
            MixedSupervision = mixed ? "teacher_student" : "none",
        };
        origins["detection.negatives_per_positive"] = detection.NegativesPerPositive > 0 ? "1 negative per positive image per epoch (negatives outnumber boxed positives)" : "every negative each epoch";
        origins["detection.mixed_supervision"] = mixed
            ? string.Format(ci, "teacher–student: only {0:0%} of positive images have boxes ({1} of {2}); the teacher trained on them pseudo-labels the {3} image-level positives (Sohn et al. 2020; Xu et al. 2021)", det.BoxedShare, det.PositivesWithBoxes, det.PositivesWithBoxes + det.PositivesImageLevelOnly, det.PositivesImageLevelOnly)
            : det.PositivesImageLevelOnly > 0 ? string.Format(ci, "none: {0:0%} of positives have boxes, enough to train on them alone", det.BoxedShare) : "none: every positive image has boxes";
        origins["detection.classes"] = perSource
            ? string.Format(ci, "{0} classes kept apart, as the clinician answered (the data's source classes: {1}); one focal-loss map per class, class-aware NMS, per-class AP", classes.Count, string.Join(", ", classes))
            : det.SourceClasses.Count > 1
                ? string.Format(ci, "one class '{0}': the {1} source classes are merged (the request names one finding)", spec.Classes.Count > 0 ? spec.Classes[0] : "finding", det.SourceClasses.Count)
                : "one class";
        origins["objective"] = spec.PrimaryMetric == DetectionMetricNames.F2
            ? "F2 at IoU 0.5 at the validation-chosen score threshold: missed findings cost more"
            : "mAP@50 on validation";
        origins["seed"] = "run seed";
        var scratch = new Recipe
        {
            Input = new InputSpec(size, card.Channels),
            Augmentation = aug,
            Model = model,
            Optimizer = optimizer,
            BatchSize = 16,
            MaxEpochs = 300,
            Seed = seed,
            Detection = detection,
            Origins = origins,
        };
        bool pretrained = start switch { "pretrained" => true, "scratch" => false, _ => ClassificationInitializer.UsePretrained(Math.Min(card.ImageSizes.CommonWidth, card.ImageSizes.CommonHeight)) };
        if (!pretrained)
        {
            if (start == "scratch") origins["model"] += " (from scratch as asked: --start scratch)";
            return scratch;
        }
        return Pretrained(scratch, native, det.MedianBoxSide, start == "pretrained");
    }

    /// <summary>Pyramid channels of the pretrained detector: the width of its stride-8 stage (layer2).</summary>
    public const int PretrainedPyramidWidth = 128;

    /// <summary>Input side of the pretrained detector: thin fracture lines need resolution, a CPU budget caps it (bench detection-throughput).</summary>
    public const int PretrainedSize = 320;

    /// <summary>
    /// The pretrained plan: the same FCOS head and feature pyramid on the pretrained ResNet-18's stride
    /// 8/16/32 maps (Lin et al. 2017), the stem and first stage frozen with their batch norm in
    /// evaluation mode (their generic edge filters transfer; freezing them also saves their backward
    /// pass), later stages fine-tuned at a tenth of the head's learning rate (DETR, Carion et al.
    /// 2020, trains its ImageNet backbone at a tenth of the rest), and a lower head learning rate than
    /// from scratch, since most of the network starts where it should.
    /// </summary>
    public static Recipe Pretrained(Recipe scratch, int nativeSide, double medianBoxSide, bool forced)
    {
        var ci = CultureInfo.InvariantCulture;
        int size = Math.Min(PretrainedSize, Math.Max(64, nativeSide / 32 * 32));
        var origins = new Dictionary<string, string>(scratch.Origins)
        {
            ["input.size"] = string.Format(ci, "{0} px letterbox (images {1} px): thin fracture lines need resolution, and the pretrained detector with its first stage frozen trains at this size within a CPU budget (bench detection-throughput); median box side {2:0%} of the image, {3:0} px at this size", size, nativeSide, medianBoxSide, medianBoxSide * size),
            ["model"] = "FCOS-style detector (Tian et al. 2019) with a feature pyramid (Lin et al. 2017) on the pretrained ResNet-18 ([2, 2, 2, 3], NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18): from scratch on 2 cores the detector stayed at image-level AUC 0.55 on bone-fracture, while frozen features of this network told fractured from intact radiographs with AUC 0.70"
                + (forced ? " (asked for with --start pretrained)" : ""),
            ["fine_tune"] = "stem and stage 1 frozen (batch norm in evaluation mode), stages 2–4 fine-tuned at 0.1× the head's learning rate (Carion et al. 2020, DETR), the pyramid and head at the full rate",
            ["optimizer"] = "AdamW lr 1e-3 for the pyramid and head with a short warm-up, a cosine schedule over the time budget and gradient clipping at 10; the backbone at 1e-4",
        };
        return scratch with
        {
            Input = scratch.Input with { Size = size },
            Model = new ModelSpec("fcos_resnet18", Width: PretrainedPyramidWidth, Depth: 1),
            FineTune = new FineTuneSpec("partial", FrozenStages: 1, BackboneLrScale: 0.1, LayerDecay: 1.0, Views: 1),
            Optimizer = scratch.Optimizer with { LearningRate = 1e-3 },
            Origins = origins,
        };
    }
}
