using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Playbook moves for detection specs, in the shape of <see cref="PlaybookProposer"/>: a
/// condition read from the evidence (best trial's recall and precision at its operating point, its
/// learning curve, the data card's supervision structure) and a reason citing the technique's
/// source. Discarded moves are not repeated; a failed trial gets the repair move first.
/// </summary>
public sealed class DetectionPlaybook : IProposer
{
    private sealed record Move(string Name, Func<DevelopmentState, Evidence, bool> When, Func<Recipe, DetectionRecipe, Evidence, (Recipe Recipe, string Change, string Reason)> Apply, string Source, bool Repeatable = false);

    /// <summary>What the best trial and the data card say.</summary>
    public sealed record Evidence(CurveDiagnosis Curve, double Recall, double Precision, bool RecallFirst, int NativeSize, double BoxedShare, int ImageLevelPositives, bool LastFailed, string? LastFailure)
    {
        /// <summary>Why another teacher–student round is (or is not) worth a trial.</summary>
        public string? SecondRoundReason { get; init; }
    }

    /// <summary>
    /// Whether to propose one more teacher–student round: only when the last round of the best trial
    /// used its pseudo-labels and its student beat its teacher on validation (a student that did not
    /// improve would only relabel with the same or a worse model: confirmation bias, Arazo et al. 2020).
    /// </summary>
    public static (bool Propose, string Reason) SecondRound(DetectionRecipe? recipe, IReadOnlyList<PseudoLabelRound>? rounds)
    {
        if (recipe is not { MixedSupervision: "teacher_student" }) return (false, "no teacher–student training in the best trial");
        if (recipe.PseudoLabelRounds >= 3) return (false, "already at the most rounds (3)");
        if (rounds is not { Count: > 0 }) return (false, "the best trial recorded no teacher–student round");
        var last = rounds[^1];
        if (!last.Used) return (false, $"round {last.Round}'s teacher was too weak to pseudo-label ({last.Reason})");
        if (last.StudentValObjective is not { } student) return (false, $"round {last.Round}'s student did not train");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return last.StudentBeatTeacher
            ? (true, $"round {last.Round}'s student beat its teacher on validation ({student.ToString("0.0000", inv)} > {last.TeacherValObjective.ToString("0.0000", inv)}) after learning from {last.PseudoLabelled} pseudo-labelled images: as the next teacher it should label the image-level positives better.")
            : (false, $"round {last.Round}'s student did not beat its teacher on validation ({student.ToString("0.0000", inv)} ≤ {last.TeacherValObjective.ToString("0.0000", inv)}): relabelling with it would not help");
    }

    private static readonly Move[] s_moves =
    [
        new("lower_learning_rate", (s, e) => e.LastFailed,
            (r, d, e) => (r with { Optimizer = r.Optimizer with { LearningRate = r.Optimizer.LearningRate / 3, GradClip = 1.0 } }, $"learning rate {r.Optimizer.LearningRate:G3} → {r.Optimizer.LearningRate / 3:G3}, gradient clipping at 1",
                $"The last trial failed ({e.LastFailure}); a lower learning rate with clipping is the standard repair."), "Pascanu et al. 2013", Repeatable: true),
        new("mixed_supervision", (s, e) => e.ImageLevelPositives > 0 && s.BestRecipe.Detection?.MixedSupervision != "teacher_student",
            (r, d, e) => (r with { Detection = d with { MixedSupervision = "teacher_student" } }, "mixed supervision none → teacher–student pseudo-labels",
                $"{e.ImageLevelPositives} positive images have no boxes ({e.BoxedShare:0%} boxed): a teacher trained on the boxed ones can label them, and the student learns from both."),
            "Sohn et al. 2020 (STAC); Xu et al. 2021 (Soft Teacher)"),
        new("second_pseudo_label_round", (s, e) => SecondRound(s.BestRecipe.Detection, s.BestPseudoLabelRounds).Propose,
            (r, d, e) => (r with { Detection = d with { PseudoLabelRounds = d.PseudoLabelRounds + 1 } }, $"teacher–student rounds {d.PseudoLabelRounds} → {d.PseudoLabelRounds + 1} (the student becomes the next teacher)",
                e.SecondRoundReason ?? ""),
            "Xie et al. 2020 (Noisy Student: iterate, the student as the next teacher)"),
        new("centre_sampling_radius", (s, e) => e.Recall < 0.6 && (s.BestRecipe.Detection?.CenterRadius ?? 1.5) < 2.5,
            (r, d, e) => (r with { Detection = d with { CenterRadius = d.CenterRadius + 1.0 } }, $"centre sampling radius {d.CenterRadius:G2} → {d.CenterRadius + 1:G2} strides",
                $"Recall at the operating point is {e.Recall:0%}: more locations per annotated box become positives, so small findings get more training signal."),
            "Tian et al. 2019 (FCOS centre sampling); Zhang et al. 2020 (ATSS)", Repeatable: true),
        new("negatives_curation", (s, e) => e.Precision < e.Recall && (s.BestRecipe.Detection?.NegativesPerPositive ?? 0) is > 0 and < 2,
            (r, d, e) => (r with { Detection = d with { NegativesPerPositive = 2 } }, $"negatives per positive {d.NegativesPerPositive:G2} → 2",
                $"False marks dominate (precision {e.Precision:0%} < recall {e.Recall:0%}): showing two fracture-free images per positive teaches what is not a finding."),
            "hard/negative mining practice: Shrivastava et al. 2016 (OHEM); Lin et al. 2017"),
        new("focal_alpha", (s, e) => e.RecallFirst && (s.BestRecipe.Detection?.FocalAlpha ?? 0.25) < 0.5,
            (r, d, e) => (r with { Detection = d with { FocalAlpha = 0.5 } }, $"focal loss α {d.FocalAlpha:G2} → 0.5",
                "Missing a finding costs more than a false mark: weighting positive locations as much as background in the focal loss pushes scores of findings up."),
            "Lin et al. 2017 (focal loss α)"),
        new("scale_augmentation", (s, e) => e.Curve is CurveDiagnosis.Overfitting or CurveDiagnosis.Plateau && (s.BestRecipe.Detection?.ScaleJitter ?? 0) < 0.2,
            (r, d, e) => (r with { Detection = d with { ScaleJitter = 0.2 }, Augmentation = r.Augmentation with { Brightness = Math.Max(r.Augmentation.Brightness, 0.2) } }, "scale jitter 0 → ±20%, brightness/contrast ±20%",
                "Validation stopped improving while training loss fell: scale and intensity jitter show each finding at more sizes and exposures."),
            "Ghiasi et al. 2021 (scale jitter); Shorten & Khoshgoftaar 2019"),
        new("label_smoothing", (s, e) => e.Curve is CurveDiagnosis.Overfitting && (s.BestRecipe.Detection?.LabelSmoothing ?? 0) == 0,
            (r, d, e) => (r with { Detection = d with { LabelSmoothing = 0.1 } }, "classification label smoothing 0 → 0.1",
                "The detector grows over-confident on training boxes; softer targets often generalise better."),
            "Szegedy et al. 2016; Zhang et al. 2019 (bag of freebies for detection)"),
        // Sizes stay whole stride-32 cells (the pretrained detector's pyramid needs them).
        new("higher_resolution", (s, e) => e.NativeSize / 32 * 32 > s.BestRecipe.Input.Size && s.BestRecipe.Input.Size < 384,
            (r, d, e) => { int next = Math.Min(e.NativeSize / 32 * 32, r.Input.Size + 64); return (r with { Input = r.Input with { Size = next } }, $"input {r.Input.Size} → {next} px",
                $"Images are {e.NativeSize} px; fracture lines are thin, and more pixels per finding may separate them from normal cortex."); },
            "Tan et al. 2020 (EfficientDet resolution scaling)", Repeatable: true),
        new("nms_threshold", (s, e) => e.Precision < 0.3 && (s.BestRecipe.Detection?.NmsIou ?? 0.5) > 0.35,
            (r, d, e) => (r with { Detection = d with { NmsIou = 0.35 } }, $"NMS IoU {d.NmsIou:G2} → 0.35",
                $"Precision is {e.Precision:0%}: overlapping duplicate marks on one finding count as false marks; stricter suppression removes them."),
            "Neubeck & Van Gool 2006; Bodla et al. 2017"),
        new("longer_training", (s, e) => e.Curve is CurveDiagnosis.StillImproving or CurveDiagnosis.Underfitting && s.BestRecipe.TrainBudgetFraction < 0.95,
            (r, d, e) => (r with { TrainBudgetFraction = 0.95 }, $"share of the trial budget spent training {r.TrainBudgetFraction:0%} → 95%",
                "Validation was still improving when the budget ended: more of it goes to training."),
            "Goyal et al. 2017 (schedules); He et al. 2019 (rethinking ImageNet pre-training: detectors need long schedules)"),
        new("unfreeze_first_stage", (s, e) => e.Curve is CurveDiagnosis.Underfitting or CurveDiagnosis.StillImproving
                && s.BestRecipe.Model.Name == "fcos_resnet18" && s.BestRecipe.FineTune is { Strategy: "partial" },
            (r, d, e) => (r with { FineTune = r.FineTune! with { Strategy = "full" } }, $"stem and stage 1 frozen → every stage fine-tuned (×{r.FineTune!.LayerDecay:G2} per earlier stage)",
                "Radiographs are far from ImageNet photographs: the first filters may need to adapt to grey bone edges, and the training loss says the network has room to fit."),
            "Yosinski et al. 2014 (how transferable are features); Raghu et al. 2019 (Transfusion)"),
        new("lower_backbone_lr", (s, e) => e.Curve is CurveDiagnosis.Overfitting
                && s.BestRecipe.Model.Name == "fcos_resnet18" && (s.BestRecipe.FineTune?.BackboneLrScale ?? 1) > 0.03,
            (r, d, e) => { var ft = r.FineTune ?? new FineTuneSpec("partial", FrozenStages: 1); return (r with { FineTune = ft with { BackboneLrScale = ft.BackboneLrScale / 3 } }, $"backbone learning rate ×{ft.BackboneLrScale:G2} → ×{ft.BackboneLrScale / 3:G2} of the head's",
                "Validation turns down while training improves: the pretrained features are being overwritten by what fits the training radiographs; smaller backbone steps keep more of them."); },
            "Howard & Ruder 2018 (discriminative fine-tuning); Kumar et al. 2022 (fine-tuning distorts pretrained features)"),
        new("wider_network", (s, e) => e.Curve is CurveDiagnosis.Underfitting && s.BestRecipe.Model.Name == "fcos_lite" && s.BestRecipe.Model.Width < 32,
            (r, d, e) => (r with { Model = r.Model with { Width = r.Model.Width + 8 } }, $"width {r.Model.Width} → {r.Model.Width + 8}",
                "Training loss stays high: more capacity."), "Zagoruyko & Komodakis 2016", Repeatable: true),
    ];

    /// <summary>All move names, for documentation and tests.</summary>
    public static IReadOnlyList<string> MoveNames => s_moves.Select(m => m.Name).ToArray();

    /// <summary>The next detection proposal, or null when nothing sensible is left.</summary>
    public Proposal? Propose(DevelopmentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var e = Read(state);
        var d = state.BestRecipe.Detection ?? new DetectionRecipe();
        foreach (var move in s_moves)
        {
            if (!PlaybookProposer.MayTry(state, move.Name, move.Repeatable) || !move.When(state, e)) continue;
            var (recipe, change, reason) = move.Apply(state.BestRecipe, d, e);
            if (state.AlreadyTried(recipe)) continue;
            recipe = recipe.WithOrigin($"round:{move.Name}", change + " — " + move.Source);
            return new Proposal(move.Name, change, $"{reason} (Best trial: recall {e.Recall:0%}, precision {e.Precision:0%} at its operating point; curve {e.Curve}.)", move.Source, recipe);
        }
        return null;
    }

    /// <summary>Reads recall/precision of the best trial (Sensitivity/Specificity of its validation metrics) and the data card.</summary>
    public static Evidence Read(DevelopmentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var best = state.BestMetrics?.Best;
        var last = state.History.Count > 0 ? state.History[^1] : default;
        bool lastFailed = last.Record is { Status: not TrialStatus.Succeeded };
        var det = state.Card.Detection;
        return new Evidence(PlaybookProposer.Diagnose(state.BestMetrics), best?.Sensitivity ?? 0, best?.Specificity ?? 0,
            state.Spec.PrimaryMetric == DetectionMetricNames.F2 || state.Spec.ErrorPreference == ErrorPreference.Sensitivity,
            Math.Max(state.Card.ImageSizes.CommonWidth, state.Card.ImageSizes.CommonHeight),
            det?.BoxedShare ?? 1, det?.PositivesImageLevelOnly ?? 0, lastFailed, lastFailed ? last.Record!.Diagnosis ?? last.Record.Status.ToString() : null)
        {
            SecondRoundReason = SecondRound(state.BestRecipe.Detection, state.BestPseudoLabelRounds).Reason,
        };
    }
}
