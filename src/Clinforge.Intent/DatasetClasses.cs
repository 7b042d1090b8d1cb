namespace Clinforge.Intent;

/// <summary>One dataset class as the parser sees it: its words, the concepts it names, and whether it is the negative side.</summary>
internal sealed record ClassEntry(int Index, string Name, string[] Words, IReadOnlySet<string> Concepts, bool IsNegativeLike);

/// <summary>
/// A place in the request that names one or more dataset classes, or a lexicon concept that matches
/// none (<see cref="Classes"/> empty).
/// </summary>
internal sealed record Mention(int Start, int End, IReadOnlyList<int> Classes, ClinicalConcept? Concept);

/// <summary>
/// The dataset's classes read through the lexicon: "MEL" is melanoma, "nevus_like" is nevus,
/// "no_pneumothorax" is the absence of pneumothorax. Finds where a request names them.
/// </summary>
internal sealed class DatasetClasses
{
    private readonly ClinicalLexicon _lexicon;
    private readonly List<(string[] Words, int? ClassIndex, ClinicalConcept? Concept)> _terms = [];
    private readonly HashSet<string> _negatedConcepts = new(StringComparer.Ordinal);

    public DatasetClasses(IReadOnlyList<string> names, ClinicalLexicon lexicon)
    {
        _lexicon = lexicon;
        var conceptTerms = lexicon.Concepts
            .SelectMany(c => c.Terms.Select(t => (Words: RequestText.CanonicalWords(t, lexicon), Concept: c)))
            .Where(t => t.Words.Length > 0)
            .ToList();

        var entries = new List<ClassEntry>();
        for (var i = 0; i < names.Count; i++)
        {
            var words = RequestText.CanonicalWords(names[i], lexicon);
            var negated = words.Length > 1 && lexicon.ClassNegators.Contains(words[0]);
            var concepts = ConceptsIn(negated ? words[1..] : words, conceptTerms);
            if (negated) _negatedConcepts.UnionWith(concepts);
            var negativeLike = negated
                || words.Any(lexicon.NegativeClassWords.Contains)
                || (concepts.Count > 0 && concepts.All(id => lexicon.Find(id)!.IsNegativeLike));
            entries.Add(new ClassEntry(i, names[i], words, negated ? new HashSet<string>() : concepts, negativeLike));
            if (words.Length > 0) _terms.Add((words, i, null));
        }
        Entries = entries;
        _terms.AddRange(conceptTerms.Select(t => (t.Words, (int?)null, (ClinicalConcept?)t.Concept)));
        // Longest term first, and a class's own name before a concept of the same length, so
        // "basal cell carcinoma" beats "carcinoma" and the class "pneumonia" beats the concept.
        _terms.Sort((a, b) => a.Words.Length != b.Words.Length
            ? b.Words.Length.CompareTo(a.Words.Length)
            : (a.ClassIndex is null).CompareTo(b.ClassIndex is null));
    }

    public IReadOnlyList<ClassEntry> Entries { get; }

    /// <summary>
    /// Whether no class name carries words ("0", "1"), as when labels come without names: then a
    /// condition in the request cannot be checked against the data, only asked about.
    /// </summary>
    public bool AreOpaque => Entries.All(e => !e.Name.Any(char.IsLetter));

    public int Count => Entries.Count;

    /// <summary>Whether some class names the absence of this concept (no_pneumothorax): the dataset knows it.</summary>
    public bool KnowsAbsenceOf(string conceptId) => _negatedConcepts.Contains(conceptId);

    /// <summary>Mentions of classes and lexicon concepts, left to right, skipping the given spans.</summary>
    public List<Mention> FindMentions(RequestText text, IReadOnlyList<(int Start, int End)> skip)
    {
        var mentions = new List<Mention>();
        var tokens = text.Tokens;
        var i = 0;
        while (i < tokens.Count)
        {
            if (skip.Any(s => tokens[i].Start >= s.Start && tokens[i].End <= s.End))
            {
                i++;
                continue;
            }
            var matched = false;
            foreach (var (words, classIndex, concept) in _terms)
            {
                if (!MatchesAt(tokens, i, words)) continue;
                var start = tokens[i].Start;
                var end = tokens[i + words.Length - 1].End;
                var classes = classIndex is { } ci ? [ci] : Resolve(concept!);
                var named = concept ?? ConceptOfClass(classIndex!.Value);
                mentions.Add(new Mention(start, end, classes, named));
                i += words.Length;
                matched = true;
                break;
            }
            if (!matched) i++;
        }
        return mentions;
    }

    /// <summary>
    /// The classes a concept names: those that are it; else those that are a kind of it ("cancer" →
    /// MEL, BCC); else those it is a kind of ("mole" → normal_or_benign).
    /// </summary>
    public IReadOnlyList<int> Resolve(ClinicalConcept concept)
    {
        var direct = Entries.Where(e => e.Concepts.Contains(concept.Id)).Select(e => e.Index).ToList();
        if (direct.Count > 0) return direct;
        var narrower = Entries.Where(e => e.Concepts.Any(c => _lexicon.IsKindOf(c, concept.Id))).Select(e => e.Index).ToList();
        if (narrower.Count > 0) return narrower;
        return Entries.Where(e => e.Concepts.Any(c => _lexicon.IsKindOf(concept.Id, c))).Select(e => e.Index).ToList();
    }

    private ClinicalConcept? ConceptOfClass(int index) =>
        Entries[index].Concepts.Count == 1 ? _lexicon.Find(Entries[index].Concepts.First()) : null;

    private static bool MatchesAt(IReadOnlyList<Token> tokens, int at, string[] words)
    {
        if (at + words.Length > tokens.Count) return false;
        for (var k = 0; k < words.Length; k++)
        {
            if (!string.Equals(tokens[at + k].Canonical, words[k], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private static HashSet<string> ConceptsIn(string[] words, List<(string[] Words, ClinicalConcept Concept)> terms)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var ordered = terms.OrderByDescending(t => t.Words.Length).ToList();
        var i = 0;
        while (i < words.Length)
        {
            var hit = ordered.FirstOrDefault(t => MatchesWords(words, i, t.Words));
            if (hit.Concept is null)
            {
                i++;
                continue;
            }
            found.Add(hit.Concept.Id);
            i += hit.Words.Length;
        }
        return found;
    }

    private static bool MatchesWords(string[] words, int at, string[] term)
    {
        if (at + term.Length > words.Length) return false;
        for (var k = 0; k < term.Length; k++)
        {
            if (!string.Equals(words[at + k], term[k], StringComparison.Ordinal)) return false;
        }
        return true;
    }
}
