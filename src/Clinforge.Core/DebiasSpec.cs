namespace Clinforge.Core;

/// <summary>
/// Shortcut-aware training knobs (the recipe's <c>debias</c> part; null = plain training). Used when
/// the spec names a confounder the model must not rely on (see <see cref="TaskSpec.Confounders"/>).
/// </summary>
/// <param name="Confounder">Name of the confounder (e.g. "chest drains").</param>
/// <param name="GroupBalanced">Draw batches with equal weight per label × confounder group (Sagawa et al. 2020; Idrissi et al. 2022).</param>
/// <param name="AdversaryWeight">λ of the gradient reversal layer feeding an adversarial confounder head; 0 = no adversary (Ganin &amp; Lempitsky 2015).</param>
/// <param name="MixupAlpha">Beta(α, α) mixing of image pairs and their labels; 0 = off (Zhang et al. 2018).</param>
public sealed record DebiasSpec(string Confounder, bool GroupBalanced = false, double AdversaryWeight = 0.0, double MixupAlpha = 0.0)
{
    /// <summary>Every problem with these knobs, in plain words; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(Confounder)) p.Add("debias.confounder must name the confounder");
        if (double.IsNaN(AdversaryWeight) || AdversaryWeight is < 0 or > 10) p.Add($"debias.adversary_weight {AdversaryWeight} is outside [0, 10]");
        if (double.IsNaN(MixupAlpha) || MixupAlpha is < 0 or > 2) p.Add($"debias.mixup_alpha {MixupAlpha} is outside [0, 2]");
        return p;
    }

    /// <summary>Short human-readable summary, e.g. "group-balanced + adversary λ=0.3".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (GroupBalanced) parts.Add("group-balanced sampling");
        if (AdversaryWeight > 0) parts.Add(FormattableString.Invariant($"adversarial confounder head λ={AdversaryWeight:0.###}"));
        if (MixupAlpha > 0) parts.Add(FormattableString.Invariant($"mixup α={MixupAlpha:0.###}"));
        return parts.Count == 0 ? "no debiasing" : string.Join(" + ", parts);
    }
}
