using System.Text.RegularExpressions;

namespace Clinforge.Intent;

/// <summary>One word of the request: its canonical form and where it sits in the original text.</summary>
internal readonly record struct Token(string Canonical, int Start, int End);

/// <summary>
/// The request in the form the rules match: lower case, hyphens, underscores and slashes as spaces,
/// typographic quotes straightened. Every character keeps its index, so a match on the normalised
/// text maps back to the clinician's exact words for provenance.
/// </summary>
internal sealed class RequestText
{
    private static readonly Regex _word = IntentRules.Compile(@"[a-z0-9]+(?:'[a-z]+)?");
    private static readonly Regex _sentenceEnd = IntentRules.Compile(@"[;!?\n]|\.(?=\s|$)");

    private readonly List<(int Start, int End)> _sentenceBreaks;
    private readonly List<(int Start, int End)> _clauseBreaks;

    public RequestText(string original, ClinicalLexicon lexicon, Regex clauseBoundary)
    {
        Original = original;
        Normalized = Normalize(original);
        Tokens = Tokenize(Normalized, lexicon);
        _sentenceBreaks = Breaks(_sentenceEnd);
        _clauseBreaks = Breaks(clauseBoundary);
    }

    public string Original { get; }

    public string Normalized { get; }

    public IReadOnlyList<Token> Tokens { get; }

    /// <summary>Normalises text without changing its length (see the class summary).</summary>
    public static string Normalize(string text)
    {
        var chars = new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = char.ToLowerInvariant(text[i]);
            chars[i] = c switch
            {
                '_' or '-' or '/' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\r' or '\t' => ' ',
                '\u2018' or '\u2019' or '\u02bc' => '\'',
                '\u201c' or '\u201d' => '"',
                // German umlauts and sharp s fold to one letter each, keeping every index in place.
                'ä' => 'a',
                'ö' => 'o',
                'ü' => 'u',
                'ß' => 's',
                'é' or 'è' => 'e',
                _ => c,
            };
        }
        return new string(chars);
    }

    /// <summary>Canonical word forms of a phrase (a lexicon term or a class name).</summary>
    public static string[] CanonicalWords(string phrase, ClinicalLexicon lexicon) =>
        Tokenize(Normalize(phrase), lexicon).Select(t => t.Canonical).ToArray();

    /// <summary>
    /// The clinician's exact words between two indices, widened to whole words: a rule may match
    /// inside a word ("n't miss"), but provenance quotes what was written ("don't miss").
    /// </summary>
    public string Words(int start, int end)
    {
        while (start > 0 && start < Original.Length && IsWordChar(Original[start]) && IsWordChar(Original[start - 1])) start--;
        while (end < Original.Length && end > 0 && IsWordChar(Original[end - 1]) && IsWordChar(Original[end])) end++;
        return Original[start..end].Trim();
    }

    /// <summary>The clauses of the request as (start, end) spans of the normalised text, boundaries excluded.</summary>
    public IEnumerable<(int Start, int End)> Clauses()
    {
        var start = 0;
        foreach (var (breakStart, breakEnd) in _clauseBreaks)
        {
            if (breakStart > start) yield return (start, breakStart);
            start = Math.Max(start, breakEnd);
        }
        if (start < Normalized.Length) yield return (start, Normalized.Length);
    }

    public int SentenceStart(int index) => LastBreakEnd(_sentenceBreaks, index);

    public int SentenceEnd(int index) => NextBreakStart(_sentenceBreaks, index);

    public int ClauseStart(int index) => LastBreakEnd(_clauseBreaks, index);

    public int ClauseEnd(int index) => NextBreakStart(_clauseBreaks, index);

    /// <summary>Number of words lying wholly between two indices.</summary>
    public int TokensBetween(int start, int end) => Tokens.Count(t => t.Start >= start && t.End <= end);

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '\'' or '\u2019';

    private static List<Token> Tokenize(string normalized, ClinicalLexicon lexicon) =>
        _word.Matches(normalized).Select(m => new Token(lexicon.Canonical(m.Value), m.Index, m.Index + m.Length)).ToList();

    private List<(int Start, int End)> Breaks(Regex boundary) =>
        boundary.Matches(Normalized).Select(m => (m.Index, m.Index + m.Length)).ToList();

    private static int LastBreakEnd(List<(int Start, int End)> breaks, int index)
    {
        var result = 0;
        foreach (var (_, end) in breaks)
        {
            if (end <= index) result = end;
        }
        return result;
    }

    private int NextBreakStart(List<(int Start, int End)> breaks, int index)
    {
        foreach (var (start, _) in breaks)
        {
            if (start >= index) return start;
        }
        return Normalized.Length;
    }
}
