using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>What an error-preference phrase says about the clinician's costs.</summary>
public enum PreferenceEffect
{
    /// <summary>A missed case costs more ("don't miss", "screening", "rule out").</summary>
    Sensitivity,

    /// <summary>A false alarm costs more ("avoid unnecessary biopsies", "confirm before surgery").</summary>
    Specificity,

    /// <summary>Both errors cost the same ("balanced").</summary>
    Balanced,

    /// <summary>Missing some cases is acceptable ("I don't care about missing a few"): cancels sensitivity cues.</summary>
    ToleratesMisses,
}

/// <summary>Where the words a cue applies to sit: after it ("priority to melanoma") or before it ("melanoma matters most").</summary>
public enum MentionSide
{
    /// <summary>The class or noun phrase follows the cue.</summary>
    After,

    /// <summary>The class or noun phrase precedes the cue.</summary>
    Before,
}

/// <summary>
/// How a number in the request bounds a metric; the earlier member wins when several match, because
/// "at 80% specificity" names the constraint even when another figure is a target.
/// </summary>
public enum ThresholdForm
{
    /// <summary>"at 90% specificity": the constraint under which the other metric is maximised.</summary>
    AtValue,

    /// <summary>"sensitivity of at least 95%": a floor the clinician insists on.</summary>
    AtLeast,

    /// <summary>"95% sensitivity": a plain figure, read as a floor.</summary>
    Plain,
}

/// <summary>
/// A phrase pattern and its effect. Patterns run on the normalised request (lower case; hyphens,
/// underscores and slashes as spaces; straight quotes), so "over-call" is written "over\s?call".
/// </summary>
public sealed class PhraseRule<TEffect>
{
    /// <summary>Creates a rule.</summary>
    /// <param name="pattern">.NET regular expression; named groups (value, metric, np) are read by some rule kinds.</param>
    /// <param name="effect">What a match means.</param>
    /// <param name="negatable">
    /// Whether a negation around the match ("no need to point to it", "screening is not the goal")
    /// cancels it; false when the pattern carries its own negation ("don't rely on").
    /// </param>
    public PhraseRule(string pattern, TEffect effect, bool negatable = true)
    {
        Pattern = pattern;
        Effect = effect;
        Negatable = negatable;
        Regex = IntentRules.Compile(pattern);
    }

    /// <summary>The regular expression source.</summary>
    public string Pattern { get; }

    /// <summary>What a match means.</summary>
    public TEffect Effect { get; }

    /// <summary>Whether a surrounding negation cancels a match.</summary>
    public bool Negatable { get; }

    /// <summary>The compiled pattern.</summary>
    public Regex Regex { get; }
}

/// <summary>
/// The phrase rules of the rule-based parser, as data: which words set the task, the error
/// preference, priority classes, confounders and explicit operating points, and how negation and
/// clause scope are recognised. A later version extends these tables rather than the parser code.
/// </summary>
public sealed partial class IntentRules
{
    /// <summary>Cues for the task kind; classification cues only supply provenance (classification is the default).</summary>
    public required IReadOnlyList<PhraseRule<TaskKind>> Task { get; init; }

    /// <summary>Cues for which error costs more.</summary>
    public required IReadOnlyList<PhraseRule<PreferenceEffect>> ErrorPreference { get; init; }

    /// <summary>Cues that single out a class; the class mention must sit on the given side, close to the cue.</summary>
    public required IReadOnlyList<PhraseRule<MentionSide>> Priority { get; init; }

    /// <summary>Cues that name something the model must not rely on, captured in the group "np".</summary>
    public required IReadOnlyList<PhraseRule<MentionSide>> Confounder { get; init; }

    /// <summary>
    /// Cues that set one class against all the others ("melanoma vs everything else"); the class is the
    /// mention just before the cue. Optional: none by default.
    /// </summary>
    public IReadOnlyList<Regex> OneVsRest { get; init; } = [];

    /// <summary>
    /// Hints about how much supervision the data carries ("only a handful have boxes"); the effect is
    /// the plain-language note written to the spec's supervision field. Optional: none by default.
    /// </summary>
    public IReadOnlyList<PhraseRule<string>> Supervision { get; init; } = [];

    /// <summary>
    /// Hints about how much compute time the clinician grants ("quick", "overnight"); the effect is the
    /// budget word written to the spec (quick, hours, overnight, thorough). Optional: none by default.
    /// </summary>
    public IReadOnlyList<PhraseRule<string>> Budget { get; init; } = [];

    /// <summary>Explicit operating points, with groups "metric" and "value".</summary>
    public required IReadOnlyList<PhraseRule<ThresholdForm>> Threshold { get; init; }

    /// <summary>Matches the end of the clause text before a cue when that cue is negated ("no need to ").</summary>
    public required Regex NegationBefore { get; init; }

    /// <summary>Matches the start of the clause text after a cue when that cue is negated (" is not the goal").</summary>
    public required Regex NegationAfter { get; init; }

    /// <summary>Matches the text just before a condition word that the clinician excludes ("not ", "other than ").</summary>
    public required Regex ExcludedBefore { get; init; }

    /// <summary>Clause boundaries that bound the scope of a negation.</summary>
    public required Regex ClauseBoundary { get; init; }

    /// <summary>Where a confounder noun phrase that follows its cue ends ("chest drains| when reading").</summary>
    public required Regex NounPhraseEnd { get; init; }

    /// <summary>Where a confounder noun phrase that precedes its cue starts (the last match).</summary>
    public required Regex NounPhraseStart { get; init; }

    /// <summary>Leading words stripped from a confounder noun phrase ("the", "any", "the presence of").</summary>
    public required Regex NounPhraseLead { get; init; }

    /// <summary>Joins the items of a confounder list ("rulers, pen marks or hair").</summary>
    public required Regex ListJoiner { get; init; }

    /// <summary>
    /// Comparisons between the two errors, with groups "a" (the preferred or worse side) and "b", and
    /// the effect when side a names false alarms (e.g. "rather false alarms than misses" favours
    /// sensitivity); a side naming misses flips it. Optional: none by default.
    /// </summary>
    public IReadOnlyList<PhraseRule<PreferenceEffect>> Comparison { get; init; } = [];

    /// <summary>Words for a missed case (false negative, overlooked, slipped through), used by comparisons and consequences.</summary>
    public Regex? MissedWords { get; init; }

    /// <summary>Words for a false alarm (false positive, over-call, unnecessary procedure).</summary>
    public Regex? FalseAlarmWords { get; init; }

    /// <summary>Words for a grave consequence (dangerous, kills, sent home, costly): a clause naming one error with one of these says that error costs more.</summary>
    public Regex? SeverityWords { get; init; }

    /// <summary>Words that make the classes of their clause matter more ("what matters", "the key ones", "dangerous").</summary>
    public Regex? Importance { get; init; }

    /// <summary>Words for finding a case ("caught", "picked up"): a cue with one of these points at the classes of its clause.</summary>
    public Regex? CatchWords { get; init; }

    /// <summary>Words that make a consequence mild ("just a second look"): such a clause states no cost.</summary>
    public Regex? MildWords { get; init; }

    /// <summary>Words that weigh every class the same ("equally important"): an importance cue with them singles out nothing.</summary>
    public Regex? EqualWeight { get; init; }

    /// <summary>Words that make the classes of their clause matter less ("less important", "don't care about").</summary>
    public Regex? Diminish { get; init; }

    /// <summary>Words in a clause that show a time word describes the clinic, not the compute budget ("patients seen overnight").</summary>
    public Regex? BudgetOutOfContext { get; init; }

    /// <summary>Verbs that make the condition after them a target ("classify X", "detect X"): an unknown condition there is refused.</summary>
    public Regex? TargetVerb { get; init; }

    /// <summary>Words that ask for an image-level decision explicitly ("classify", "yes or no"): with one class in the data, such a request is refused rather than read as localisation.</summary>
    public Regex? ExplicitClassification { get; init; }

    /// <summary>Most tokens allowed between a priority cue and the class it singles out.</summary>
    public int PriorityWindow { get; init; } = 6;

    /// <summary>Most words in one confounder name; longer captures are clauses, not noun phrases.</summary>
    public int MaxConfounderWords { get; init; } = 5;

    /// <summary>
    /// Specificity held when the clinician favours sensitivity and gives no number: the seed study
    /// (Zhao et al. 2026) reports melanoma-vs-nevus sensitivity at 80% specificity.
    /// </summary>
    public double DefaultSpecificityFloor { get; init; } = 0.80;

    /// <summary>Sensitivity held when the clinician favours specificity and gives no number; a rule-in test still must catch most cases.</summary>
    public double DefaultSensitivityFloor { get; init; } = 0.90;

    /// <summary>
    /// Compiles a rule pattern; {family} names a cue word family of <see cref="ClinicalLexicon.Default"/>
    /// and becomes the alternation of its forms, so the words live in the lexicon, not in the rules.
    /// </summary>
    internal static Regex Compile(string pattern) =>
        new(Regex.Replace(pattern, @"\{([a-z_]+)\}", m => ClinicalLexicon.Default.CuePattern(m.Groups[1].Value), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)),
            RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1));
}
