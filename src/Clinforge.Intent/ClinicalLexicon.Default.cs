using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Intent;

public sealed partial class ClinicalLexicon
{
    private const string ResourceName = "Clinforge.Intent.Lexicon.json";

    /// <summary>
    /// The built-in lexicon, read from the embedded Lexicon.json: dermatology (HAM10000 codes), chest
    /// X-ray, retina, breast and a few common findings in English and German, the cue word families the
    /// phrase rules use, and the tasks Clinforge cannot do yet.
    /// </summary>
    public static ClinicalLexicon Default { get; } = Load();

    /// <summary>Reads a lexicon from JSON in the format of the embedded Lexicon.json.</summary>
    public static ClinicalLexicon FromJson(string json, string source)
    {
        LexiconFile file;
        try
        {
            file = JsonSerializer.Deserialize<LexiconFile>(json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new ClinforgeException($"{source}: not a valid lexicon ({e.Message}).");
        }
        return new ClinicalLexicon
        {
            Concepts = file.Concepts.Select(c => new ClinicalConcept(c.Id, ParseRole(c.Role, source), c.Terms, c.Broader ?? [])).ToList(),
            WordVariants = new Dictionary<string, string>(file.WordVariants, StringComparer.Ordinal),
            SpellingPrefixes = file.SpellingPrefixes.Select(Spelling).ToList(),
            SpellingSuffixes = file.SpellingSuffixes.Select(Spelling).ToList(),
            NotPlural = file.NotPlural.ToHashSet(StringComparer.Ordinal),
            NegativeClassWords = file.NegativeClassWords.ToHashSet(StringComparer.Ordinal),
            ClassNegators = file.ClassNegators.ToHashSet(StringComparer.Ordinal),
            Cues = file.Cues.Where(kv => !kv.Key.StartsWith('_')).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.Deserialize<List<string>>()!, StringComparer.Ordinal),
            IrregularForms = file.IrregularForms.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal),
            UnsupportedTasks = file.Unsupported.Select(u => new UnsupportedTaskRule(u.Kind, u.Understood, u.Why, u.Nearest,
                u.Patterns.Select(p => new Regex(p, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1))).ToList())).ToList(),
        };
    }

    private static ClinicalLexicon Load()
    {
        using var stream = typeof(ClinicalLexicon).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        return FromJson(reader.ReadToEnd(), ResourceName);
    }

    private static ConceptRole ParseRole(string role, string source) => role switch
    {
        "finding" => ConceptRole.Finding,
        "benign_finding" => ConceptRole.BenignFinding,
        "absence" => ConceptRole.Absence,
        _ => throw new ClinforgeException($"{source}: unknown concept role '{role}' (finding, benign_finding or absence)."),
    };

    private static SpellingRule Spelling(JsonElement[] rule) =>
        new(rule[0].GetString()!, rule[1].GetString()!, rule.Length > 2 ? rule[2].GetInt32() : 0);

    /// <summary>
    /// A regular-expression alternation of every form of a cue family's entries: the first word of each
    /// entry inflected as an English verb or noun (miss, misses, missed, missing), the last word of a
    /// phrase made plural (false alarms), irregular forms from
    /// the lexicon, entries ending in "!" as written. Text is matched after <see cref="RequestText.Normalize"/>.
    /// </summary>
    public string CuePattern(string family)
    {
        if (!Cues.TryGetValue(family, out var entries)) throw new InvalidOperationException($"no cue family '{family}' in the lexicon");
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in entries)
        {
            var literal = raw.EndsWith('!');
            var entry = RequestText.Normalize(literal ? raw[..^1] : raw).Replace("'", "", StringComparison.Ordinal);
            var words = entry.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            var rest = words.Length > 1 ? " " + string.Join(' ', words[1..]) : "";
            foreach (var first in literal ? [words[0]] : Inflections(words[0])) forms.Add(first + rest);
            // A noun phrase inflects its last word ("false alarm" → "false alarms").
            if (!literal && words.Length > 1)
            {
                forms.Add(entry + "s");
                forms.Add(entry + "es");
            }
        }
        var alternatives = forms.OrderByDescending(f => f.Length).Select(f => string.Join(@"\s+", f.Split(' ').Select(Regex.Escape)));
        return "(?:" + string.Join("|", alternatives) + ")";
    }

    private IEnumerable<string> Inflections(string w)
    {
        yield return w;
        yield return w + "s";
        yield return w + "es";
        yield return w + "ed";
        yield return w + "ing";
        if (w.EndsWith('e'))
        {
            yield return w + "d";
            yield return w[..^1] + "ing";
        }
        if (w.EndsWith('y'))
        {
            yield return w[..^1] + "ies";
            yield return w[..^1] + "ied";
        }
        // Short consonant-vowel-consonant verbs double the consonant (slip → slipped, slipping).
        if (w.Length is >= 3 and <= 4 && !IsVowel(w[^1]) && IsVowel(w[^2]) && !IsVowel(w[^3]) && w[^1] is not ('w' or 'x' or 'y'))
        {
            yield return w + w[^1] + "ed";
            yield return w + w[^1] + "ing";
        }
        if (IrregularForms.TryGetValue(w, out var irregular))
        {
            foreach (var f in irregular) yield return f;
        }
    }

    private static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u';

    private sealed record LexiconFile(
        [property: JsonPropertyName("concepts")] List<ConceptEntry> Concepts,
        [property: JsonPropertyName("word_variants")] Dictionary<string, string> WordVariants,
        [property: JsonPropertyName("spelling_prefixes")] List<JsonElement[]> SpellingPrefixes,
        [property: JsonPropertyName("spelling_suffixes")] List<JsonElement[]> SpellingSuffixes,
        [property: JsonPropertyName("not_plural")] List<string> NotPlural,
        [property: JsonPropertyName("negative_class_words")] List<string> NegativeClassWords,
        [property: JsonPropertyName("class_negators")] List<string> ClassNegators,
        [property: JsonPropertyName("cues")] Dictionary<string, JsonElement> Cues,
        [property: JsonPropertyName("irregular_forms")] Dictionary<string, List<string>> IrregularForms,
        [property: JsonPropertyName("unsupported")] List<UnsupportedEntry> Unsupported);

    private sealed record ConceptEntry(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("terms")] List<string> Terms,
        [property: JsonPropertyName("broader")] List<string>? Broader);

    private sealed record UnsupportedEntry(
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("understood")] string Understood,
        [property: JsonPropertyName("why")] string Why,
        [property: JsonPropertyName("nearest")] string Nearest,
        [property: JsonPropertyName("patterns")] List<string> Patterns);
}

/// <summary>
/// A kind of task Clinforge cannot do yet, as data: patterns that recognise a request for it (matched
/// on the normalised request), what such a request asks for, why it cannot be done, and the nearest
/// thing that can.
/// </summary>
public sealed record UnsupportedTaskRule(string Kind, string Understood, string Why, string Nearest, IReadOnlyList<Regex> Patterns);
