using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>How well one registered dataset fits a request, and why.</summary>
public sealed record DatasetMatch(LibraryEntry Entry, double Score, IReadOnlyList<string> Reasons);

/// <summary>
/// Picks the registered dataset a request is about (M3Builder's dataset retrieval, done with the
/// parser's lexicon instead of embeddings): each class of the dataset the request names, through
/// synonyms and abbreviations ("MEL", "naevus"), counts 2; each other content word the request
/// shares with the dataset's name or card ("wrist", "x-ray", "dermoscopy") counts 1. The best is
/// chosen only when it leads the next by at least one point; otherwise the caller must ask.
/// </summary>
public static class DatasetMatcher
{
    private static readonly HashSet<string> s_stop = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "of", "on", "in", "to", "for", "from", "with", "me", "my", "i", "we", "you", "it", "is", "are",
        "be", "that", "this", "these", "those", "help", "want", "need", "model", "tool", "ai", "can", "please", "try", "tell", "find",
        "images", "image", "data", "dataset", "not", "dont", "don't", "miss", "any", "all", "some", "at", "as", "by", "so", "should",
    };

    /// <summary>Every entry with its score, best first (ties by name).</summary>
    public static IReadOnlyList<DatasetMatch> Rank(string request, IReadOnlyList<LibraryEntry> entries, ClinicalLexicon? lexicon = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entries);
        lexicon ??= ClinicalLexicon.Default;
        var text = new RequestText(request, lexicon, IntentRules.Default.ClauseBoundary);
        var requestWords = text.Tokens.Select(t => t.Canonical).Where(w => w.Length > 1 && !s_stop.Contains(w)).ToHashSet(StringComparer.Ordinal);
        var ranked = new List<DatasetMatch>();
        foreach (var entry in entries)
        {
            var reasons = new List<string>();
            var classes = new DatasetClasses(entry.Classes, lexicon);
            var named = classes.FindMentions(text, []).SelectMany(m => m.Classes).Distinct().Order().Select(i => entry.Classes[i]).ToList();
            double score = 2.0 * named.Count;
            if (named.Count > 0) reasons.Add($"the request names its class(es) {string.Join(", ", named)}");
            var described = RequestText.CanonicalWords(entry.Name + " " + (entry.Card ?? ""), lexicon)
                .Where(w => w.Length > 1 && !s_stop.Contains(w)).ToHashSet(StringComparer.Ordinal);
            var shared = requestWords.Intersect(described).Order(StringComparer.Ordinal).ToList();
            score += shared.Count;
            if (shared.Count > 0) reasons.Add($"its name or card shares the words {string.Join(", ", shared.Select(w => $"'{w}'"))}");
            ranked.Add(new DatasetMatch(entry, score, reasons));
        }
        return ranked.OrderByDescending(m => m.Score).ThenBy(m => m.Entry.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The clear winner with an explanation, or null with <paramref name="why"/> saying why it is
    /// unsure (no library, no match, or a near tie).
    /// </summary>
    public static DatasetMatch? Best(string request, IReadOnlyList<LibraryEntry> entries, out string why)
    {
        var ranked = Rank(request, entries);
        if (ranked.Count == 0) { why = "no dataset is registered (add one with 'clinforge data add DIR --name N')"; return null; }
        var best = ranked[0];
        if (best.Score <= 0) { why = $"none of the {ranked.Count} registered datasets shares a class or a word with the request"; return null; }
        if (ranked.Count > 1 && ranked[1].Score > best.Score - 1)
        {
            why = $"'{best.Entry.Name}' and '{ranked[1].Entry.Name}' fit the request about equally well (scores {Fmt(best.Score)} and {Fmt(ranked[1].Score)})";
            return null;
        }
        why = $"'{best.Entry.Name}' fits best (score {Fmt(best.Score)}" + (ranked.Count > 1 ? $", next '{ranked[1].Entry.Name}' {Fmt(ranked[1].Score)}" : "") + $"): {string.Join("; ", best.Reasons)}";
        return best;
    }

    private static string Fmt(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
}
