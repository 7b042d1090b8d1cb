using Clinforge.Core;

namespace Clinforge.Intent;

public sealed partial class IntentRules
{
    // Shared fragments. "miss" cues appear both as a sensitivity preference and as a priority cue
    // (the class after "don't miss" is the one the clinician singles out).
    private const string NotMiss =
        @"(?:\b(?:not|never|dont)|n't)\s+(?:(?:want|wish|like)\s+(?:you\s+)?(?:to\s+)?|to\s+|ever\s+)?miss(?:es|ing)?(?:\s+(?:a\s+single|any|one)(?:\s+(?:case|one|patient|lesion|tumou?r)s?)?)?\b";
    private const string WithoutMissing = @"\bwithout\s+missing\b";
    private const string CannotAffordToMiss = @"\bcan(?:not|'t|t|\s+not)\s+afford\s+to\s+{miss}\b";
    private const string CatchEvery = @"\b(?:{catch})\s+(?:every|all|each|any)\b(?!\s+(?:of\s+)?(?:false|other))";

    // Passive and modal forms of not missing: "melanomas must never be missed", "no melanoma should go
    // undetected", "we cant have it missing melanomas", German "kein Melanom darf übersehen werden".
    private const string MustNotBeMissed =
        @"\b(?:must|should|can|may|will|shall|is|are)\s*(?:not|never|n't)\s+(?:ever\s+)?(?:be\s+|get\s+)?{miss}\b";
    private const string NoneMissed =
        @"\b(?:no|none|kein\w*|nothing)\s+(?:[a-z']+\s+){0,4}?(?:should|must|may|can|will|shall|darf|soll|durfen|sollen|is\s+to|sollte)\s+(?:ever\s+)?(?:be\s+|get\s+)?{miss}\b";
    private const string NegatedMiss =
        @"(?:\b(?:not|never|dont|cant|cannot|wont|nicht|nie|niemals|kein\w*)|n't)\s+(?:(?!(?:care|mind|matter|worry|worried|bother)\b)[a-z']+\s+){0,4}?{miss}\b";

    private const string Number = @"(?<value>\d{1,3}(?:\.\d+)?\s*(?:%|percent\b|per\s+cent\b)|0?\.\d+)";
    private const string Metric = @"(?<metric>sensitivity|specificity|recall|sensitivitat|spezifitat)";

    // Confounder noun phrase that follows the cue, up to the end of the sentence; trimmed afterwards.
    private const string NounPhraseAfter = @"(?<np>[^.;!?\n]+)";

    // Confounder noun phrase that precedes the cue, within its clause (no punctuation).
    private const string NounPhraseBefore = @"(?<np>[a-z0-9' ]+?)";

    /// <summary>The built-in v0 rules (English).</summary>
    public static IntentRules Default { get; } = CreateDefault();

    private static IntentRules CreateDefault() => new()
    {
        Task =
        [
            // Detection: the clinician wants to see where the finding is.
            new(@"(?<!\b(?:pen|ink|skin|surgical)\s)\bmark(?:ing)?(?=\s+(?:the|where|it|them|each|every|all|any|out|up|its|their|suspicious|suspected|possible|potential|likely|abnormal)\b)", TaskKind.Detection),
            new(@"(?<!\bblack\s)\b(?:bounding\s+)?box(?:es|ed|ing)?\b", TaskKind.Detection),
            new(@"\b(?:show|tell|see|know|indicate|display)(?:s|ing)?\s+(?:me\s+|us\s+)?(?:on\s+the\s+(?:image|film|picture|scan)\s+)?where\b", TaskKind.Detection),
            new(@"(?<=(?:^|[.;:!?,]\s*|\b(?:and|to|please|pls|then|also|you|it|should|must|would|will|can|could|just)\s+))mark(?:s|ed|ing)?\b(?!\s+(?:as|down)\b)", TaskKind.Detection),
            new(@"\b(?:rectangle|frame)s?\s+(?:around|round)\b|\bpick(?:s|ed|ing)?\s+out\b", TaskKind.Detection),
            new(@"\b(?:show|give|mark|indicate|display)\w*\s+(?:me\s+)?(?:their|its|the)\s+(?:positions?|locations?)\b|\bwhere\s+on\s+the\s+(?:image|film|frame|picture)\b", TaskKind.Detection),
            new(@"\bmarkier\w*|\beinkreis\w*|\beinzeichn\w*|\blokalisier\w*|\bwo\s+(?:ist|sind|liegt|liegen)\b|\brahmen\b", TaskKind.Detection),
            new(@"\b(?:draw|show|trace|give|get)(?:s|ing|n)?\s+(?:me\s+)?(?:the\s+|its\s+|their\s+)?(?:[a-z]+\s+){0,2}?(?:boundar(?:y|ies)|borders?|margins?|edges?)\b", TaskKind.Segmentation),
            new(@"\bdraw\w*\s+(?:a\s+line\s+)?(?:a?round|the\s+(?:edge|border|outline|margin)s?)\b|\btrac(?:e|es|ed|ing)\s+(?:the\s+)?(?:edge|border|outline|margin|contour)s?\b|\bshad(?:e|es|ed|ing)\b|\b(?:a|the)\s+mask\s+(?:of|for)\b|\bsegmentier\w*|\bumrand\w*|\babgrenz\w*|\bpixelgenau\b", TaskKind.Segmentation),
            new(@"\bhighlight(?:s|ed|ing)?\b", TaskKind.Detection),
            new(@"\bpoint(?:s|ing)?\s+(?:it\s+|them\s+)?out\b", TaskKind.Detection),
            new(@"\bpoint(?:s|ing)?\s+(?:to|at)(?=\s+(?:it|them|the|where|each)\b)", TaskKind.Detection),
            new(@"\blocali[sz](?:e|es|ed|ing|ation)\b", TaskKind.Detection),
            new(@"\blocat(?:e|es|ing)(?=\s+(?:the|each|every|all|any|it|them)\b)", TaskKind.Detection),
            new(@"\bcircl(?:e|es|ing)(?=\s+(?:the|each|every|all|any|it|them)\b)", TaskKind.Detection),
            // "Find X on the image" localises; "find breast cancer on ultrasound" names a modality and stays classification.
            new(@"\bfind\b[^.;!?]{0,60}?\b(?:on|in)\s+(?:the|each|every|an?|this|these)\s+(?:[a-z]+\s+)?(?:image|picture|photo|photograph)s?\b", TaskKind.Detection),

            // Segmentation: the clinician wants the extent, not just the place.
            new(@"\boutlin(?:e|es|ed|ing)\b", TaskKind.Segmentation),
            new(@"\bdelineat(?:e|es|ed|ing|ion)\b", TaskKind.Segmentation),
            new(@"\bsegment(?:s|ed|ing|ation)?\b", TaskKind.Segmentation),
            new(@"\bmeasur(?:e|es|ed|ing)\s+(?:the\s+|its\s+|their\s+)?(?:[a-z]+\s+){0,2}?(?:area|volume|extent|size)s?\b", TaskKind.Segmentation),
            new(@"\b(?:area|volume|extent|size)s?\s+of\b[^.;!?]{1,40}?\bmeasured\b", TaskKind.Segmentation),
            // "How big" asks for the extent, which an outline gives ("measure how big the effusion is", "how big
            // is the lesion"); a size asked in units ("in cm") is still refused as regression (Lexicon.json), and
            // "is the lesion big?" asks for a yes or no and stays classification.
            new(@"\bmeasur(?:e|es|ed|ing)\s+how\s+(?:big|large|extensive)\b", TaskKind.Segmentation),
            new(@"\bhow\s+(?:big|large|extensive)\s+(?:(?:is|are)\s+(?:the|each|every|its|their|this|that|these|those)\b|(?:the|each|its|their|this|that|these|those)\s+(?:[a-z]+\s+){1,3}?(?:is|are|gets?)\b)", TaskKind.Segmentation),
            new(@"\bpixel\s+(?:level|wise|by\s+pixel)\b", TaskKind.Segmentation),
            new(@"\bcontour(?:s|ed|ing)?\b", TaskKind.Segmentation),

            // Classification is the default; these only say which words confirmed it.
            new(@"\bclassif(?:y|ies|ied|ying|ication|ier)\b", TaskKind.Classification),
            new(@"\byes\s+(?:or\s+)?no\b", TaskKind.Classification),
            new(@"\b(?:distinguish|differentiate|discriminate)(?:s|es|ed|ing)?\b", TaskKind.Classification),
            new(@"\btell\b[^.;!?]{1,60}?\b(?:from|apart)\b", TaskKind.Classification),
            new(@"\bdiagnos(?:e|es|is|ing)\b", TaskKind.Classification),
            new(@"\bwhether\b", TaskKind.Classification),
            new(@"\b(?:vs|versus)\b", TaskKind.Classification),
        ],
        ErrorPreference =
        [
            new(NotMiss, PreferenceEffect.Sensitivity),
            new(MustNotBeMissed, PreferenceEffect.Sensitivity, negatable: false),
            new(NoneMissed, PreferenceEffect.Sensitivity, negatable: false),
            new(NegatedMiss, PreferenceEffect.Sensitivity, negatable: false),
            new(@"\b(?:above\s+all|most\s+importantly|first\s+and\s+foremost|the\s+main\s+thing\s+is(?:\s+to)?)\s+(?:[a-z]+\s+){0,2}?(?:{catch})\b", PreferenceEffect.Sensitivity),
            new(@"\blean\w*\s+(?:towards?\s+)?(?:calling|flagging|over\s?call\w*|sensitivity)\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:very|highly|extremely|more|most|be|is)\s+sensitive\b", PreferenceEffect.Sensitivity),
            new(@"\bsensitivity\s+(?:first|is\s+(?:key|king|paramount|the\s+priority|what\s+matters)|matters\s+(?:most|more)|is\s+what\s+matters(?:\s+most)?)\b", PreferenceEffect.Sensitivity),
            // False reassurance: "never tell me a film is clear when there's a PTX".
            new(@"(?:\b(?:never|not|dont)|n't)\b[^.;!?]{0,15}?\b(?:tell|call|say|label|report|send)\w*\b[^.;!?]{0,40}?\b(?:clear|fine|ok|okay|healthy|normal|benign|negative|nothing|home)\b|\bfalse(?:ly)?\s+reassur\w*", PreferenceEffect.Sensitivity, negatable: false),
            new(@"\bausschlie?s+en\b|\bausschluss\b", PreferenceEffect.Sensitivity),
            new(@"\bspecificity\s+(?:first|is\s+(?:key|king|paramount|the\s+priority|what\s+matters)|matters\s+(?:most|more))\b", PreferenceEffect.Specificity),
            new(@"\bonly\s+(?:call|flag|say|diagnose|report|mark)\w*\b[^.;!?]{0,40}\b(?:when|if)\s+(?:it\s+is\s+|it's\s+|its\s+|clearly|really|sure|certain|confident|definite)", PreferenceEffect.Specificity),
            new(@"\bbe\s+conservative\b|\bkonservativ\b", PreferenceEffect.Specificity),
            new(@"(?:\b(?:not|never|dont)|n't)\s+let\s+(?:[a-z']+\s+){0,4}?(?:slip\s+)?(?:through|by|past)\b", PreferenceEffect.Sensitivity, negatable: false),
            new(@"(?:\b(?:not|never|dont)|n't)\s+(?:call|flag|diagnose|report|mark|say)\w*\b[^.;!?]{0,30}?\bwhen\b[^.;!?]{0,15}?(?:\b(?:isnt|not)|n't)\s+(?:there|present|real)\b", PreferenceEffect.Specificity, negatable: false),
            // Which rate comes first: "sensitivity over specificity", "prioritise specificity".
            new(@"\bsensitivity\s+(?:over|before|above|ahead\s+of|rather\s+than|more\s+than|trumps|beats|vor)\s+(?:specificity|spezifitat)\b|\b(?:prioriti[sz]\w*|favou?r\w*|emphasi[sz]\w*|focus\w*\s+on|optimi[sz]e\s+for|prefer\w*)\s+(?:the\s+)?(?:sensitivity|sensitivitat|recall)\b", PreferenceEffect.Sensitivity),
            new(@"\bspecificity\s+(?:over|before|above|ahead\s+of|rather\s+than|more\s+than|trumps|beats|vor)\s+(?:sensitivity|sensitivitat)\b|\b(?:prioriti[sz]\w*|favou?r\w*|emphasi[sz]\w*|focus\w*\s+on|optimi[sz]e\s+for|prefer\w*)\s+(?:the\s+)?(?:specificity|spezifitat|precision|ppv)\b", PreferenceEffect.Specificity),
            new(@"\b(?:low|lower|lowest|minimal|little)\s+(?:number\s+of\s+|rate\s+of\s+)?{false_alarm}", PreferenceEffect.Specificity),
            new(@"\b(?:low|lower|lowest|minimal)\s+(?:number\s+of\s+|rate\s+of\s+)?(?:false\s+negatives?|missed\s+cases|misses)\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:benign|normal|healthy|negative)\s+(?:[a-z]+\s+)?(?:should|must|may)\s*(?:not|never|n't)\s+be\s+(?:flagged|called|marked|referred|biopsied|excised|treated|recalled)\b", PreferenceEffect.Specificity, negatable: false),
            // What a call must be trusted to mean: a negative that must mean no disease rules out.
            new(@"\b(?:a\s+|the\s+)?(?:negative|normal|clear)\s+(?:result|call|answer|prediction|output|read|film)?\s*(?:must|should|has\s+to|needs\s+to)\s+(?:really\s+|truly\s+|reliably\s+)?(?:mean|be\s+(?:reliable|trustworthy|right|correct|safe))\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:a\s+|the\s+)?positive\s+(?:result|call|answer|prediction|output|read|film)?\s*(?:must|should|has\s+to|needs\s+to)\s+(?:really\s+|truly\s+|reliably\s+)?(?:mean|be\s+(?:reliable|trustworthy|right|correct|real))\b", PreferenceEffect.Specificity),
            new(@"\b(?:must|should|need|needs|has|have)\s+(?:to\s+)?be\s+(?:caught|detected|found|picked\s+up|spotted|flagged)\b", PreferenceEffect.Sensitivity),
            // A positive call must be trusted: "it has to be right when it says yes".
            new(@"\b(?:right|correct|sure|certain|reliable|trustworthy|trusted)\s+when\s+it\s+(?:says|calls|flags|reports)\s+(?:yes|positive|it|so|[a-z]+)\b|\bwhen\s+it\s+says\s+(?:yes|positive)\b[^.;!?]{0,30}\b(?:right|correct|sure|certain|reliable)\b", PreferenceEffect.Specificity),
            new(@"\btoo\s+many\s+(?:people|patients|referrals|cases|recalls|biopsies|excisions)\b|\b(?:send|sending|refer|referring|recall|recalling)\s+too\s+many\b", PreferenceEffect.Specificity),
            new(@"\btoo\s+many\s+{false_alarm}|\bkeep\s+{false_alarm}\s+(?:rare|low|down|few|to\s+a\s+minimum)\b|\b(?:moglichst\s+)?wenig\w*\s+{false_alarm}|\b(?:flood|swamp|overwhelm)\w*\b[^.;!?]{0,30}\bwith\s+{false_alarm}", PreferenceEffect.Specificity),
            new(@"(?:\b(?:not|dont)|n't)\s+want\s+(?:to\s+)?(?:(?!(?:miss|mind)\b)[a-z']+\s+){0,5}?{false_alarm}", PreferenceEffect.Specificity, negatable: false),
            new(@"(?<!\bnot\s+(?:worried|concerned|bothered|fussed)\s+(?:about|by)\s+)\b(?:unnecessary|needless|unneeded|avoidable|unnotig\w*)\s+(?:[a-z]+\s+)?(?:biops|operation|surger|procedure|excision|referral|treatment|intervention|recall|drain|admission|scan|test|antibiotic|exzision|eingriff|therapie|drainage|theatre|colonoscop|follow|work\s?up|uberweis|uberweisung|abklarung)\w*", PreferenceEffect.Specificity, negatable: false),
            new(WithoutMissing, PreferenceEffect.Sensitivity),
            new(CannotAffordToMiss, PreferenceEffect.Sensitivity),
            new(CatchEvery, PreferenceEffect.Sensitivity),
            new(@"\brul(?:e|es|ing)\s+out\b", PreferenceEffect.Sensitivity),
            new(@"\bscreening\b|\bscreen\s+(?:for|patients|children|people|women|men)\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:better|rather|prefer(?:able)?)\s+(?:to\s+)?over\s?call\w*", PreferenceEffect.Sensitivity),
            new(@"\bover\s?call(?:ing|s)?\s+(?:is|are)\s+(?:fine|ok|okay|acceptable|better)\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:a\s+)?missed\s+(?:[a-z]+\s+){0,2}?(?:costs?|is\s+(?:worse|costly|expensive|dangerous|unacceptable))\b", PreferenceEffect.Sensitivity),
            new(@"\bmissing\s+(?:a\s+|an\s+|one\s+)?(?:[a-z]+\s+){0,2}?(?:costs?\s+more|is\s+(?:worse|costly|dangerous|unacceptable))\b", PreferenceEffect.Sensitivity),
            new(@"\bless\s+likely\s+to\s+be\s+missed\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:high|higher|highest|maximum|maximal|max|best)\s+(?:possible\s+)?(?:sensitivity|sens|sensitivitat|recall)\b", PreferenceEffect.Sensitivity),
            new(@"\bmaximi[sz]e\s+(?:the\s+)?sensitivity\b", PreferenceEffect.Sensitivity),
            new(@"\bas\s+sensitive\s+as\s+possible\b", PreferenceEffect.Sensitivity),
            new(@"\b(?:minimi[sz]e|avoid|reduce)\s+(?:the\s+)?false\s+negatives?\b", PreferenceEffect.Sensitivity),
            new(@"\bfalse\s+negatives?\s+(?:are|is)\s+(?:worse|costly|dangerous|unacceptable|expensive)\b", PreferenceEffect.Sensitivity),
            new(@"(?:\b(?:not|dont)|n't)\s+mind\s+(?:a\s+few\s+|some\s+)?(?:false\s+(?:alarms?|positives?)|over\s?call\w*)", PreferenceEffect.Sensitivity, negatable: false),
            new(@"\b(?:a\s+few|some)\s+false\s+(?:alarms?|positives?)\s+(?:are|is)\s+(?:fine|ok|okay|acceptable)\b", PreferenceEffect.Sensitivity),

            // "Unnecessary" already says the procedure should be avoided, so a nearby negation
            // ("we would rather not send people for unnecessary excisions") does not flip it.
            new(@"(?<!\bnot\s+(?:worried|concerned|bothered|fussed)\s+(?:about|by)\s+)\b(?:(?:avoid|prevent|reduce|minimi[sz]e|fewer|no)\s+(?:[a-z]+\s+){0,2}?)?unnecessary\s+(?:[a-z]+\s+)?(?:biops(?:y|ies)|operations?|surger(?:y|ies)|procedures?|excisions?|referrals?|treatments?|interventions?|recalls?|drains?|admissions?|scans?|tests?|antibiotics?)\b", PreferenceEffect.Specificity, negatable: false),
            new(@"\bconfirm\w*\s+(?:[a-z]+\s+){0,4}?before\s+(?:surgery|operating|operation|treatment|treating|biopsy|excision|intervention)\b", PreferenceEffect.Specificity),
            new(@"\bprecision\s+(?:matters|is\s+(?:key|important|critical|essential|crucial))\b", PreferenceEffect.Specificity),
            new(@"\b(?:high|higher|highest|maximum|maximal|max|best)\s+(?:possible\s+)?(?:precision|specificity|spezifitat|positive\s+predictive\s+value|ppv)\b", PreferenceEffect.Specificity),
            new(@"\bmaximi[sz]e\s+(?:the\s+)?specificity\b", PreferenceEffect.Specificity),
            // "A few false alarms are fine" is the opposite; the look-behind keeps it out.
            new(@"(?<!\ba\s)\b(?:few|fewer|minimal|avoid|minimi[sz]e|reduce)\s+(?:the\s+)?false\s+(?:alarms?|positives?)\b", PreferenceEffect.Specificity),
            new(@"\bfalse\s+(?:alarms?|positives?)\s+(?:are|is)\s+(?:worse|costly|expensive|harmful|unacceptable)\b", PreferenceEffect.Specificity),
            new(@"\b(?:avoid|prevent|reduce|minimi[sz]e)\s+over\s?(?:diagnos|treat)\w*", PreferenceEffect.Specificity),

            new(@"\bbalanced?\b", PreferenceEffect.Balanced),
            new(@"\b(?:every|each|all)\s+(?:the\s+)?(?:class|classes|category|categories|label|labels|types?)\s+(?:are\s+|is\s+)?(?:equally|the\s+same)\b|\bequally\s+important\b|\btreat\s+(?:every|each|all)\s+(?:the\s+)?(?:class(?:es)?\s+)?(?:equally|the\s+same)\b", PreferenceEffect.Balanced),
            new(@"\bboth\s+(?:errors|kinds\s+of\s+errors?|types\s+of\s+errors?)\s+(?:matter|count|are)\b", PreferenceEffect.Balanced),
            new(@"\bequally\s+(?:bad|costly|important)\b", PreferenceEffect.Balanced),

            new(@"(?:\b(?:not|dont|doesnt)|n't)\s+(?:really\s+)?(?:care|mind)\s+(?:about\s+|if\s+(?:we|you|it|i|the\s+model)\s+)?miss(?:es|ed|ing)?\b", PreferenceEffect.ToleratesMisses, negatable: false),
            new(@"\b(?:ok|okay|fine|acceptable|alright|not\s+a\s+problem|no\s+problem)\s+(?:if\s+(?:we|you|it|the\s+model)\s+|to\s+)miss(?:es|ed|ing)?\b", PreferenceEffect.ToleratesMisses, negatable: false),
            new(@"\bmiss(?:ing)?\s+(?:a\s+few|some|one\s+or\s+two)\s+(?:[a-z]+\s+)?(?:is|are)\s+(?:ok|okay|fine|acceptable|alright)\b", PreferenceEffect.ToleratesMisses, negatable: false),
        ],
        Priority =
        [
            new(@"\b(?:top\s+|main\s+|first\s+|highest\s+)?priority\s+(?:should\s+|must\s+|will\s+|shall\s+)?(?:be\s+)?(?:given\s+)?(?:to|on|for)\b", MentionSide.After),
            new(@"\bpriority\s*(?::|is\b)", MentionSide.After),
            new(@"\bprioriti[sz](?:e|es|ed|ing)\b", MentionSide.After),
            new(@"\bespecially\b", MentionSide.After),
            new(@"\b(?:particular|special|extra|close|careful)\s+attention\s+(?:to|on|for)\b", MentionSide.After),
            new(@"\babove\s+all\b", MentionSide.After),
            new(@"\bparticularly\b", MentionSide.After),
            new(@"\bin\s+particular\b", MentionSide.After),
            new(@"\bmost\s+important(?:ly)?\b", MentionSide.After),
            new(@"\bfocus(?:ed|es|ing)?\s+on\b", MentionSide.After),
            new(@"\bmain\s+(?:concern|worry|interest)\s+(?:is|are)\b", MentionSide.After),
            new(@"\bworried\s+about\b", MentionSide.After),
            new(NotMiss, MentionSide.After),
            new(WithoutMissing, MentionSide.After),
            new(CannotAffordToMiss, MentionSide.After),
            new(CatchEvery, MentionSide.After),

            new(@"\b(?:is|are)\s+(?:the|my|our)\s+(?:main\s+|top\s+|first\s+|biggest\s+|highest\s+)?(?:priority|concern|worry|focus)\b", MentionSide.Before),
            new(@"\bmatters?\s+(?:the\s+)?most\b", MentionSide.Before),
            new(@"\b(?:above\s+all|in\s+particular)\b(?=\s*(?:[.,;!?]|$))", MentionSide.Before),
        ],
        Confounder =
        [
            new(@"(?:\b(?:not|never|dont|without)|n't)\s+(?:(?:let|allow|permit)\s+(?:(?:the|your|this|our)\s+)?(?:model|network|classifier|algorithm|system|ai|it)\s+(?:to\s+)?)?(?:be\s+)?(?:(?:too|overly|solely|only|just)\s+)?(?:rely|relying|relies|depend|depending|base|based|basing|look|looking)\s+(?:(?:the|its|your|their|a)\s+(?:decisions?|predictions?|diagnos[ie]s|calls?|answers?)\s+)?(?:(?:solely|only|too\s+much)\s+)?(?:on|at)\s+" + NounPhraseAfter, MentionSide.After, negatable: false),
            new(@"(?:\b(?:not|never)|n't)\s+(?:be\s+|get\s+)?(?:fooled|confused|misled|tricked|distracted|biased|influenced)\s+by\s+" + NounPhraseAfter, MentionSide.After, negatable: false),
            new(@"\bignor(?:e|es|ing)\s+" + NounPhraseAfter, MentionSide.After),
            new(@"(?:\bnot|n't)\s+use\s+(?<np>[^.;!?\n]+?)\s+as\s+(?:a\s+)?(?:shortcut|cue|clue|signal|proxy)", MentionSide.After, negatable: false),
            new(@"\bshortcuts?\s+(?:like|such\s+as)\s+" + NounPhraseAfter, MentionSide.After),
            new(NounPhraseBefore + @"\s+(?:should|must|shall)\s*(?:not|n't)\s+be\s+what\s+(?:the\s+)?(?:model|ai|algorithm|network|system)\s+(?:looks|focuses|relies)\s+(?:at|on)\b", MentionSide.Before, negatable: false),
            new(NounPhraseBefore + @"\s+(?:should|must|shall)\s*(?:not|n't)\s+(?:matter|influence|affect|drive|change)\b", MentionSide.Before, negatable: false),
            new(NounPhraseBefore + @"\s+(?:is|are)\s+(?:a\s+|an\s+)?(?:dead\s+)?(?:confounders?|confounding|shortcuts?|spurious|giveaways?|give\s+aways?|tell\s?tales?|clues?|proxy|proxies|cheat\s+sheets?)\b", MentionSide.Before),
            // Things added because of the diagnosis give the answer away: "drains are placed after diagnosis".
            new(NounPhraseBefore + @"\s+(?:is|are|get|gets|was|were)\s+(?:usually\s+|often\s+|only\s+|typically\s+)?(?:placed|inserted|put\s+in|added|applied|drawn|made)\s+(?:only\s+)?(?:after|because\s+of|once)\s+(?:the\s+)?(?:diagnosis|it\s+is\s+diagnosed|treatment)\b", MentionSide.Before, negatable: false),
            new(@"\b(?:regardless\s+of|independent(?:ly)?\s+of|irrespective\s+of)\s+" + NounPhraseAfter, MentionSide.After),
            // What the model must not learn from: "don't learn from the logo", "not just recognise the
            // scanner", "must not cheat off the tube", "don't use the markers".
            new(@"(?:\b(?:not|never|dont|doesnt)|n't)\s+(?:(?:want|let|allow)\s+(?:(?:it|the\s+model|the\s+network|the\s+ai)\s+)?(?:to\s+)?)?(?:(?:just|simply|only|merely)\s+)?(?:learn(?:s|ing)?\s+from|learn(?:s|ing)?|recogni[sz](?:e|es|ing)|cheat(?:s|ing)?\s+(?:off|from|on|with)|use|using|key(?:s|ing)?\s+(?:on|off)|pick(?:s|ing)?\s+up\s+on|latch(?:es|ing)?\s+onto|exploit|exploiting|look(?:s|ing)?\s+at)\s+" + NounPhraseAfter, MentionSide.After, negatable: false),
            new(@"\bmake\s+sure\s+(?:it|the\s+model)(?:'s|\s+is)?\s+not\s+(?:picking\s+up\s+on|using|learning(?:\s+from)?|looking\s+at)\s+" + NounPhraseAfter, MentionSide.After, negatable: false),
            new(@"\b(?:learn|look|focus)(?:s|es|ed|ing)?\s+(?:at\s+|on\s+)?(?:the\s+)?[a-z]+(?:\s+[a-z]+)?,?\s+(?:and\s+|but\s+)?(?:instead\s+of|rather\s+than|not)\s+(?:at\s+|on\s+)?" + NounPhraseAfter, MentionSide.After, negatable: false),
            new(@"\bbeware\s+(?:of\s+)?" + NounPhraseAfter, MentionSide.After),
            new(@"\bcheat\w*\s+(?:by\s+)?(?:spotting|using|looking\s+at|recogni[sz]ing|detecting|reading|seeing)\s+" + NounPhraseAfter, MentionSide.After, negatable: false),
            new(@"(?:\b(?:not|dont|never)|n't)\s+let\s+(?<np>[a-z0-9' ]+?)\s+(?:drive|decide|determine|influence|affect|sway|bias|dictate)\w*", MentionSide.Before, negatable: false),
            new(@"\brobust\s+(?:to|against)\s+" + NounPhraseAfter, MentionSide.After),
            // German: the object sits before the verb ("nicht auf die Thoraxdrainage schauen", "die Haare ignorieren").
            new(@"\bnicht\s+(?:an|auf)\s+(?:den|die|das|der|dem)\s+(?<np>[a-z]+(?:\s+(?:und|oder)\s+[a-z]+)?)\s+(?:orientier|schau|acht|verlass|stutz|reagier|konzentrier)\w*", MentionSide.Before, negatable: false),
            new(@"\bnicht\s+(?:den|die|das|der|dem)\s+(?<np>[a-z]+)\s+(?:erkennen|lernen|nutzen|verwenden|benutzen)\b", MentionSide.Before, negatable: false),
            new(@"\b(?:den|die|das|der|dem)\s+(?<np>[a-z]+)\s+ignorier\w*", MentionSide.Before),
        ],
        OneVsRest =
        [
            Compile(@"\b(?:vs|versus|from|against|or)\s+(?:everything|anything|all)\s+(?:else|other(?:\s+[a-z]+)?)\b"),
            Compile(@"\b(?:vs|versus|from|against)\s+(?:all\s+)?(?:the\s+)?(?:rest|others|other\s+(?:classes|lesions|diagnoses|findings|types|categories|conditions))\b"),
            Compile(@"\bone\s+(?:vs|versus|against)\s+(?:the\s+)?(?:rest|all|others)\b"),
            Compile(@"\bor\s+not\b"),
        ],
        Supervision =
        [
            new(@"\b(?:only\s+)?(?:a\s+(?:handful|few|small\s+(?:number|fraction|subset))|some|few|\d{1,2}(?:\.\d+)?\s*(?:%|percent\b))\s+(?:of\s+(?:the\s+|them\s+|the\s+images\s+|images\s+)?)?(?:images?\s+|films?\s+|cases?\s+|scans?\s+)?(?:have|has|with|come\s+with|are\s+annotated\s+with)\s+(?:bounding\s+)?box(?:es)?\b", "boxes on a subset of the images"),
            new(@"\b(?:only\s+)?(?:a\s+(?:handful|few|small\s+(?:number|fraction|subset))|some|few|\d{1,2}(?:\.\d+)?\s*(?:%|percent\b))\s+(?:of\s+(?:the\s+|them\s+|the\s+images\s+|images\s+)?)?(?:images?\s+|films?\s+|cases?\s+|scans?\s+)?(?:have|has|with|come\s+with|are\s+annotated\s+with)\s+(?:masks?|outlines?|contours?|segmentations?)\b", "masks on a subset of the images"),
            new(@"\bbox(?:es)?\s+(?:on|for)\s+(?:only\s+|just\s+)?(?:about\s+|around\s+|roughly\s+|approximately\s+|~\s*)?(?:a\s+(?:subset|few|handful|fraction)|some|few|\d{1,2}(?:\.\d+)?\s*(?:%|percent\b))", "boxes on a subset of the images"),
            new(@"\b(?:no|without(?:\s+any)?)\s+(?:bounding\s+)?box(?:es)?\b|\b(?:only|just)\s+(?:image\s+level\s+)?labels\b", "image-level labels only"),
        ],
        Budget =
        [
            new(@"\b(?:quick(?:ly)?|in\s+(?:a\s+few|\d+)\s+minutes?|within\s+(?:the|an|one)\s+hour|in\s+an\s+hour|rough\s+(?:first\s+)?(?:try|model|version)|first\s+pass)\b", "quick"),
            new(@"\b(?:overnight|over\s+night|by\s+(?:tomorrow|the\s+morning|morning))\b", "overnight"),
            new(@"\b(?:over\s+the\s+weekend|take\s+(?:as\s+long\s+as\s+(?:needed|it\s+takes|you\s+need)|your\s+time|the\s+weekend)|no\s+(?:rush|hurry)|best\s+possible\s+model|(?:for\s+)?as\s+long\s+as\s+you\s+(?:like|want|need|wish)|wir\s+haben\s+zeit|beste\s+mogliche\s+modell|keine\s+eile)\b", "thorough"),
            new(@"\b(?:first|rough|initial)\s+(?:version|draft|cut|prototype|attempt)\b|\b(?:today|this\s+afternoon|by\s+tonight|asap)\b", "quick"),
            new(@"\bschnell\w*\s+(?:ein\w*\s+)?(?:erste\w*\s+)?(?:modell|version|versuch)\b|\berste\w*\s+(?:schnell\w*\s+)?(?:versuch|entwurf)\b", "quick"),
            new(@"\buber\s+nacht\b|\bbis\s+morgen\b", "overnight"),
        ],
        Comparison =
        [
            // Effect when side a names false alarms: "rather false alarms than misses" favours sensitivity;
            // "false positives are worse than false negatives" favours specificity.
            new(@"\b(?:rather|prefer\w*|better\s+to|lieber)\b(?<a>[^.;!?]{1,80}?)\b(?:than|als)\b(?<b>[^.;!?]{1,80})", PreferenceEffect.Sensitivity, negatable: false),
            new(@"(?<a>[^.;!?,]{1,60}?)\b(?:is|are|sind|ist)\s+(?:much\s+|far\s+|a\s+lot\s+|viel\s+)?(?:worse|higher|greater|bigger|schlimmer|more\s+(?:dangerous|costly|harmful|serious|expensive))\s+(?:than|als)\b(?<b>[^.;!?]{1,60})", PreferenceEffect.Specificity, negatable: false),
        ],
        MissedWords = Compile(@"\b{missed}\b|\b{miss}\b"),
        FalseAlarmWords = Compile(@"\b{false_alarm}\b"),
        SeverityWords = Compile(@"\b{severity}\b"),
        Importance = Compile(@"\b{importance}\b|\b(?:first|zuerst|zunachst)\b(?=[^.;!?]*\b(?:then|dann|danach)\b)|\b(?:then|followed\s+by|dann|danach)\b(?<=(?:first|zuerst|zunachst|priority|most|wichtigsten?)\b[^.;!?]*)"),
        CatchWords = Compile(@"\b{catch}\b"),
        MildWords = Compile(@"\b{mild}\b"),
        EqualWeight = Compile(@"\bequal\w*|\bthe\s+same\b|\bgleich\w*"),
        Diminish = Compile(@"\b{diminish}\b|\bnot\s+(?:that\s+|very\s+|so\s+)?(?:important|relevant)\b"),
        BudgetOutOfContext = Compile(@"\b{clinic_context}\b"),
        TargetVerb = Compile(@"\b(?:classif\w*|detect\w*|find\w*|distinguish\w*|differentiat\w*|tell|identif\w*|diagnos\w*|mark\w*|segment\w*|outlin\w*|box\w*|spot\w*|locali[sz]\w*|highlight\w*|screen\w*\s+for|grade|sort|erkenn\w*|find\w*|klassifizier\w*|unterscheid\w*)\s+(?:(?:the|a|an|all|any|every|each|for|between|some|die|den|das|der|eine?n?)\s+)*$"),
        ExplicitClassification = Compile(@"\b(?:classif\w*|klassifizier\w*|categori[sz]\w*|yes\s+(?:or\s+)?no|ja\s+(?:oder\s+)?nein|whether|distinguish\w*|differentiat\w*|unterscheid\w*|vs|versus)\b|\btell\b[^.;!?]{1,60}?\b(?:from|apart)\b"),
        Threshold =
        [
            new(@"\bat\s+(?!least\b)(?:a\s+|an\s+)?" + Number + @"\s+" + Metric + @"\b", ThresholdForm.AtValue),
            new(@"\bat\s+(?:a\s+)?" + Metric + @"\s+(?:of\s+)?(?:at\s+least\s+)?" + Number, ThresholdForm.AtValue),
            new(@"\b" + Metric + @"\s+(?:of\s+|von\s+)?(?:at\s+least|mindestens|wenigstens|uber|above|over|greater\s+than|no\s+(?:less|lower)\s+than|not\s+(?:less|lower)\s+than|not\s+below|nicht\s+unter|>=|≥|>)\s*(?:of\s+)?" + Number, ThresholdForm.AtLeast),
            new(@"\b(?:at\s+least|minimum(?:\s+of)?|no\s+less\s+than)\s+" + Number + @"\s+" + Metric + @"\b", ThresholdForm.AtLeast),
            new(@"(?<![\w.])" + Number + @"\s+" + Metric + @"\b", ThresholdForm.Plain),
            new(@"\b" + Metric + @"\s+(?:of\s+|=\s*|:\s*)?" + Number, ThresholdForm.Plain),
        ],
        // A negator, then at most three words, then the cue. "yes/no" is not a negation.
        NegationBefore = Compile(@"(?:(?<!\byes\s(?:or\s)?)\bno\b|\b(?:not|never|without|nor|cannot|dont|doesnt|isnt|neither|hardly)\b|n't\b)(?:\s+[a-z']+){0,3}\s*$"),
        NegationAfter = Compile(@"^\s*(?:(?:is|are|was|were|will\s+be|would\s+be)\s+(?:not|never|no)\b|(?:isn't|aren't|wasn't|weren't|won't|isnt|arent)\b|(?:is|are)\s+(?:less\s+important|secondary|irrelevant|unnecessary)\b|(?:does|do)(?:n't|\s+not)\s+matter\b|(?:not\s+(?:needed|required|necessary|wanted)|unnecessary)\b)"),
        ExcludedBefore = Compile(@"(?:\b(?:not|no|without|except|excluding|nor|ignore|ignoring|besides)|\b(?:other|rather)\s+than|\binstead\s+of|\bapart\s+from)\s+(?:(?:a|an|the|any)\s+)?$"),
        ClauseBoundary = Compile(@"[;:!?,()\n]|\.(?=\s|$)|\b(?:but|however|although|though|whereas|while|yet)\b"),
        NounPhraseEnd = Compile(@"[:()""]|\s(?:when|because|since|as|while|if|but|so|that|which|who|whose|to|in|on|at|for|during|from|into|unless|than|instead|rather|though|although|yet|then|next|near|beside|around|with|along|is|are)\b"),
        NounPhraseStart = Compile(@"\b(?:but|so|because|although|though|while|that|which|also|however|then|yet|please|remember)\b"),
        NounPhraseLead = Compile(@"^(?:(?:the|a|an|any|some|those|these|its|their|things|stuff|like|such|as|presence|of|whether|there|is|are|other)\s+)+"),
        ListJoiner = Compile(@"\s+(?:and|or|nor|and\s+or)\s+|\s*&\s*"),
    };
}
