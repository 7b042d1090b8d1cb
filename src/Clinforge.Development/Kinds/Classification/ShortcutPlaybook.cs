using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// The debiasing moves, proposed when the spec names a confounder the model must not rely on.
/// Each move changes the current best recipe's <see cref="Recipe.Debias"/> (or its label
/// smoothing), so kept moves combine: group-balanced sampling, an adversarial confounder head with a
/// λ search, mixup, label smoothing. Without a named confounder it proposes nothing.
/// </summary>
public sealed class ShortcutPlaybook : IProposer
{
    private sealed record Move(string Name, Func<Recipe, DebiasSpec, Recipe> Apply, string Change, string Reason, string Source);

    /// <summary>λ values tried for the adversary, in order 0.3, 1.0, 0.1; once a λ is kept only larger ones are tried (extend what worked).</summary>
    public static readonly IReadOnlyList<double> LambdaLadder = [0.3, 1.0, 0.1];

    /// <summary>The next debiasing proposal, or null when the spec names no confounder or every move was tried.</summary>
    public Proposal? Propose(DevelopmentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Spec.Confounders.Count == 0) return null;
        string confounder = state.Spec.Confounders[0].Name;
        var best = state.BestRecipe;
        var d = best.Debias ?? new DebiasSpec(confounder);
        foreach (var move in Moves(confounder, state))
        {
            var recipe = move.Apply(best, d).WithOrigin(move.Name == "label_smoothing" ? "loss.label_smoothing" : "debias", $"{move.Reason} ({move.Source})");
            if (state.AlreadyTried(recipe)) continue;
            return new Proposal(move.Name, move.Change, move.Reason, move.Source, recipe);
        }
        return null;
    }

    private static IEnumerable<Move> Moves(string confounder, DevelopmentState state)
    {
        yield return new("group_balanced_sampling", (r, d) => r with { Debias = d with { GroupBalanced = true } },
            "sampler → group-balanced over label × " + confounder,
            $"In training, {confounder} mostly come with the positive label; drawing the four label × {confounder} groups equally often shows the model negatives with {confounder} and positives without, so the {confounder} stop predicting the label.",
            "Sagawa et al. 2020 (ICLR); Idrissi et al. 2022 (simple data balancing)");
        // λ search: the first rung, then up if an adversary is in the best recipe (it was kept), else down.
        double current = state.BestRecipe.Debias?.AdversaryWeight ?? 0;
        var ladder = current > 0 ? LambdaLadder.Where(l => l > current) : LambdaLadder;
        foreach (var lambda in ladder)
            yield return new("adversarial_confounder_head", (r, d) => r with { Debias = d with { AdversaryWeight = lambda } },
                string.Create(CultureInfo.InvariantCulture, $"adversarial {confounder} head through gradient reversal, λ = {lambda:0.###}"),
                $"A second head tries to tell {confounder} from the image features (given the label); the reversed gradient trains the features so it cannot, removing {confounder} information the label does not need. λ sets how hard.",
                "Ganin & Lempitsky 2015 (gradient reversal); Zhang, Lemoine & Mitchell 2018 (label-conditioned adversary)");
        yield return new("mixup", (r, d) => r with { Debias = d with { MixupAlpha = 0.2 } }, "mixup α = 0.2",
            "Training on blends of image pairs and their labels discourages sharp decisions on a single local feature such as a tube.",
            "Zhang et al. 2018 (mixup)");
        yield return new("label_smoothing", (r, d) => r with { Debias = d, Loss = r.Loss with { LabelSmoothing = 0.1 } }, "label smoothing 0 → 0.1",
            "Softer targets keep the model from becoming over-confident on easy (shortcut) cases.",
            "Szegedy et al. 2016; Müller et al. 2019");
    }
}
