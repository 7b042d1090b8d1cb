using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// Class and objective handling for segmentation requests: the clinician asks for a structure ("outline
/// the retinal vessels"), the masks name their labels only by value ("foreground", "label 1"). A binary
/// mask becomes one class named after the structure the request names; a label map keeps its label
/// names and asks the clinician to name them. The objective is an overlap score per image (mean Dice,
/// or mean pixel sensitivity when missing part of the structure costs more), never an image-level
/// sensitivity/specificity operating point.
/// </summary>
public static partial class SegmentationIntent
{
    /// <summary>Name used when the request names no structure.</summary>
    public const string DefaultStructure = "structure";

    /// <summary>
    /// Open questions of the classification parser that have no meaning for a mask: which class is
    /// positive (a binary mask has one structure), class grouping and priorities (the segmentation
    /// "classes" question replaces them), the operating point and metric phrased as a rate at a
    /// specificity (a mask is scored by per-pixel overlap, not by an image-level decision), and the
    /// confounder trade-off (debiasing is built for binary classification only).
    /// </summary>
    public static readonly IReadOnlyList<string> ClassificationOnlyQuestions = ["positive_class", "classes", "class_groups", "priority_classes", "operating_point", "primary_metric", "confounder_max_loss"];

    /// <summary>
    /// Parses a request against a segmentation dataset whose masks hold <paramref name="labelNames"/>
    /// (["foreground"] for a binary mask, ["label 1", "label 2", ...] for a label map), then maps the
    /// spec to segmentation with <see cref="Apply"/>.
    /// </summary>
    public static TaskSpec Parse(IIntentParser parser, string request, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(labelNames);
        // The parser sees "background" and the structure in the request's own words ("melanoma lesions"):
        // the masks' label names say nothing about what is outlined, so what the request names must not be
        // refused as a class the data lacks ("background" reads as the negative side, the structure as the positive).
        var structure = StructureName(request);
        var asked = structure.Name == DefaultStructure ? DefaultStructure : structure.Source;
        return Apply(parser.Parse(request, ["background", asked]), labelNames);
    }

    /// <summary>
    /// Adapts a parsed spec to a segmentation dataset: task Segmentation, classes named from the request
    /// (binary mask) or from the labels (label map), objective mean Dice per image (mean pixel
    /// sensitivity when missing part of the structure costs more), no operating point or rate floors,
    /// and only the questions that mean something for a mask.
    /// </summary>
    public static TaskSpec Apply(TaskSpec spec, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(labelNames);
        if (labelNames.Count == 0)
            throw new ClinforgeException("The masks hold no label, so there is nothing to outline. Check that the mask images mark the structure with a value other than 0.");

        var structure = StructureName(spec.Request);
        bool binary = labelNames.Count == 1;
        bool recallFirst = spec.ErrorPreference == ErrorPreference.Sensitivity;
        IReadOnlyList<string> classes = binary ? [structure.Name] : labelNames.ToList();
        var provenance = new Dictionary<string, string>(spec.Provenance)
        {
            ["task"] = spec.Task == TaskKind.Segmentation ? spec.Provenance.GetValueOrDefault("task", "request") : "the data has masks (segmentation labels)",
            ["localize"] = spec.Task == TaskKind.Segmentation ? spec.Provenance.GetValueOrDefault("localize", "request") : "the data has masks (segmentation labels)",
            ["classes"] = binary ? structure.Source : $"the masks' labels ({string.Join(", ", labelNames)})",
            ["positive_class"] = binary ? structure.Source : RuleBasedParser.DefaultProvenance,
            ["priority_classes"] = RuleBasedParser.DefaultProvenance,
            ["primary_metric"] = recallFirst ? spec.Provenance.GetValueOrDefault("error_preference", RuleBasedParser.DefaultProvenance) : RuleBasedParser.DefaultProvenance,
            ["operating_point"] = RuleBasedParser.DefaultProvenance,
        };
        // A stated rate floor ("at least 95% sensitivity") is an image-level decision rate; a mask has
        // no such decision, and no acceptance rule checks a pixel rate yet, so the floor is dropped and
        // the provenance says so rather than letting it vanish.
        if (spec.Requirements.Count > 0)
            provenance["requirements"] = "dropped for masks (image-level rates; a mask is scored by per-pixel overlap): "
                + string.Join(", ", spec.Requirements.Select(r => $"{r.Metric} at least {Restatement.Percent(r.Minimum)}"));

        var questions = spec.Questions.Where(q => !ClassificationOnlyQuestions.Contains(q.Field)).ToList();
        string what = binary ? structure.Name : "structure";
        for (int i = 0; i < questions.Count; i++)
        {
            if (questions[i].Field == "error_preference")
                questions[i] = questions[i] with
                {
                    Question = $"Which error costs more: missing part of the {what}, or outlining too much? Until you say, both count the same (validation objective mean Dice per image); answer 'sensitivity' to favour covering all of the {what} (mean pixel sensitivity per image).",
                };
        }
        if (!binary)
        {
            var names = string.Join(", ", labelNames);
            var asked = structure.Name == DefaultStructure ? "" : $"; you asked for the {structure.Name}, which cannot name {labelNames.Count} labels";
            questions.Add(new OpenQuestion("classes",
                $"The masks hold {labelNames.Count} labels{asked}, so the classes are called {Restatement.List(labelNames, "and")}. Name them, in label order separated by commas (e.g. '{string.Join(", ", labelNames.Select((_, k) => $"name {k + 1}"))}'), to see them named in the results.",
                names));
        }
        else if (structure.Name == DefaultStructure)
        {
            questions.Add(new OpenQuestion("classes",
                $"The request names no structure, so the masks' foreground is called '{DefaultStructure}'. What do the masks outline (e.g. 'vessel', 'lesion')?",
                DefaultStructure));
        }

        var adapted = spec with
        {
            Task = TaskKind.Segmentation,
            Localize = true,
            Classes = classes,
            ClassGroups = new Dictionary<string, IReadOnlyList<string>>(),
            PositiveClass = binary ? structure.Name : null,
            PriorityClasses = [],
            PrimaryMetric = recallFirst ? SegmentationMetricNames.Sensitivity : SegmentationMetricNames.Dice,
            OperatingPoint = null,
            Requirements = [],
            Provenance = provenance,
            Questions = questions,
        };
        return adapted with { Restatement = Restatement.For(adapted) };
    }

    /// <summary>
    /// The structure the request names (vessel, lesion, tumour, effusion, optic disc, ...), singular
    /// lower case, with the words it came from (a qualifier included: "retinal vessels"); the first one
    /// after the verb that asks for the outline ("outline", "segment", "measure how big"), else the first
    /// anywhere, else the first condition of the clinical lexicon it names ("BCC"); (<see cref="DefaultStructure"/>,
    /// "default: ...") when none.
    /// </summary>
    public static (string Name, string Source) StructureName(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var verb = OutlineVerbPattern().Match(request);
        var m = verb.Success ? StructurePattern().Match(request, verb.Index + verb.Length) : Match.Empty;
        if (!m.Success) m = StructurePattern().Match(request);
        var conditions = LexiconConditions(request);
        if (!m.Success)
        {
            return conditions.Count > 0
                ? (conditions[0].Words.ToLowerInvariant(), conditions[0].Words)
                : (DefaultStructure, RuleBasedParser.DefaultProvenance + ": the request names no structure");
        }
        // In a compound ("basal cell carcinoma", "cell nuclei") the last noun is the head: the thing outlined.
        var start = m.Index;
        for (var next = m.NextMatch(); next.Success && string.IsNullOrWhiteSpace(request[(m.Index + m.Length)..next.Index]); next = next.NextMatch()) m = next;
        // A condition just before the structure qualifies it ("diabetic retinopathy lesions"): it belongs to
        // the words the structure came from, so the parser reads it as part of the structure, not as another class.
        if (conditions.LastOrDefault(c => c.End <= start && string.IsNullOrWhiteSpace(request[c.End..start])) is { Words: not null } before) start = before.Start;
        var name = Regex.Replace(m.Groups["name"].Value.ToLowerInvariant(), @"\s+", " ");
        name = name switch
        {
            "nuclei" => "nucleus",
            "metastases" => "metastasis",
            "opacities" => "opacity",
            _ => name,
        };
        return (name, request[start..(m.Index + m.Length)]);
    }

    // The conditions of the clinical lexicon the request names ("BCC", "diabetic retinopathy"), in order, as
    // written: the rule parser refuses one that is not a class, so the structure handed to it must hold them.
    private static List<(int Start, int End, string Words)> LexiconConditions(string request)
    {
        var text = new RequestText(request, ClinicalLexicon.Default, IntentRules.Default.ClauseBoundary);
        return new DatasetClasses(["background"], ClinicalLexicon.Default).FindMentions(text, [])
            .Where(x => x.Concept is { IsConditionWord: true })
            .Select(x => (x.Start, x.End, text.Words(x.Start, x.End)))
            .ToList();
    }

    /// <summary>
    /// Whether a spec is a segmentation spec as <see cref="Apply"/> makes it (task Segmentation scored by
    /// a mask metric), as opposed to the parser's reading of a segmentation request against a folder of
    /// classes, which a classifier may still develop on its classification objective.
    /// </summary>
    internal static bool IsMaskSpec(TaskSpec spec) =>
        spec.Task == TaskKind.Segmentation && SegmentationMetricNames.All.Contains(spec.PrimaryMetric, StringComparer.Ordinal);

    /// <summary>
    /// The restatement of a mask spec, from its fields: what is outlined and the objective, e.g. "Outline
    /// the retinal vessels on each image, pixel by pixel; validation objective mean Dice per image."
    /// </summary>
    internal static string Restate(TaskSpec spec)
    {
        bool binary = spec.Classes.Count == 1;
        var shown = binary ? Shown(spec) : Restatement.List(spec.Classes, "and");
        var what = binary ? $"the {shown}" : shown;
        var part = binary ? $"the {spec.Classes[0]}" : "a structure";
        var labels = binary ? "" : " (each pixel gets one label, or background)";
        var overLabels = binary ? "" : ", averaged over the labels";
        var objective = spec.PrimaryMetric switch
        {
            SegmentationMetricNames.Sensitivity => $"missing part of {part} costs more than outlining too much, so the validation objective is mean pixel sensitivity per image{overLabels} (the share of {part} the outline covers)",
            SegmentationMetricNames.Iou => $"validation objective mean IoU per image{overLabels}",
            SegmentationMetricNames.Hd95 => $"validation objective mean 95th-percentile boundary distance (HD95) per image{overLabels}, lower is better",
            _ => $"validation objective mean Dice per image{overLabels}",
        };
        return $"Outline {what} on each image, pixel by pixel{labels}; {objective}.";
    }

    // The request's own words for the structure ("retinal vessels") when the class name came from them;
    // the class name otherwise (answered, defaulted, or renamed).
    private static string Shown(TaskSpec spec)
    {
        var name = spec.Classes[0];
        return spec.Provenance.TryGetValue("classes", out var words)
               && !words.StartsWith(RuleBasedParser.DefaultProvenance, StringComparison.Ordinal)
               && !words.StartsWith(SpecAnswers.AnswerProvenance, StringComparison.Ordinal)
               && words.Contains(name, StringComparison.OrdinalIgnoreCase)
               && spec.Request.Contains(words, StringComparison.Ordinal)
            ? words
            : name;
    }

    // Verbs that ask for the extent of a structure; the structure named after one is the one outlined.
    [GeneratedRegex(@"\b(?:outlin|delineat|segment|contour|draw|mask|measur|umrand)\w*|\b(?:trac|shad)(?:e|es|ed|ing)\b|\bhow\s+(?:big|large|extensive)\b", RegexOptions.IgnoreCase)]
    private static partial Regex OutlineVerbPattern();

    // Structures commonly outlined in 2-D medical images (anatomy, lesions, findings of the lexicon); a
    // qualifier before the name ("retinal", "lung") is kept in the source words, not in the name.
    [GeneratedRegex(
        @"\b(?:(?:retinal|pleural|pericardial|pulmonary|hepatic|renal|cerebral|intracranial|coronary|colonic|colorectal|cutaneous|choroidal|blood|brain|breast|liver|lung|kidney|thyroid|prostate|bladder|pancreatic|colon)\s+)?"
        + @"(?<name>optic\s+(?:disc|disk|cup)|skin\s+lesion|vessel|lesion|tumou?r|effusion|polyp|nodule|liver|lung|kidney|spleen|pancreas|prostate|heart|brain|bladder|gland|cyst|mass|nucle(?:us|i)|cell|melanoma|pneumothorax|ha?emorrhage|bleed|o?edema|infarct|ulcer|wound|plaque|calcification|exudate|microaneurysm|drusen|consolidation|opacit(?:y|ies)|atelectasis|fracture|cancer|carcinoma|metastas(?:is|es))"
        + @"(?:e?s)?\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex StructurePattern();
}
