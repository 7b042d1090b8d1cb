namespace Clinforge.Core;

/// <summary>
/// The detection part of a recipe (null for classification). The model itself is named in
/// <see cref="Recipe.Model"/> (e.g. <c>fcos_lite</c>) and the resolution in <see cref="Recipe.Input"/>;
/// flip and brightness/contrast augmentation reuse <see cref="Recipe.Augmentation"/>.
/// </summary>
public sealed record DetectionRecipe
{
    /// <summary>FCOS centre sampling radius, in units of the output stride (Tian et al. 2019: 1.5).</summary>
    public double CenterRadius { get; init; } = 1.5;
    /// <summary>Focal loss α for the classification map (Lin et al. 2017: 0.25).</summary>
    public double FocalAlpha { get; init; } = 0.25;
    /// <summary>Focal loss γ (Lin et al. 2017: 2).</summary>
    public double FocalGamma { get; init; } = 2.0;
    /// <summary>Label smoothing of the classification targets (positives trained toward 1 − ε).</summary>
    public double LabelSmoothing { get; init; }
    /// <summary>Random scale jitter: zoom factor drawn from [1 − s, 1 + s] (0 = off).</summary>
    public double ScaleJitter { get; init; }
    /// <summary>Negatives drawn per positive image each epoch (0 = every negative every epoch).</summary>
    public double NegativesPerPositive { get; init; }
    /// <summary>IoU above which a lower-scored box is suppressed (NMS).</summary>
    public double NmsIou { get; init; } = 0.5;
    /// <summary>At most this many boxes per image after NMS.</summary>
    public int MaxDetections { get; init; } = 20;
    /// <summary>Boxes under this score are dropped before NMS (evaluation keeps low scores for AP).</summary>
    public double MinScore { get; init; } = 0.02;
    /// <summary>none | teacher_student: how positives without boxes are used.</summary>
    public string MixedSupervision { get; init; } = "none";
    /// <summary>Share of the trial's training budget spent on the teacher (teacher_student only).</summary>
    public double TeacherFraction { get; init; } = 0.5;
    /// <summary>Pseudo-boxes need at least this teacher score (Sohn et al. 2020 use a high threshold).</summary>
    public double PseudoThreshold { get; init; } = 0.3;
    /// <summary>At most this many pseudo-boxes per image-level positive.</summary>
    public int PseudoMaxBoxes { get; init; } = 2;
    /// <summary>The teacher pseudo-labels only when its validation mAP@50 reaches this: a teacher that cannot find findings would teach noise (confirmation bias).</summary>
    public double MinTeacherMap50 { get; init; } = 0.05;
    /// <summary>
    /// Teacher–student rounds: 1 = one teacher, one student; 2 = the first student's best checkpoint then
    /// relabels the image-level positives and a second student trains on them ("optionally iterate",
    /// Xie et al. 2020, Noisy Student, iterate with the student as the next teacher).
    /// </summary>
    public int PseudoLabelRounds { get; init; } = 1;
    /// <summary>
    /// The classes the detector keeps apart, names in index order (a box's <see cref="BoundingBox.Class"/>
    /// indexes this list). Empty or one name = a single class (every box one finding), as in recipes
    /// written before multi-class detection; filled from the data's source classes when the clinician
    /// asks to keep them apart (<c>per_source_class_requested</c>).
    /// </summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>Number of class maps the detector predicts (1 for a single class).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ClassCount => Math.Max(1, Classes.Count);

    /// <summary>Whether the detector keeps more than one class apart.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool MultiClass => Classes.Count > 1;
}
