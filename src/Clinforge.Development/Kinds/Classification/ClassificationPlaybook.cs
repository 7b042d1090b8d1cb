using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The classification kind's offline moves: a playbook of established techniques, each a move with a condition read
/// from the evidence (learning curve, class balance, image size, past trials) and a plain-language
/// reason citing its source. Moves that were tried and discarded are not repeated; a failed trial
/// gets a repair move first (AIDE's debug step).
/// </summary>
public sealed class ClassificationPlaybook : IProposer
{
    private sealed record Move(string Name, Func<DevelopmentState, Facts, bool> When, Func<Recipe, Facts, (Recipe Recipe, string Change, string Reason)> Apply, string Source, bool Repeatable = false);

    /// <summary>Evidence computed once per proposal.</summary>
    public sealed record Facts(CurveDiagnosis Curve, double ImbalanceRatio, int NativeSize, bool LastFailed, string? LastFailure, double Ece = double.NaN)
    {
        /// <summary>Validation confidence is off from accuracy by more than 0.1 on average (Guo et al. 2017 call such networks miscalibrated).</summary>
        public bool Miscalibrated => Ece > 0.1;

        /// <summary>The best trial's epochs, and the epoch of its best validation (0 when unknown).</summary>
        public int Epochs { get; init; }
        public int BestEpoch { get; init; }

        /// <summary>What the validation confusion matrix says (multi-class tasks only).</summary>
        public ConfusionFacts? Confusion { get; init; }

        /// <summary>A learning rate a successive-halving trial chose that differs from the best recipe's (null if none).</summary>
        public (double Value, int Trial)? SearchedLearningRate { get; init; }
    }

    /// <summary>
    /// Per-class recall on validation and the most frequent confusion (true class taken for another),
    /// read from the best trial's confusion matrix.
    /// </summary>
    public sealed record ConfusionFacts(IReadOnlyList<string> Classes, IReadOnlyList<double> Recall, string ConfusedTrue, string ConfusedAs, int ConfusedCount)
    {
        /// <summary>Difference between the best and the worst recognised class's recall.</summary>
        public double RecallGap => Recall.Max() - Recall.Min();

        /// <summary>The class recognised least often.</summary>
        public string Worst => Classes[Recall.ToList().IndexOf(Recall.Min())];

        /// <summary>
        /// Cost-sensitive weights (Elkan 2001) from the confusion: each class's weight grows with its
        /// miss rate, plus a floor of 0.25 so well-recognised classes keep a say; mean 1, two decimals.
        /// </summary>
        public IReadOnlyList<double> Weights()
        {
            var raw = Recall.Select(r => 1 - r + 0.25).ToArray();
            double mean = raw.Average();
            return raw.Select(w => Math.Round(w / mean, 2)).ToArray();
        }

        /// <summary>Reads the facts from a confusion matrix (rows true, columns predicted); null for fewer than three classes or no counts.</summary>
        public static ConfusionFacts? From(IReadOnlyList<IReadOnlyList<int>>? confusion, IReadOnlyList<string> classes)
        {
            if (confusion is null || confusion.Count < 3 || confusion.Count != classes.Count) return null;
            var recall = confusion.Select((row, i) => row.Sum() == 0 ? 1.0 : (double)row[i] / row.Sum()).ToArray();
            (int t, int p, int n) top = (0, 0, -1);
            for (int i = 0; i < confusion.Count; i++)
                for (int j = 0; j < confusion.Count; j++)
                    if (i != j && confusion[i][j] > top.n) top = (i, j, confusion[i][j]);
            return top.n <= 0 ? null : new ConfusionFacts(classes, recall, classes[top.t], classes[top.p], top.n);
        }
    }

    private static readonly Move[] s_moves =
    [
        new("lower_learning_rate", (s, f) => f.LastFailed,
            (r, f) => (r with { Optimizer = r.Optimizer with { LearningRate = r.Optimizer.LearningRate / 3, GradClip = 1.0 } },
                $"learning rate {r.Optimizer.LearningRate:G3} → {r.Optimizer.LearningRate / 3:G3}, gradient clipping at norm 1",
                $"The last trial failed ({f.LastFailure}); a lower learning rate with gradient clipping is the standard repair for diverging training."),
            "Pascanu et al. 2013 (gradient clipping)", Repeatable: true),
        // Pretrained backbone (resnet18_pretrained): move from a linear probe toward fine-tuning, one step at a time.
        // Whatever the curve says: a linear probe that over-fits has also reached what frozen features allow, and on
        // medical images fine-tuning beat fixed ImageNet features in every comparison of Kornblith et al. 2019 and
        // Raghu et al. 2019 (measured here too: PneumoniaMNIST at 64 px, head only validation AUC 0.988 after ten
        // head-side moves, none of which fine-tuned, against 0.997 from scratch).
        new("head_only_to_fine_tune", (s, f) => IsPretrained(s.BestRecipe) && s.BestRecipe.FineTune?.Strategy == "head_only",
            (r, f) => (r with { FineTune = (r.FineTune ?? new FineTuneSpec()) with { Strategy = "partial", FrozenStages = 3 }, Optimizer = r.Optimizer with { WarmupEpochs = Math.Max(r.Optimizer.WarmupEpochs, 1) }, MaxEpochs = Math.Min(r.MaxEpochs, 100) },
                "fine-tuning: head only → the last stage trains too (stem and stages 1–3 frozen, computed once), one warm-up epoch",
                "A linear classifier on frozen features has reached what those features allow; the last stage holds the most task-specific features, so letting it adapt (at a tenth of the head's learning rate) usually helps more than any change to the head."),
            "Yosinski et al. 2014 (transferability by layer); Kornblith et al. 2019; Raghu et al. 2019 (Transfusion)"),
        new("unfreeze_stage", (s, f) => IsPretrained(s.BestRecipe) && s.BestRecipe.FineTune is { Strategy: "partial", FrozenStages: > 1 } && f.Curve != CurveDiagnosis.Overfitting,
            (r, f) => (ClassificationInitializer.WithEarlyStagesBatch(r with { FineTune = r.FineTune! with { FrozenStages = r.FineTune.FrozenStages - 1 } }),
                $"frozen stages {r.FineTune!.FrozenStages} → {r.FineTune.FrozenStages - 1} (stage {r.FineTune.FrozenStages} now trains)",
                "The model is not over-fitting, so it can afford more trainable capacity: unfreezing one more stage, at a lower learning rate than the stage above it, adapts mid-level features to these images."),
            "Howard & Ruder 2018 (gradual unfreezing, discriminative learning rates)", Repeatable: true),
        new("pretrained_higher_resolution", (s, f) => IsPretrained(s.BestRecipe) && f.NativeSize > s.BestRecipe.Input.Size && s.BestRecipe.Input.Size < 320,
            (r, f) => { int next = Math.Min(Math.Min(320, f.NativeSize / 32 * 32), r.Input.Size + 64); return (r with { Input = r.Input with { Size = Math.Max(next, r.Input.Size + 32) } }, $"input {r.Input.Size} → {Math.Max(next, r.Input.Size + 32)} px",
                $"Images are {f.NativeSize} px but the network sees {r.Input.Size} px; thin structures (fracture lines, lesion borders) need more pixels, and a pretrained network keeps working at higher resolution."); },
            "Tan & Le 2019 (resolution scaling); Doerrich et al. 2024 (MedMNIST+, resolution and pretraining)", Repeatable: true),
        new("lower_backbone_lr", (s, f) => IsPretrained(s.BestRecipe) && s.BestRecipe.FineTune is { Strategy: not "head_only", BackboneLrScale: > 0.01 } && f.Curve is CurveDiagnosis.Overfitting or CurveDiagnosis.Plateau,
            (r, f) => (r with { FineTune = r.FineTune! with { BackboneLrScale = Math.Round(r.FineTune.BackboneLrScale / 3, 4) } },
                $"backbone learning rate ×{r.FineTune!.BackboneLrScale:G3} → ×{Math.Round(r.FineTune.BackboneLrScale / 3, 4):G3} of the head's",
                "Validation stalls or worsens while the pretrained stages train: large steps distort the pretrained features; smaller ones for the backbone keep what transfers while the head adapts."),
            "Howard & Ruder 2018; Kumar et al. 2022 (fine-tuning can distort pretrained features)"),
        new("fine_tune_augmentation", (s, f) => IsPretrained(s.BestRecipe) && f.Curve == CurveDiagnosis.Overfitting && (s.BestRecipe.FineTune?.Views ?? 1) < 6,
            (r, f) => (r with
                {
                    FineTune = (r.FineTune ?? new FineTuneSpec()) with { Views = Math.Min((r.FineTune?.Views ?? 1) + 2, 8) },
                    Augmentation = r.Augmentation with { CropPadding = Math.Min(r.Augmentation.CropPadding + 0.06, 0.2), Brightness = Math.Min(r.Augmentation.Brightness + 0.1, 0.4) },
                },
                $"stronger augmentation for fine-tuning: {Math.Min((r.FineTune?.Views ?? 1) + 2, 8)} views per image through the frozen stages, larger shifts and brightness/contrast changes",
                "The fine-tuned layers over-fit the few training images: more and stronger augmented copies of each image (computed once through the frozen stages) widen what they see."),
            "Shorten & Khoshgoftaar 2019; Kornblith et al. 2019"),
        new("class_balanced_sampling", (s, f) => f.ImbalanceRatio >= 1.5,
            (r, f) => (r with { Sampler = new SamplerSpec("class_balanced") }, "sampler uniform → class-balanced",
                $"The classes are imbalanced ({f.ImbalanceRatio:0.0}:1 in training); drawing batches with equal class frequency lets the rare class shape the decision boundary."),
            "Buda et al. 2018, Neural Networks"),
        new("searched_learning_rate", (s, f) => f.SearchedLearningRate is not null,
            (r, f) => (r with { Optimizer = r.Optimizer with { LearningRate = f.SearchedLearningRate!.Value.Value } },
                $"learning rate {r.Optimizer.LearningRate:G3} → {f.SearchedLearningRate!.Value.Value:G3} (chosen by successive halving in round {f.SearchedLearningRate.Value.Trial})",
                $"Round {f.SearchedLearningRate.Value.Trial}'s successive halving preferred this learning rate on short budgets, but its final model had only a third of the time; this trains the chosen value with the whole budget."),
            "Jamieson & Talwalkar 2016 (successive halving)"),
        new("confusion_weights", (s, f) => f.Confusion is { RecallGap: >= 0.15 } && s.BestRecipe.Loss.Weights is null,
            (r, f) =>
            {
                var c = f.Confusion!;
                var w = c.Weights();
                var list = string.Join(", ", c.Classes.Select((name, i) => $"{name} {w[i]:0.00}"));
                return (r with { Loss = r.Loss with { Weights = w } }, $"class weights from the validation confusion: {list}",
                    $"On validation, {c.Worst} is recognised in only {c.Recall.Min() * 100:0}% of cases while the best class reaches {c.Recall.Max() * 100:0}%; the most frequent error is {c.ConfusedTrue} taken for {c.ConfusedAs} ({c.ConfusedCount} images). Weighting each class by how often it is missed makes those errors cost more, moving the decision boundary toward the classes the model confuses.");
            },
            "Elkan 2001 (cost-sensitive learning); confusion-driven weights as in Ho & Wookey 2020"),
        new("wider_network", (s, f) => f.Curve is CurveDiagnosis.Underfitting or CurveDiagnosis.StillImproving or CurveDiagnosis.Plateau && s.BestRecipe.Model.Width < 64 && !IsPretrained(s.BestRecipe),
            (r, f) => (r with { Model = r.Model with { Width = r.Model.Width * 2 } }, $"width {r.Model.Width} → {r.Model.Width * 2}",
                f.Curve == CurveDiagnosis.Overfitting ? "More capacity." : "Training and validation loss are both still high or still falling: the model may lack capacity, so double its width."),
            "Zagoruyko & Komodakis 2016 (Wide ResNets)", Repeatable: true),
        new("learning_rate_halving", (s, f) => f.Epochs >= 9 && f.Curve != CurveDiagnosis.Overfitting && s.BestRecipe.Search is null,
            (r, f) =>
            {
                double lr = r.Optimizer.LearningRate;
                var values = new[] { lr / 3, lr, lr * 3 }.Select(v => Math.Round(v, 6, MidpointRounding.AwayFromZero)).ToArray();
                return (r with { Search = new KnobSearch("learning_rate", values) },
                    $"learning rate searched by successive halving among {string.Join(", ", values.Select(v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}",
                    $"The learning rate is the knob training is most sensitive to, and one step up or down at a time is slow. Successive halving tries three values on short budgets, keeps the better half and gives it more time, so the trial spends most of its time on the value that looks best; the best trial ran {f.Epochs} epochs, enough to split.");
            },
            "Jamieson & Talwalkar 2016; Li et al. 2018 (Hyperband)"),
        new("stronger_augmentation", (s, f) => f.Curve == CurveDiagnosis.Overfitting,
            (r, f) => (r with { Augmentation = r.Augmentation with { CropPadding = Math.Min(r.Augmentation.CropPadding + 0.06, 0.2), Brightness = Math.Min(r.Augmentation.Brightness + 0.1, 0.4) } },
                "shift and brightness/contrast augmentation increased",
                "Validation loss rises while training loss keeps falling (over-fitting): stronger label-preserving augmentation widens what the model sees."),
            "Shorten & Khoshgoftaar 2019, J Big Data", Repeatable: true),
        new("label_smoothing", (s, f) => f.Curve is CurveDiagnosis.Overfitting or CurveDiagnosis.Plateau || f.Miscalibrated,
            (r, f) => (r with { Loss = r.Loss with { LabelSmoothing = 0.1 } }, "label smoothing 0 → 0.1",
                f.Miscalibrated
                    ? $"On validation the model's confidence is off from its accuracy by {f.Ece:0.00} on average (expected calibration error): it is over-confident. Label smoothing keeps probabilities softer, which improves calibration and often generalisation."
                    : "The model grows over-confident on training data; label smoothing keeps its probabilities softer and often generalises better."),
            "Szegedy et al. 2016; Müller et al. 2019"),
        new("focal_loss", (s, f) => f.ImbalanceRatio >= 1.5 || s.Spec.ErrorPreference != ErrorPreference.Balanced,
            (r, f) => (r with { Loss = r.Loss with { Name = "focal", FocalGamma = 2.0 } }, "loss cross-entropy → focal (γ = 2)",
                "Most training images are already classified confidently; focal loss down-weights them so training concentrates on the hard, borderline cases that decide the operating point."),
            "Lin et al. 2017 (focal loss)"),
        new("class_weights", (s, f) => f.ImbalanceRatio >= 1.5 && s.BestRecipe.Loss.ClassWeights != "inverse_frequency",
            (r, f) => (r with { Loss = r.Loss with { ClassWeights = "inverse_frequency" } }, $"class weights {r.Loss.ClassWeights} → inverse frequency",
                "Errors on the rarer class should cost as much in total as errors on the common one; inverse-frequency weights do that."),
            "King & Zeng 2001; Cui et al. 2019"),
        new("higher_resolution", (s, f) => f.NativeSize > s.BestRecipe.Input.Size && !IsPretrained(s.BestRecipe),
            (r, f) => { int next = Math.Min(f.NativeSize, (int)(r.Input.Size * 1.5)); return (r with { Input = r.Input with { Size = next } }, $"input {r.Input.Size} → {next} px",
                $"Images are {f.NativeSize} px but the model sees {r.Input.Size} px; finer detail (borders, texture) may carry the diagnosis."); },
            "Tan & Le 2019 (resolution scaling)", Repeatable: true),
        new("weight_decay", (s, f) => f.Curve == CurveDiagnosis.Overfitting,
            (r, f) => (r with { Optimizer = r.Optimizer with { WeightDecay = r.Optimizer.WeightDecay * 5 } }, $"weight decay {r.Optimizer.WeightDecay:G3} → {r.Optimizer.WeightDecay * 5:G3}",
                "Over-fitting: stronger decoupled weight decay shrinks the weights toward simpler functions."),
            "Loshchilov & Hutter 2019 (AdamW)", Repeatable: true),
        new("test_time_augmentation", (s, f) => !s.BestRecipe.TestTimeAugmentation && s.BestRecipe.Augmentation.HorizontalFlip > 0,
            (r, f) => (r with { TestTimeAugmentation = true }, "test-time augmentation on (average over horizontal flip)",
                "Averaging the prediction over a flipped copy reduces variance at no training cost."),
            "Krizhevsky et al. 2012; Shanmugam et al. 2021"),
        new("deeper_network", (s, f) => f.Curve is CurveDiagnosis.Underfitting or CurveDiagnosis.StillImproving && s.BestRecipe.Model.Depth < 3 && !IsPretrained(s.BestRecipe),
            (r, f) => (r with { Model = r.Model with { Depth = r.Model.Depth + 1 } }, $"blocks per stage {r.Model.Depth} → {r.Model.Depth + 1}",
                "The model still under-fits; another residual block per stage adds depth and receptive field."),
            "He et al. 2016 (ResNet)"),
        new("higher_learning_rate", (s, f) => f.Curve is CurveDiagnosis.Underfitting or CurveDiagnosis.StillImproving,
            (r, f) => (r with { Optimizer = r.Optimizer with { LearningRate = r.Optimizer.LearningRate * 2 } }, $"learning rate {r.Optimizer.LearningRate:G3} → {r.Optimizer.LearningRate * 2:G3}",
                "Validation was still improving when the budget ended: a larger step size gets further in the same time."),
            "Smith 2017 (learning-rate range)", Repeatable: true),
        new("dropout", (s, f) => f.Curve == CurveDiagnosis.Overfitting && s.BestRecipe.Model.Dropout < 0.3,
            (r, f) => (r with { Model = r.Model with { Dropout = 0.3 } }, "dropout before the classifier 0 → 0.3",
                "Over-fitting: dropout on the pooled features discourages reliance on a few activations."),
            "Srivastava et al. 2014"),
        // Not for a pretrained backbone: SGD at 0.05 is a from-scratch learning rate.
        new("sgd_momentum", (s, f) => s.BestRecipe.Optimizer.Name == "adamw" && !IsPretrained(s.BestRecipe),
            (r, f) => (r with { Optimizer = r.Optimizer with { Name = "sgd", LearningRate = 0.05, Momentum = 0.9, WeightDecay = 5e-4 } }, "optimiser AdamW → SGD with Nesterov momentum (lr 0.05)",
                "SGD with momentum often generalises better than adaptive methods on image classification."),
            "Wilson et al. 2017; He et al. 2016"),
        new("lower_learning_rate_plateau", (s, f) => f.Curve is CurveDiagnosis.Plateau or CurveDiagnosis.Overfitting,
            (r, f) => (r with { Optimizer = r.Optimizer with { LearningRate = r.Optimizer.LearningRate / 2 } }, $"learning rate {r.Optimizer.LearningRate:G3} → {r.Optimizer.LearningRate / 2:G3}",
                "Validation peaked early and then wandered: a smaller step size settles into a better minimum."),
            "Bengio 2012 (practical recommendations)", Repeatable: true),
        new("weight_averaging", (s, f) => f.Curve is CurveDiagnosis.Plateau or CurveDiagnosis.Overfitting && s.BestRecipe.EmaDecay == 0,
            (r, f) => (r with { EmaDecay = 0.99 }, "exponential moving average of the weights on (decay 0.99); the average is validated and saved",
                "Validation wanders from epoch to epoch around its best; averaging the weights over the last steps smooths that noise and usually lands in a flatter, better-generalising minimum."),
            "Polyak & Juditsky 1992; Izmailov et al. 2018 (SWA); Tarvainen & Valpola 2017"),
        new("seed_ensemble", (s, f) => f.Curve is CurveDiagnosis.Plateau or CurveDiagnosis.Overfitting && s.BestRecipe.EnsembleSize == 1
                                        && f.Epochs >= 4 && f.BestEpoch * 2 <= f.Epochs && s.Spec.Task != TaskKind.Detection && s.BestRecipe.Debias is null,
            (r, f) =>
            {
                int n = f.BestEpoch * 3 <= f.Epochs ? 3 : 2;
                return (r with { EnsembleSize = n }, $"seed ensemble of {n} (each member on 1/{n} of the budget, probabilities averaged)",
                    $"The best trial peaked at epoch {f.BestEpoch} of {f.Epochs}: the rest of its budget bought nothing. Spending it on {n} networks trained from different seeds and averaging their probabilities reduces the variance of the prediction, which usually raises the AUC and improves calibration.");
            },
            "Dietterich 2000; Lakshminarayanan et al. 2017 (deep ensembles)"),
        new("vertical_flip_rotation", (s, f) => f.Curve == CurveDiagnosis.Overfitting && s.BestRecipe.Augmentation.Rotate90 == 0 && s.Card.Channels == 3,
            (r, f) => (r with { Augmentation = r.Augmentation with { VerticalFlip = 0.5, Rotate90 = 0.5 } }, "vertical flips and 90° rotations on",
                "Colour images with no canonical orientation (dermoscopy, histology) can be rotated and flipped freely, multiplying the effective data."),
            "Perez et al. 2018 (skin lesion augmentation)"),
    ];

    private static bool IsPretrained(Recipe r) => RecipeSchema.PretrainedModels.Contains(r.Model.Name);

    /// <summary>All move names, for documentation and tests.</summary>
    public static IReadOnlyList<string> MoveNames => s_moves.Select(m => m.Name).ToArray();

    // Moves whose opposite direction must not follow once one of them was kept (no oscillation).
    private static readonly (string, string)[] s_opposites = [("higher_learning_rate", "lower_learning_rate_plateau")];

    /// <inheritdoc />
    public Proposal? Propose(DevelopmentState state)
    {
        var facts = Evidence(state);
        var tried = state.History.Select(h => h.Record).ToList();
        if (Extend(state, facts, tried) is { } extended) return extended;
        foreach (var move in s_moves)
        {
            if (s_opposites.Any(o => (o.Item1 == move.Name && tried.Any(t => t.Accepted && t.Move == o.Item2))
                                  || (o.Item2 == move.Name && tried.Any(t => t.Accepted && t.Move == o.Item1)))) continue;
            // Never repeat a discarded move; extend an accepted one only when the move is repeatable.
            if (!PlaybookProposer.MayTry(state, move.Name, move.Repeatable) || !move.When(state, facts)) continue;
            var (recipe, change, reason) = move.Apply(state.BestRecipe, facts);
            if (state.AlreadyTried(recipe)) continue;
            // The recipe keeps a record of why it differs from v0.
            recipe = recipe.WithOrigin($"round:{move.Name}", change + " — " + move.Source);
            var diag = facts.Curve switch
            {
                CurveDiagnosis.Overfitting => "over-fitting",
                CurveDiagnosis.Underfitting => "under-fitting",
                CurveDiagnosis.StillImproving => "still improving at the end",
                _ => "plateaued",
            };
            return new Proposal(move.Name, change, $"{reason} (Best trial so far: {diag}.)", move.Source, recipe);
        }
        return null;
    }

    /// <summary>
    /// Extends what worked: when the best trial came from a repeatable move (a learning-rate
    /// direction, more weight decay, more width...), the next proposal takes one more step the same
    /// way, before any new idea, until a step fails (then that move is never repeated).
    /// </summary>
    private static Proposal? Extend(DevelopmentState state, Facts facts, IReadOnlyList<TrialRecord> tried)
    {
        var best = TrialRecord.Best(tried);
        if (best is null || best.Number == 0 || facts.LastFailed) return null;
        var move = s_moves.FirstOrDefault(m => m.Name == best.Move && m.Repeatable && m.Name != "lower_learning_rate");
        if (move is null) return null;
        var past = tried.Where(t => t.Move == move.Name).ToList();
        if (past.Count >= 3 || past.Any(t => !t.Accepted && t.Status == TrialStatus.Succeeded)) return null;
        if (state.Pending.Any(p => p.Move == move.Name)) return null;
        var (recipe, change, _) = move.Apply(state.BestRecipe, facts);
        if (state.AlreadyTried(recipe)) return null;
        recipe = recipe.WithOrigin($"round:{move.Name}", change + " — " + move.Source);
        return new Proposal(move.Name, change,
            $"Round {best.Number} ({best.Change}) improved the objective; this takes one more step in the same direction, and stops at the first step that does not help.",
            move.Source, recipe);
    }

    /// <summary>Reads the evidence from the best trial's learning curve, the data card and the last trial.</summary>
    public static Facts Evidence(DevelopmentState state)
    {
        var train = state.Card.Counts.TryGetValue(SplitNames.Train, out var t) ? t.Values.Where(v => v > 0).ToList() : [];
        double imbalance = train.Count > 1 ? (double)train.Max() / train.Min() : 1;
        var last = state.History.Count > 0 ? state.History[^1] : default;
        bool lastFailed = last.Record is { Status: not TrialStatus.Succeeded };
        // A successive-halving trial's choice is worth training at full budget when it differs from the best recipe's value.
        var searched = state.History
            .Where(h => h.Record.Status == TrialStatus.Succeeded && h.Metrics?.Search is { Knob: "learning_rate" } sr
                        && Math.Abs(sr.Chosen - state.BestRecipe.Optimizer.LearningRate) > 1e-9 * sr.Chosen)
            .Select(h => ((double Value, int Trial)?)(h.Metrics!.Search!.Chosen, h.Record.Number))
            .LastOrDefault();
        return new Facts(LearningCurve.Diagnose(state.BestMetrics), imbalance,
            Math.Min(state.Card.ImageSizes.CommonWidth, state.Card.ImageSizes.CommonHeight),
            lastFailed, lastFailed ? last.Record!.Diagnosis ?? last.Record.Status.ToString() : null,
            state.BestMetrics?.Best?.Ece ?? double.NaN)
        {
            Epochs = state.BestMetrics?.Epochs ?? 0,
            BestEpoch = state.BestMetrics?.BestEpoch ?? 0,
            Confusion = ConfusionFacts.From(state.BestMetrics?.Best?.Confusion, state.Card.Classes),
            SearchedLearningRate = searched,
        };
    }
}
