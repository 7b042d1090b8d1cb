using System.Globalization;
using System.Text;
using System.Text.Json;
using Clinforge.Core;
using Microsoft.Extensions.AI;

namespace Clinforge.Development;

/// <summary>
/// A proposer backed by a chat model (any <see cref="IChatClient"/>): it sees the task spec, the
/// data card's counts and the results table — never an image, a file name or an identifier — and
/// answers with a recipe change and its reason as JSON. The answer is parsed and validated against
/// <see cref="RecipeSchema"/> before anything runs; anything unusable (no answer, malformed JSON, an
/// unknown model, a value out of range, a repeat of a tried recipe) falls back to the playbook, and
/// the proposal says so.
/// </summary>
public sealed class LlmProposer(IChatClient client, IProposer fallback, TimeSpan? timeout = null) : IProposer
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(60);

    /// <summary>The JSON the model must answer with.</summary>
    private sealed record Answer(string? Move, string? Change, string? Reason, string? Source, Recipe? Recipe);

    /// <inheritdoc />
    public Proposal? Propose(DevelopmentState state)
    {
        string? why;
        try
        {
            using var cts = new CancellationTokenSource(_timeout);
            // The loop is synchronous (one trial process at a time per slot); no torch scope is open here.
            var response = client.GetResponseAsync(Messages(state), new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Temperature = 0 }, cts.Token)
                .GetAwaiter().GetResult();
            var proposal = Parse(response.Text, state, out why);
            if (proposal is not null) return proposal;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or InvalidOperationException or TimeoutException)
        {
            why = $"the language model did not answer ({e.GetType().Name})";
        }
        var fb = fallback.Propose(state);
        return fb is null ? null : fb with { Reason = $"{fb.Reason} [LLM proposal not used: {why}; the playbook chose this move.]" };
    }

    /// <summary>Parses and validates an answer; null with <paramref name="why"/> when it cannot be used.</summary>
    public static Proposal? Parse(string text, DevelopmentState state, out string why)
    {
        Answer? a;
        try
        {
            a = JsonSerializer.Deserialize<Answer>(StripFences(text), Json.Options);
        }
        catch (JsonException e)
        {
            why = $"its answer was not valid JSON ({e.Message.Split('.')[0]})";
            return null;
        }
        if (a?.Recipe is null || string.IsNullOrWhiteSpace(a.Reason) || string.IsNullOrWhiteSpace(a.Change))
        {
            why = "its answer lacked a recipe, a change or a reason";
            return null;
        }
        var recipe = a.Recipe with { Seed = state.BestRecipe.Seed, Input = a.Recipe.Input with { Channels = state.BestRecipe.Input.Channels } };
        // The detector's classes are the clinician's answer (DetectionInitializer), not a knob to tune.
        if (recipe.Detection is { } proposed && state.BestRecipe.Detection is { } current) recipe = recipe with { Detection = proposed with { Classes = current.Classes } };
        // Likewise a segmenter's labels; and a proposed recipe trains (reusing a trial's weights is the playbook's inference-only moves).
        if (recipe.Segmentation is { } seg && state.BestRecipe.Segmentation is { } now) recipe = recipe with { Segmentation = seg with { Labels = now.Labels, ReuseWeightsOf = null } };
        if (RecipeSchema.Problems(recipe) is { Count: > 0 } problems)
        {
            why = "its recipe was invalid: " + string.Join("; ", problems);
            return null;
        }
        if (state.AlreadyTried(recipe))
        {
            why = "it proposed a recipe that was already tried";
            return null;
        }
        why = "";
        string move = string.IsNullOrWhiteSpace(a.Move) ? "llm_change" : "llm:" + a.Move.Trim();
        recipe = (recipe with { Origins = state.BestRecipe.Origins }).WithOrigin($"round:{move}", a.Change + " (proposed by the language model)");
        return new Proposal(move, a.Change!, a.Reason! + " (proposed by the language model)", a.Source, recipe);
    }

    /// <summary>What is sent: the spec, counts and the results table. No pixels, paths or ids.</summary>
    public static IList<ChatMessage> Messages(DevelopmentState state)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"Task: {state.Spec.Task.ToString().ToLowerInvariant()} of {string.Join(", ", state.Spec.Classes)}; objective on validation: {Objective.From(state.Spec).Describe()}.");
        sb.AppendLine($"Training images per class: {string.Join(", ", state.Card.Counts.TryGetValue(SplitNames.Train, out var t) ? t.Select(kv => $"{kv.Key} {kv.Value}") : [])}; image size {state.Card.ImageSizes.CommonWidth}x{state.Card.ImageSizes.CommonHeight}, {state.Card.Channels} channel(s).");
        sb.AppendLine("Results so far (trial, change, validation objective, kept):");
        foreach (var (r, _, m) in state.History)
            sb.AppendLine(string.Create(inv, $"- {r.Number}: {r.Change} -> {(r.Objective is { } o ? o.ToString("0.0000", inv) : r.Status.ToString())}, {(r.Accepted ? "kept" : "discarded")}{(m?.Curve.Count > 0 ? $", {m.Curve.Count} epochs, last train loss {m.Curve[^1].TrainLoss:0.000}, last val loss {m.Curve[^1].ValLoss:0.000}" : "")}"));
        if (state.BestMetrics?.Best is { } best)
        {
            // The same evidence the playbook reads: calibration and, for several classes, who is taken for whom.
            sb.AppendLine(string.Create(inv, $"Best trial on validation: {best.ObjectiveName} {best.Objective:0.0000}, expected calibration error {best.Ece:0.000}."));
            if (best.Confusion is { } confusion)
                sb.AppendLine($"Its confusion matrix (rows true, columns predicted, order {string.Join(", ", state.Card.Classes)}): {string.Join(" | ", confusion.Select(row => string.Join(" ", row)))}.");
        }
        sb.AppendLine("Current best recipe (JSON):");
        sb.AppendLine(Json.Serialize(state.BestRecipe.WithoutOrigins()));
        return
        [
            new(ChatRole.System,
                "You are a careful machine-learning engineer improving a medical image classifier under a fixed time budget per trial. " +
                "Propose ONE change to the current best recipe that is likely to improve the validation objective, given the results. " +
                $"Allowed models: {string.Join(", ", RecipeSchema.Models)}; losses: {string.Join(", ", RecipeSchema.Losses)}; optimizers: {string.Join(", ", RecipeSchema.Optimizers)}; samplers: {string.Join(", ", RecipeSchema.Samplers)}. " +
                "Other knobs: loss.weights (explicit per-class weights in class order), ensemble_size (1 to 8 networks from different seeds, each trained on 1/n of the budget, probabilities averaged), " +
                $"search ({{\"knob\": one of {string.Join(", ", RecipeSchema.SearchKnobs)}, \"values\": 2 to 8 values}}: successive halving inside the trial; the chosen value is kept). " +
                $"Pretrained models ({string.Join(", ", RecipeSchema.PretrainedModels)}; input.size 64 to 320, even) take fine_tune: {{\"strategy\": one of {string.Join(", ", RecipeSchema.FineTuneStrategies)}, \"frozen_stages\": 1 to 3 (partial: stem and that many stages frozen and computed once), \"backbone_lr_scale\": the last backbone stage's learning rate relative to the head's (0.001 to 1), \"layer_decay\": factor per earlier stage (0.1 to 1), \"views\": 1 to 8 augmented copies per image through frozen stages}}; their width and depth are fixed by the weights. " +
                (state.BestRecipe.Segmentation is null ? "" :
                    $"This is a segmentation model (one label per pixel): models {string.Join(", ", RecipeSchema.SegmentationModels)} (unet_resnet18: input.size 64 to 1024, a multiple of 32), and segmentation: {{\"loss\": one of {string.Join(", ", RecipeSchema.SegmentationLosses)}, \"tversky_alpha\"/\"tversky_beta\": 0 to 1, \"focal_gamma\": 0 to 5, \"patch_size\": a multiple of 32 up to input.size, \"patches_per_image\": 1 to 64, \"foreground_patch_fraction\": 0 to 1, \"contrast\": one of {string.Join(", ", ContrastModes.All)} (clahe: each channel equalised locally before the network), \"flip_inference\": true/false, \"min_component_pixels\": 0 to 100000}}; keep segmentation.labels as they are. ") +
                "Answer with JSON only: {\"move\": short_snake_case_name, \"change\": what changes, \"reason\": why, in plain language for a clinician, \"source\": the technique's reference or null, \"recipe\": the complete new recipe in the same JSON shape}."),
            new(ChatRole.User, sb.ToString()),
        ];
    }

    private static string StripFences(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith("```", StringComparison.Ordinal)) return t;
        int first = t.IndexOf('\n');
        int last = t.LastIndexOf("```", StringComparison.Ordinal);
        return first >= 0 && last > first ? t[(first + 1)..last] : t;
    }
}
