namespace Clinforge.Intent;

/// <summary>How a clinical concept behaves when a request or a class name uses it.</summary>
public enum ConceptRole
{
    /// <summary>A disease or finding (melanoma, pneumothorax): the positive side of a binary task.</summary>
    Finding,

    /// <summary>
    /// A benign finding (nevus, seborrhoeic keratosis): still a condition the data must contain when a
    /// request names it, but the negative side when set against a finding.
    /// </summary>
    BenignFinding,

    /// <summary>Absence of disease (normal, healthy, benign): the negative side; never a missing-class error.</summary>
    Absence,
}

/// <summary>
/// A clinical concept: the words clinicians and dataset authors use for it (synonyms, abbreviations,
/// spelling variants are handled by <see cref="ClinicalLexicon.Canonical"/>), its role, and the broader
/// concepts it is a kind of (melanoma is a kind of malignant), so "cancer" finds a class named "MEL".
/// </summary>
public sealed record ClinicalConcept(string Id, ConceptRole Role, IReadOnlyList<string> Terms, IReadOnlyList<string> Broader)
{
    /// <summary>Whether naming this concept in a request asks for a class the dataset must have.</summary>
    public bool IsConditionWord => Role != ConceptRole.Absence;

    /// <summary>Whether a class named by this concept is the negative side of a binary task.</summary>
    public bool IsNegativeLike => Role != ConceptRole.Finding;
}

/// <summary>A spelling rewrite applied to a word's start or end (British to American), for words of at least <see cref="MinLength"/> letters.</summary>
public sealed record SpellingRule(string From, string To, int MinLength = 0);

/// <summary>
/// The clinical vocabulary of the rule-based parser, as data: concepts with their synonyms, and the
/// word-level normalisation (plurals, British/American spelling) applied alike to requests, lexicon
/// terms and dataset class names, so that all three meet in one canonical form.
/// </summary>
public sealed partial class ClinicalLexicon
{
    private Dictionary<string, ClinicalConcept>? _byId;

    /// <summary>The concepts known to the parser.</summary>
    public required IReadOnlyList<ClinicalConcept> Concepts { get; init; }

    /// <summary>Whole-word rewrites: irregular plurals (nevi → nevus) and British words (tumour → tumor).</summary>
    public required IReadOnlyDictionary<string, string> WordVariants { get; init; }

    /// <summary>Word-start rewrites (haem → hem, oedem → edem).</summary>
    public required IReadOnlyList<SpellingRule> SpellingPrefixes { get; init; }

    /// <summary>Word-end rewrites (our → or, ise → ize).</summary>
    public required IReadOnlyList<SpellingRule> SpellingSuffixes { get; init; }

    /// <summary>Words ending in s that are not plurals (diabetes, series).</summary>
    public required IReadOnlySet<string> NotPlural { get; init; }

    /// <summary>Class-name words that mean "everything else" (other, rest, control): such a class is the negative side.</summary>
    public required IReadOnlySet<string> NegativeClassWords { get; init; }

    /// <summary>Leading class-name words that turn a finding into its absence (no_pneumothorax, non_melanoma).</summary>
    public required IReadOnlySet<string> ClassNegators { get; init; }

    /// <summary>Cue word families (miss, false_alarm, importance, ...) that phrase rules name as {family}.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Cues { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Irregular forms of cue words (catch → caught).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> IrregularForms { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Tasks outside classification, detection and segmentation, and how to recognise a request for one.</summary>
    public IReadOnlyList<UnsupportedTaskRule> UnsupportedTasks { get; init; } = [];

    /// <summary>The concept with this id, or null.</summary>
    public ClinicalConcept? Find(string id)
    {
        _byId ??= Concepts.ToDictionary(c => c.Id, StringComparer.Ordinal);
        return _byId.GetValueOrDefault(id);
    }

    /// <summary>Whether <paramref name="narrower"/> is (transitively) a kind of <paramref name="broader"/>.</summary>
    public bool IsKindOf(string narrower, string broader)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(narrower);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (!seen.Add(id) || Find(id) is not { } concept) continue;
            foreach (var parent in concept.Broader)
            {
                if (parent == broader) return true;
                stack.Push(parent);
            }
        }
        return false;
    }

    /// <summary>
    /// The canonical form of one lower-case word: possessive dropped, plural made singular, British
    /// spelling made American. Only consistency matters (the same rewrite runs on both sides of every
    /// comparison), so a rule that mangles an ordinary word ("does" → "doe") is harmless.
    /// </summary>
    public string Canonical(string word)
    {
        var w = word.ToLowerInvariant();
        if (w.EndsWith("'s", StringComparison.Ordinal)) w = w[..^2];
        w = w.Replace("'", "", StringComparison.Ordinal);
        if (WordVariants.TryGetValue(w, out var variant)) return variant;
        w = Singular(w);
        if (WordVariants.TryGetValue(w, out variant)) return variant;
        foreach (var rule in SpellingPrefixes)
        {
            if (w.Length >= rule.MinLength && w.StartsWith(rule.From, StringComparison.Ordinal))
            {
                w = rule.To + w[rule.From.Length..];
                break;
            }
        }
        foreach (var rule in SpellingSuffixes)
        {
            if (w.Length >= rule.MinLength && w.EndsWith(rule.From, StringComparison.Ordinal))
            {
                w = w[..^rule.From.Length] + rule.To;
                break;
            }
        }
        return WordVariants.GetValueOrDefault(w, w);
    }

    private string Singular(string w)
    {
        if (w.Length <= 3 || NotPlural.Contains(w)) return w;
        if (w.EndsWith("ies", StringComparison.Ordinal)) return w[..^3] + "y";
        if (w.EndsWith("sses", StringComparison.Ordinal) || w.EndsWith("xes", StringComparison.Ordinal)
            || w.EndsWith("ches", StringComparison.Ordinal) || w.EndsWith("shes", StringComparison.Ordinal))
        {
            return w[..^2];
        }
        if (w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal)
            && !w.EndsWith("us", StringComparison.Ordinal) && !w.EndsWith("is", StringComparison.Ordinal))
        {
            return w[..^1];
        }
        return w;
    }
}
