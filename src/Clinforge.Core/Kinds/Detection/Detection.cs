namespace Clinforge.Core;

/// <summary>
/// An axis-aligned box in normalised image coordinates (0..1, origin top-left), with its class index
/// among the detection classes and, for predictions, a score.
/// </summary>
public sealed record BoundingBox(double X1, double Y1, double X2, double Y2, int Class = 0, double Score = 1.0)
{
    /// <summary>Width × height (normalised).</summary>
    public double Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);

    /// <summary>Intersection over union with another box (0 when disjoint or degenerate).</summary>
    public double Iou(BoundingBox other)
    {
        ArgumentNullException.ThrowIfNull(other);
        double iw = Math.Min(X2, other.X2) - Math.Max(X1, other.X1);
        double ih = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        if (iw <= 0 || ih <= 0) return 0;
        double inter = iw * ih;
        double union = Area + other.Area - inter;
        return union <= 0 ? 0 : inter / union;
    }
}

/// <summary>Detections of one image (normalised boxes with scores), as written to JSON.</summary>
public sealed record ImageBoxes(string Id, IReadOnlyList<BoundingBox> Boxes)
{
    /// <summary>
    /// A detection trial's best-epoch detections on the judging half of its fully supervised validation
    /// images (all of them when the set was too small to halve; <see cref="DetectionJudging"/>), in the trial folder.
    /// </summary>
    public const string ValidationFile = TrialPaths.ValDetectionsFile;
}

/// <summary>
/// A detector's operating point: the score a box needs to be shown. One pooled threshold, or, for a
/// detector that keeps classes apart, one per class (each chosen on validation; a class with too few
/// validation boxes keeps the pooled one). Shared by the evaluation, <c>predict</c> and <c>evaluate</c>
/// so a box is kept by the same rule everywhere.
/// </summary>
public sealed record DetectionOperatingPoint(double Threshold, IReadOnlyList<double> ClassThresholds)
{
    /// <summary>A single threshold for every box.</summary>
    public static DetectionOperatingPoint Pooled(double threshold) => new(threshold, []);

    /// <summary>The threshold a box of class <paramref name="k"/> must reach.</summary>
    public double For(int k) => k >= 0 && k < ClassThresholds.Count ? ClassThresholds[k] : Threshold;

    /// <summary>Whether <paramref name="box"/> is shown (its score reaches its class's threshold).</summary>
    public bool Keeps(BoundingBox box)
    {
        ArgumentNullException.ThrowIfNull(box);
        return box.Score >= For(box.Class);
    }
}

/// <summary>
/// The annotation of one image for detection: its boxes when it has them (<see cref="HasBoxes"/>),
/// otherwise only an image-level label (<see cref="Positive"/>: a finding is present somewhere).
/// A negative image (no finding) has HasBoxes = true and no boxes: it is fully supervised.
/// </summary>
public sealed record DetectionLabel(IReadOnlyList<BoundingBox> Boxes, bool HasBoxes, bool Positive)
{
    /// <summary>A negative image: no finding, so no boxes, and that is complete supervision.</summary>
    public static DetectionLabel Negative { get; } = new([], true, false);

    /// <summary>A positive image known only at image level (no boxes drawn).</summary>
    public static DetectionLabel ImageLevelPositive { get; } = new([], false, true);

    /// <summary>An image with drawn boxes (positive when there is at least one).</summary>
    public static DetectionLabel WithBoxes(IReadOnlyList<BoundingBox> boxes) => new(boxes, true, boxes.Count > 0);
}

/// <summary>
/// The supervision structure of a detection dataset (in the data card): how many positives have boxes
/// and how many are known only at image level. When the boxed share is small the initializer plans
/// teacher–student pseudo-labelling (see DESIGN.md).
/// </summary>
public sealed record DetectionSummary
{
    /// <summary>yolo | polygon | coco | mixed: the label format found.</summary>
    public required string LabelFormat { get; init; }
    /// <summary>Class names as the data names them (e.g. data.yaml), before mapping to the request's classes.</summary>
    public required IReadOnlyList<string> SourceClasses { get; init; }
    public required int Negatives { get; init; }
    public required int PositivesWithBoxes { get; init; }
    public required int PositivesImageLevelOnly { get; init; }
    public required int Boxes { get; init; }
    /// <summary>Per split: positives with boxes, positives at image level only, negatives.</summary>
    public IReadOnlyDictionary<string, SupervisionCounts> PerSplit { get; init; } = new Dictionary<string, SupervisionCounts>();
    /// <summary>Median box side relative to the image's longer side (0..1), or 0 without boxes.</summary>
    public double MedianBoxSide { get; init; }

    /// <summary>Share of positive images that have boxes (1 when there are no positives).</summary>
    public double BoxedShare => PositivesWithBoxes + PositivesImageLevelOnly == 0 ? 1 : (double)PositivesWithBoxes / (PositivesWithBoxes + PositivesImageLevelOnly);

    /// <summary>full (every positive has boxes) | mixed (some positives only at image level) | image_level (none has boxes).</summary>
    public string Supervision => PositivesImageLevelOnly == 0 ? "full" : PositivesWithBoxes == 0 ? "image_level" : "mixed";
}

/// <summary>Supervision counts of one split.</summary>
public sealed record SupervisionCounts(int PositivesWithBoxes, int PositivesImageLevelOnly, int Negatives);

/// <summary>Names of detection objectives (TaskSpec.PrimaryMetric for detection tasks).</summary>
public static class DetectionMetricNames
{
    /// <summary>COCO AP at IoU 0.5.</summary>
    public const string Map50 = "map50";
    /// <summary>F-beta with β = 2 (recall weighted 4× precision) at IoU 0.5, at the best score threshold on validation.</summary>
    public const string F2 = "f2_at_iou50";
}

/// <summary>One model's detection metrics on the test split, at the score threshold chosen on validation.</summary>
public sealed record DetectionModelResult(int Trial, string Label, double Threshold, IReadOnlyDictionary<string, Estimate> Metrics)
{
    /// <summary>
    /// Per class when the detector keeps classes apart (empty for a single class): AP@50, AP@50:95 and
    /// precision, recall, F1 at IoU 0.5 at <see cref="Threshold"/>, each with its bootstrap CI.
    /// </summary>
    public IReadOnlyList<DetectionClassResult> PerClass { get; init; } = [];

    /// <summary>
    /// Per-class score thresholds chosen on validation (index = class), for a detector that keeps classes
    /// apart; empty when every class uses <see cref="Threshold"/>.
    /// </summary>
    public IReadOnlyList<double> ClassThresholds { get; init; } = [];

    /// <summary>The operating point: <see cref="Threshold"/> with <see cref="ClassThresholds"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DetectionOperatingPoint Operating => new(Threshold, ClassThresholds);

    /// <summary>The image-level reading at the operating point on every test image (null in evaluations written before it existed).</summary>
    public ImageLevelResult? ImageLevel { get; init; }
}

/// <summary>
/// The image-level reading of a detector ("is there a finding in this image?"): an image's score is
/// its highest box score, and an image is flagged when at least one box reaches the operating
/// threshold, which is what a clinician sees as a marked image. Counted on every test image, including
/// positives known only at image level (no boxes to match, so absent from the box metrics).
/// AUC with its DeLong interval; sensitivity and specificity at the threshold with percentile bootstrap
/// intervals stratified by label.
/// </summary>
public sealed record ImageLevelResult(int Positives, int Negatives, Estimate Auc, Estimate Sensitivity, Estimate Specificity)
{
    /// <summary>Flagged positives (at least one box at or above the threshold).</summary>
    public int TruePositives { get; init; }
    /// <summary>Flagged negatives.</summary>
    public int FalsePositives { get; init; }
}

/// <summary>Initial vs final at image level on the same test images: final − initial AUC and DeLong's paired test (DeLong et al. 1988).</summary>
public sealed record ImageLevelComparison(double AucDifference, double PValue);

/// <summary>
/// The metrics of one detection class: <paramref name="Boxes"/> ground-truth boxes of the class in the
/// scored images; metric names as in <see cref="DetectionModelResult.Metrics"/> (map50 is the class's AP@50).
/// A class without ground truth has NaN AP and takes no part in the mean (COCO convention).
/// </summary>
public sealed record DetectionClassResult(string Class, int Boxes, IReadOnlyDictionary<string, Estimate> Metrics);

/// <summary>final/detection_evaluation.json: the one look at the sealed test split for a detection run.</summary>
public sealed record DetectionEvaluation
{
    public required DateTimeOffset LookedAt { get; init; }
    /// <summary>Test images scored (fully supervised: boxed positives and negatives).</summary>
    public required int TestImages { get; init; }
    public required int TestPositives { get; init; }
    public required int TestBoxes { get; init; }
    /// <summary>Test positives known only at image level: no boxes to match, so left out of the box metrics.</summary>
    public int TestImageLevelOnly { get; init; }
    public required string ObjectiveName { get; init; }
    /// <summary>The classes the final model keeps apart, in index order (empty: one class, the spec's finding).</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];
    public required DetectionModelResult Initial { get; init; }
    public required DetectionModelResult Final { get; init; }
    public required int BootstrapResamples { get; init; }
    public required int BootstrapSeed { get; init; }
    /// <summary>Final − initial image-level AUC with DeLong's paired p-value (null when the final model is the initial one or a class is missing).</summary>
    public ImageLevelComparison? ImageLevelChange { get; init; }
    /// <summary>Example test images drawn with the final model's marks at the look (empty in evaluations written before them).</summary>
    public IReadOnlyList<DetectionExample> Examples { get; init; } = [];
}

/// <summary>
/// One teacher–student round of a trial (the trial's pseudo_labels.json): which checkpoint taught,
/// how good it was on validation, how many image-level positives it labelled, and how the student
/// that learnt from it did. Read by the model card and by the playbook's second-round move.
/// </summary>
public sealed record PseudoLabelRound(int Round, int TeacherEpoch, double TeacherValObjective, double TeacherValMap50,
    int ImageLevelPositives, int PseudoLabelled, bool Used, string Reason)
{
    /// <summary>File name in the trial folder.</summary>
    public const string File = TrialPaths.PseudoLabelsFile;
    /// <summary>Best validation objective of the student trained on this round's pseudo-labels (null until it has trained).</summary>
    public double? StudentValObjective { get; init; }
    /// <summary>Whether the student beat its teacher on validation (the condition for another round).</summary>
    public bool StudentBeatTeacher => Used && StudentValObjective is { } s && s > TeacherValObjective;
}
