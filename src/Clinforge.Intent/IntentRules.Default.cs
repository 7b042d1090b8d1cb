using Clinforge.Core;

namespace Clinforge.Intent;

public sealed partial class IntentRules
{
    // Shared fragments. "miss" cues appear both as a sensitivity preference and as a priority cue
    // (the class after "don't miss" is the one the clinician singles out).
    private const string NotMiss =
        @"(?:\b(?:not|never|dont)|n't)\s+(?:(?:want|wish|like)\s+(?:you\s+)?(?:to\s+)?|to\s+|ever\s+)?miss(?:es|ing)?(?:\s+(?:a\s+single|any|one)(?:\s+(?:case|one|patient|lesion|tumou?r)s?)?)?\b";
    private const string WithoutMissing = @"\bwithout\s+missing\b";
    private const string CannotAffordToMiss = @"\bcan(?:not|'t|\s+not)\s+afford\s+to\s+miss\b";
    private const string CatchEvery = @"\bcatch(?:es|ing)?\s+(?:every|all|each)\b";

    private const string Number = @"(?<value>\d{1,3}(?:\.\d+)?\s*(?:%|percent\b|per\s+cent\b)|0?\.\d+)";
    private const string Metric = @"(?<metric>sensitivity|specificity|recall)";

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
            new(@"\b(?:show|tell)(?:s|ing)?\s+(?:me\s+|us\s+)?where\b", TaskKind.Detection),
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
            new(@"\bmeasur(?:e|es|ed|ing)\s+(?:the\s+|its\s+|their\s+)?(?:[a-z]+\s+){0,2}?(?:area|volume|extent)s?\b", TaskKind.Segmentation),
            new(@"\b(?:area|volume|extent)s?\s+of\b[^.;!?]{1,40}?\bmeasured\b", TaskKind.Segmentation),
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
            new(@"\b(?:high|higher|highest|maximum|maximal|max)\s+sensitivity\b", PreferenceEffect.Sensitivity),
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
            new(@"\b(?:high|higher|highest|maximum|maximal)\s+(?:precision|specificity|positive\s+predictive\s+value|ppv)\b", PreferenceEffect.Specificity),
            new(@"\bmaximi[sz]e\s+(?:the\s+)?specificity\b", PreferenceEffect.Specificity),
            // "A few false alarms are fine" is the opposite; the look-behind keeps it out.
            new(@"(?<!\ba\s)\b(?:few|fewer|minimal|avoid|minimi[sz]e|reduce)\s+(?:the\s+)?false\s+(?:alarms?|positives?)\b", PreferenceEffect.Specificity),
            new(@"\bfalse\s+(?:alarms?|positives?)\s+(?:are|is)\s+(?:worse|costly|expensive|harmful|unacceptable)\b", PreferenceEffect.Specificity),
            new(@"\b(?:avoid|prevent|reduce|minimi[sz]e)\s+over\s?(?:diagnos|treat)\w*", PreferenceEffect.Specificity),

            new(@"\bbalanced?\b", PreferenceEffect.Balanced),
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
            new(NounPhraseBefore + @"\s+(?:is|are)\s+(?:a\s+)?(?:confounders?|confounding|shortcuts?|spurious)\b", MentionSide.Before),
            // Things added because of the diagnosis give the answer away: "drains are placed after diagnosis".
            new(NounPhraseBefore + @"\s+(?:is|are|get|gets|was|were)\s+(?:usually\s+|often\s+|only\s+|typically\s+)?(?:placed|inserted|put\s+in|added|applied|drawn|made)\s+(?:only\s+)?(?:after|because\s+of|once)\s+(?:the\s+)?(?:diagnosis|it\s+is\s+diagnosed|treatment)\b", MentionSide.Before, negatable: false),
            new(@"\b(?:regardless\s+of|independent(?:ly)?\s+of|irrespective\s+of)\s+" + NounPhraseAfter, MentionSide.After),
        ],
        OneVsRest =
        [
            Compile(@"\b(?:vs|versus|from|against|or)\s+(?:everything|anything|all)\s+(?:else|other(?:\s+[a-z]+)?)\b"),
            Compile(@"\b(?:vs|versus|from|against)\s+(?:all\s+)?(?:the\s+)?(?:rest|others|other\s+(?:classes|lesions|diagnoses|findings|types|categories|conditions))\b"),
            Compile(@"\bone\s+(?:vs|versus|against)\s+(?:the\s+)?(?:rest|all|others)\b"),
        ],
        Supervision =
        [
            new(@"\b(?:only\s+)?(?:a\s+(?:handful|few|small\s+(?:number|fraction|subset))|some|few|\d{1,2}(?:\.\d+)?\s*(?:%|percent\b))\s+(?:of\s+(?:the\s+|them\s+|the\s+images\s+|images\s+)?)?(?:images?\s+|films?\s+|cases?\s+|scans?\s+)?(?:have|has|with|come\s+with|are\s+annotated\s+with)\s+(?:bounding\s+)?box(?:es)?\b", "boxes on a subset of the images"),
            new(@"\b(?:only\s+)?(?:a\s+(?:handful|few|small\s+(?:number|fraction|subset))|some|few|\d{1,2}(?:\.\d+)?\s*(?:%|percent\b))\s+(?:of\s+(?:the\s+|them\s+|the\s+images\s+|images\s+)?)?(?:images?\s+|films?\s+|cases?\s+|scans?\s+)?(?:have|has|with|come\s+with|are\s+annotated\s+with)\s+(?:masks?|outlines?|contours?|segmentations?)\b", "masks on a subset of the images"),
            new(@"\bbox(?:es)?\s+(?:on|for)\s+(?:only\s+)?(?:a\s+(?:subset|few|handful|fraction)|some|few|\d{1,2}(?:\.\d+)?\s*(?:%|percent\b))", "boxes on a subset of the images"),
            new(@"\b(?:no|without(?:\s+any)?)\s+(?:bounding\s+)?box(?:es)?\b|\b(?:only|just)\s+(?:image\s+level\s+)?labels\b", "image-level labels only"),
        ],
        Budget =
        [
            new(@"\b(?:quick(?:ly)?|in\s+(?:a\s+few|\d+)\s+minutes?|within\s+(?:the|an|one)\s+hour|in\s+an\s+hour|rough\s+(?:first\s+)?(?:try|model|version)|first\s+pass)\b", "quick"),
            new(@"\b(?:overnight|over\s+night|by\s+(?:tomorrow|the\s+morning|morning))\b", "overnight"),
            new(@"\b(?:over\s+the\s+weekend|take\s+(?:as\s+long\s+as\s+(?:needed|it\s+takes|you\s+need)|your\s+time)|no\s+(?:rush|hurry)|best\s+possible\s+model)\b", "thorough"),
        ],
        Threshold =
        [
            new(@"\bat\s+(?!least\b)(?:a\s+|an\s+)?" + Number + @"\s+" + Metric + @"\b", ThresholdForm.AtValue),
            new(@"\bat\s+(?:a\s+)?" + Metric + @"\s+(?:of\s+)?(?:at\s+least\s+)?" + Number, ThresholdForm.AtValue),
            new(@"\b" + Metric + @"\s+(?:of\s+)?(?:at\s+least|above|over|greater\s+than|no\s+less\s+than|not\s+below|>=|≥|>)\s*(?:of\s+)?" + Number, ThresholdForm.AtLeast),
            new(@"\b(?:at\s+least|minimum(?:\s+of)?|no\s+less\s+than)\s+" + Number + @"\s+" + Metric + @"\b", ThresholdForm.AtLeast),
            new(@"(?<![\w.])" + Number + @"\s+" + Metric + @"\b", ThresholdForm.Plain),
            new(@"\b" + Metric + @"\s+(?:of\s+|=\s*|:\s*)?" + Number, ThresholdForm.Plain),
        ],
        // A negator, then at most three words, then the cue. "yes/no" is not a negation.
        NegationBefore = Compile(@"(?:(?<!\byes\s(?:or\s)?)\bno\b|\b(?:not|never|without|nor|cannot|dont|doesnt|isnt|neither|hardly)\b|n't\b)(?:\s+[a-z']+){0,3}\s*$"),
        NegationAfter = Compile(@"^\s*(?:(?:is|are|was|were|will\s+be|would\s+be)\s+(?:not|never|no)\b|(?:isn't|aren't|wasn't|weren't|won't|isnt|arent)\b|(?:is|are)\s+(?:less\s+important|secondary|irrelevant|unnecessary)\b|(?:does|do)(?:n't|\s+not)\s+matter\b|(?:not\s+(?:needed|required|necessary|wanted)|unnecessary)\b)"),
        ExcludedBefore = Compile(@"(?:\b(?:not|no|without|except|excluding|nor|ignore|ignoring|besides)|\b(?:other|rather)\s+than|\binstead\s+of|\bapart\s+from)\s+(?:(?:a|an|the|any)\s+)?$"),
        ClauseBoundary = Compile(@"[;:!?,()\n]|\.(?=\s|$)|\b(?:but|however|although|though|whereas|while|yet)\b"),
        NounPhraseEnd = Compile(@"[:()""]|\s(?:when|because|since|as|while|if|but|so|that|which|who|whose|to|in|on|at|for|during|from|into|unless|than|instead|rather|though|although|yet|then)\b"),
        NounPhraseStart = Compile(@"\b(?:but|so|because|although|though|while|that|which|also|however|then|yet|please|remember)\b"),
        NounPhraseLead = Compile(@"^(?:(?:the|a|an|any|some|those|these|its|their|things|stuff|like|such|as|presence|of|whether|there|is|are|other)\s+)+"),
        ListJoiner = Compile(@"\s+(?:and|or|nor|and\s+or)\s+|\s*&\s*"),
    };
}
