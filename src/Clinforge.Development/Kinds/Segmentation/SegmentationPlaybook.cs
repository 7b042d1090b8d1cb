using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Playbook moves for segmentation specs, in the shape of <see cref="DetectionPlaybook"/>: a condition
/// read from the evidence (the best trial's pixel sensitivity and precision on validation, its learning
/// curve, the structure's coverage in the data card) and a reason citing the technique's source.
/// Discarded moves are not repeated; a failed trial gets the repair move first.
/// </summary>
public sealed class SegmentationPlaybook : IProposer
{
    private sealed record Move(string Name, Func<DevelopmentState, Evidence, bool> When, Func<Recipe, SegmentationRecipe, Evidence, (Recipe Recipe, string Change, string Reason)> Apply, string Source, bool Repeatable = false)
    {
        /// <summary>Changes only how a trained network is applied: the trial reuses the best trial's weights.</summary>
        public bool InferenceOnly { get; init; }
    }

    /// <summary>What the best trial and the data card say.</summary>
    /// <param name="Curve">The best trial's learning curve.</param>
    /// <param name="Sensitivity">Its mean per-image pixel sensitivity on validation.</param>
    /// <param name="Precision">Its mean per-image pixel precision on validation.</param>
    /// <param name="RecallFirst">Whether missed pixels cost more (the spec's objective).</param>
    /// <param name="NativeSize">The images' common longer side.</param>
    /// <param name="Coverage">The smallest label's mean share of the counted pixels.</param>
    /// <param name="LastFailed">Whether the last trial failed.</param>
    /// <param name="LastFailure">Why it failed.</param>
    /// <param name="SizeCeiling">The largest useful working side for the best recipe's network (<see cref="SegmentationInitializer.LargestSize"/>, within memory).</param>
    public sealed record Evidence(CurveDiagnosis Curve, double Sensitivity, double Precision, bool RecallFirst, int NativeSize, double Coverage, bool LastFailed, string? LastFailure, int SizeCeiling);

    /// <summary>Below this mean coverage a structure counts as thin or rare (DRIVE's vessels cover 12.5% of the field of view).</summary>
    public const double ThinCoverage = 0.15;

    private static readonly Move[] s_moves =
    [
        new("lower_learning_rate", (s, e) => e.LastFailed,
            (r, g, e) => (r with { Optimizer = r.Optimizer with { LearningRate = r.Optimizer.LearningRate / 3, GradClip = 1.0 } }, $"learning rate {r.Optimizer.LearningRate:G3} → {r.Optimizer.LearningRate / 3:G3}, gradient clipping at 1",
                $"The last trial failed ({e.LastFailure}); a lower learning rate with clipping is the standard repair."), "Pascanu et al. 2013", Repeatable: true),
        new("flip_inference", (s, e) => s.BestRecipe.Segmentation is { FlipInference: false },
            (r, g, e) => (r with { Segmentation = g with { FlipInference = true } }, "inference on the image alone → averaged over horizontal and vertical flips",
                "Averaging the probabilities of mirrored copies smooths the errors of one orientation; it costs three forward passes per image and no training."),
            "Isensee et al. 2021 (nnU-Net test-time mirroring)") { InferenceOnly = true },
        new("tversky_loss", (s, e) => e.RecallFirst && s.BestRecipe.Segmentation?.Loss != "tversky",
            (r, g, e) => (r with { Segmentation = g with { Loss = "tversky", TverskyAlpha = 0.3, TverskyBeta = 0.7 } }, $"loss {g.Loss} → Tversky (α 0.3, β 0.7) + cross-entropy",
                $"Missing part of the structure costs more: the Tversky index weighs missed pixels (β 0.7) above false ones (α 0.3). Validation sensitivity is {e.Sensitivity:0%}, precision {e.Precision:0%}."),
            "Salehi et al. 2017 (Tversky loss)"),
        new("focal_loss", (s, e) => e.Coverage < ThinCoverage && s.BestRecipe.Segmentation?.Loss == "dice_ce",
            (r, g, e) => (r with { Segmentation = g with { Loss = "dice_focal" } }, "loss Dice + cross-entropy → Dice + focal (γ 2)",
                $"The structure covers {e.Coverage:0.#%} of the pixels: most pixels are easy background, and the focal term moves the weight to the hard ones (thin branches, edges)."),
            "Lin et al. 2017 (focal loss); Ma et al. 2021 (loss odyssey in medical image segmentation)"),
        new("foreground_oversampling", (s, e) => e.Sensitivity < 0.75 && (s.BestRecipe.Segmentation?.ForegroundPatchFraction ?? 0.33) < 0.6,
            (r, g, e) => (r with { Segmentation = g with { ForegroundPatchFraction = 0.66 } }, $"patches centred on the structure {g.ForegroundPatchFraction:0%} → 66%",
                $"Validation sensitivity is {e.Sensitivity:0%}: more patches centred on the structure show it more often (class-balanced patch sampling)."),
            "Isensee et al. 2021 (nnU-Net foreground oversampling)"),
        new("remove_small_components", (s, e) => e.Precision < e.Sensitivity && (s.BestRecipe.Segmentation?.MinComponentPixels ?? 0) == 0,
            (r, g, e) => { int px = Math.Max(10, r.Input.Size * r.Input.Size / 4000); return (r with { Segmentation = g with { MinComponentPixels = px } }, $"prediction unchanged → connected pieces under {px} px removed",
                $"Precision ({e.Precision:0%}) is below sensitivity ({e.Sensitivity:0%}): isolated specks are likely false; removing them is kept only if validation agrees."); },
            "Isensee et al. 2021 (nnU-Net post-processing, kept when validation improves)") { InferenceOnly = true },
        new("local_contrast", (s, e) => s.BestRecipe.Segmentation is { Contrast: ContrastModes.None },
            (r, g, e) => (r with { Segmentation = g with { Contrast = ContrastModes.Clahe } }, "pixels as decoded → each channel's contrast equalised locally (CLAHE, 8×8 tiles, clip limit 2) before the network",
                "Uneven illumination and pale or dark areas make the same structure look different from image to image; local equalisation brings faint parts up to the contrast the network learned elsewhere."),
            "Zuiderveld 1994 (CLAHE); its use before the network in retinal-vessel segmentation (Jin et al. 2019, DUNet)"),
        new("larger_patches", (s, e) => e.Curve is CurveDiagnosis.Plateau or CurveDiagnosis.Underfitting && (s.BestRecipe.Segmentation?.PatchSize ?? 256) + 128 <= s.BestRecipe.Input.Size,
            (r, g, e) => (r with { Segmentation = g with { PatchSize = g.PatchSize + 128, PatchesPerImage = Math.Max(1, g.PatchesPerImage / 2) }, BatchSize = Math.Max(2, r.BatchSize / 2) }, $"patches {g.PatchSize} → {g.PatchSize + 128} px (half as many per image, half the batch)",
                "Validation stopped improving: larger patches give each prediction more context (where a vessel comes from and goes)."),
            "Isensee et al. 2021 (nnU-Net: patch size as large as memory allows)"),
        new("higher_resolution", (s, e) => e.SizeCeiling > s.BestRecipe.Input.Size,
            (r, g, e) => { int next = Math.Min(e.SizeCeiling, r.Input.Size + 128); return (r with { Input = r.Input with { Size = next } }, $"input {r.Input.Size} → {next} px",
                next > e.NativeSize
                    ? $"Images are {e.NativeSize} px and the structure is thin: enlarged, its thin parts span more than one cell of the pretrained encoder's finest (stride-2) map."
                    : $"Images are {e.NativeSize} px: thin parts of the structure are lost when the image is shrunk."); },
            "Ronneberger et al. 2015; Isensee et al. 2021 (full-resolution configuration)", Repeatable: true),
        new("lower_backbone_lr", (s, e) => e.Curve is CurveDiagnosis.Overfitting && s.BestRecipe.Model.Name == "unet_resnet18" && (s.BestRecipe.FineTune?.BackboneLrScale ?? 1) > 0.03,
            (r, g, e) => { var ft = r.FineTune ?? new FineTuneSpec("full"); return (r with { FineTune = ft with { BackboneLrScale = ft.BackboneLrScale / 3 } }, $"encoder learning rate ×{ft.BackboneLrScale:G2} → ×{ft.BackboneLrScale / 3:G2} of the decoder's",
                "Validation turns down while training improves: smaller encoder steps keep more of the pretrained features."); },
            "Howard & Ruder 2018 (discriminative fine-tuning)"),
        new("wider_decoder", (s, e) => e.Curve is CurveDiagnosis.Underfitting && s.BestRecipe.Model.Width < 64,
            (r, g, e) => (r with { Model = r.Model with { Width = r.Model.Width * 2 } }, $"decoder width {r.Model.Width} → {r.Model.Width * 2}",
                "Training loss stays high: more decoder capacity."), "Zagoruyko & Komodakis 2016"),
    ];

    /// <summary>All move names, for documentation and tests.</summary>
    public static IReadOnlyList<string> MoveNames => s_moves.Select(m => m.Name).ToArray();

    /// <summary>The next segmentation proposal, or null when nothing sensible is left.</summary>
    public Proposal? Propose(DevelopmentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var e = Read(state);
        var tried = state.History.Select(h => h.Record).ToList();
        var g = state.BestRecipe.Segmentation ?? new SegmentationRecipe();
        foreach (var move in s_moves)
        {
            if (!PlaybookProposer.MayTry(state, move.Name, move.Repeatable) || !move.When(state, e)) continue;
            var (recipe, change, reason) = move.Apply(state.BestRecipe, g, e);
            // An inference-only move validates the best trial's own weights; any other move trains anew.
            int? reuse = move.InferenceOnly ? TrialRecord.Best(tried)?.Number : null;
            recipe = recipe with { Segmentation = recipe.Segmentation! with { ReuseWeightsOf = reuse } };
            if (reuse is not null) change += $" (on trial {reuse}'s weights, not retrained)";
            if (state.AlreadyTried(recipe) || RecipeSchema.Problems(recipe).Count > 0) continue;
            recipe = recipe.WithOrigin($"round:{move.Name}", change + " — " + move.Source);
            return new Proposal(move.Name, change, $"{reason} (Best trial: pixel sensitivity {e.Sensitivity:0%}, precision {e.Precision:0%} on validation; curve {e.Curve}.)", move.Source, recipe);
        }
        return null;
    }

    /// <summary>Reads the best trial's sensitivity and precision (Sensitivity/Specificity of its validation metrics) and the data card.</summary>
    public static Evidence Read(DevelopmentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var best = state.BestMetrics?.Best;
        var last = state.History.Count > 0 ? state.History[^1] : default;
        bool lastFailed = last.Record is { Status: not TrialStatus.Succeeded };
        var labels = state.Card.Segmentation?.Labels ?? [];
        int native = Math.Max(state.Card.ImageSizes.CommonWidth, state.Card.ImageSizes.CommonHeight);
        double coverage = labels.Count > 0 ? labels.Min(l => l.MeanFraction) : 1;
        int ceiling = SegmentationInitializer.WithinMemory(
            SegmentationInitializer.LargestSize(native, state.BestRecipe.Model.Name == "unet_resnet18",
                state.Card.Segmentation is { } summary && SegmentationInitializer.Thin(summary).Thin), state.Card.TotalItems, state.Card.Channels);
        return new Evidence(PlaybookProposer.Diagnose(state.BestMetrics), best?.Sensitivity ?? 0, best?.Specificity ?? 0,
            state.Spec.ErrorPreference == ErrorPreference.Sensitivity || state.Spec.PrimaryMetric is SegmentationMetricNames.Sensitivity or "f2",
            native, coverage, lastFailed, lastFailed ? last.Record!.Diagnosis ?? last.Record.Status.ToString() : null, ceiling);
    }
}
