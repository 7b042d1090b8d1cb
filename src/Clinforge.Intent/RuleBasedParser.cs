using System.Globalization;
using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// The offline semantic parser (v0, classification first): matches the request against a clinical
/// lexicon (<see cref="ClinicalLexicon"/>) and phrase rules (<see cref="IntentRules"/>), both data,
/// and records for every field the words it came from. It never needs a network or an LLM.
/// </summary>
public sealed class RuleBasedParser : IIntentParser
{
    /// <summary>Provenance of a field that no words of the request set.</summary>
    public const string DefaultProvenance = "default";

    /// <summary>Joins several excerpts of the request in one provenance entry.</summary>
    public const string ExcerptSeparator = " … ";

    // Text between two class mentions that continues a list ("melanoma, BCC and SCC").
    private static readonly Regex _listGap = IntentRules.Compile(@"^\s*(?:,|,?\s*(?:and|or|&))\s*$");

    private static readonly Regex _lastDeterminer = IntentRules.Compile(@"\b(?:the|a|an|any|those|these|die|der|das|den)\b(?!.*\b(?:the|a|an|any|those|these|die|der|das|den)\b)");

    // Text between two condition words that sets them side by side ("A and B", "A from B", "A vs B").
    private static readonly Regex _contrastGap = IntentRules.Compile(@"^\s*(?:,|,?\s*(?:and|or|&|from|vs|versus|against|und|oder|von|gegen)(?:\s+(?:the|a|an))?)\s*$");

    private readonly ClinicalLexicon _lexicon;
    private readonly IntentRules _rules;

    /// <summary>Creates a parser with the built-in lexicon and rules.</summary>
    public RuleBasedParser()
        : this(ClinicalLexicon.Default, IntentRules.Default)
    {
    }

    /// <summary>Creates a parser with a custom lexicon and rules (e.g. extended for another specialty).</summary>
    public RuleBasedParser(ClinicalLexicon lexicon, IntentRules rules)
    {
        ArgumentNullException.ThrowIfNull(lexicon);
        ArgumentNullException.ThrowIfNull(rules);
        _lexicon = lexicon;
        _rules = rules;
    }

    /// <inheritdoc/>
    public TaskSpec Parse(string request, IReadOnlyList<string> datasetClasses)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(datasetClasses);
        if (string.IsNullOrWhiteSpace(request))
        {
            throw new ClinforgeException(
                "The request is empty. Describe in a sentence or two what the model should do, e.g. \"Tell melanoma from nevus; don't miss melanoma.\"");
        }
        if (datasetClasses.Count == 0)
        {
            throw new ClinforgeException(
                "The dataset has no classes, so there is nothing to predict. Point Clinforge at a folder with one sub-folder per class (e.g. normal/ and pneumonia/).");
        }

        var text = new RequestText(request, _lexicon, _rules.ClauseBoundary);
        ThrowOnUnsupportedTask(text);
        var classes = new DatasetClasses(datasetClasses, _lexicon);
        // A confounder never swallows a target class ("just tell me mel or not mel"): names that hold a
        // class of the data are dropped before the class mentions are read.
        var confounders = FindConfounders(text, classes.FindMentions(text, []).Where(m => m.Classes.Count > 0).ToList());
        // Words inside a confounder ("don't be fooled by old fractures") are not targets.
        var mentions = classes.FindMentions(text, confounders.Spans);
        ThrowOnUnknownConditions(text, mentions, classes, datasetClasses);

        if (FindGrouping(mentions, classes, datasetClasses) is { } grouping) return Grouped(request, datasetClasses, grouping, text);

        var task = FindTask(text);
        var oneClassQuestion = (OpenQuestion?)null;
        if (datasetClasses.Count < 2 && task.Value == TaskKind.Classification)
        {
            if (_rules.ExplicitClassification is { } explicitly && explicitly.IsMatch(text.Normalized))
            {
                throw new ClinforgeException(
                    $"The dataset has one class ('{datasetClasses[0]}'), and a classifier needs at least two (e.g. normal and {datasetClasses[0]}). Add images of the other class, or ask for detection or segmentation.");
            }
            // One class can only be found on the image, not told apart from another: read the request
            // as localisation and ask, rather than refuse a request that used an unlisted verb.
            task = new Found<TaskKind>(TaskKind.Detection, $"the data has one class ('{datasetClasses[0]}'), so it can only be located");
            oneClassQuestion = new OpenQuestion("task",
                $"The data has one class ('{datasetClasses[0]}'), so I read this as marking each {datasetClasses[0]} with a box (detection). Answer 'segmentation' to outline them instead.",
                "detection");
        }

        // "Melanoma vs everything else" turns a multi-class dataset into a one-vs-rest task: one
        // positive class and a binary objective measured for it against the rest.
        var oneVsRest = datasetClasses.Count > 2 ? FindOneVsRest(text, mentions, classes) : null;
        var binary = datasetClasses.Count <= 2 || oneVsRest is not null;
        var threshold = binary ? FindThreshold(text) : null;
        var preference = FindPreference(text, threshold);
        var priority = FindPriorities(text, mentions, classes, preference.SensitivityCues);
        var positive = oneVsRest ?? (binary ? ChoosePositive(text, classes, mentions, priority) : null);
        var objective = ChooseObjective(binary, preference, threshold);

        var requirements = binary ? FindRequirements(text) : [];
        var questions = Questions(datasetClasses, positive, preference, objective, binary ? null : FindThreshold(text));
        if (oneClassQuestion is not null) questions.Insert(0, oneClassQuestion);
        // A multi-class request that says some errors or classes matter more, but not which: ask,
        // rather than silently weigh every class the same.
        if (!binary && priority.Classes.Count == 0 && (preference.Value != ErrorPreference.Balanced || priority.Unattached))
        {
            questions.Add(new OpenQuestion("priority_classes",
                $"You said some cases matter more (\"{(priority.Unattached ? priority.UnattachedWords : preference.Words)}\"), but not which class. Which of {Restatement.List(datasetClasses, "or")} should the model favour? Until you say, every class counts the same.",
                "none"));
        }
        if (confounders.Items.Count > 0) questions.Add(ConfounderQuestion(confounders.Items, objective.Metric));
        var supervision = FindHint(text, _rules.Supervision);
        var budget = FindHint(text, _rules.Budget, _rules.BudgetOutOfContext);
        var classWords = Join(text, mentions.Where(m => m.Classes.Count > 0).Select(m => (m.Start, m.End)));

        var spec = new TaskSpec
        {
            Request = request,
            Task = task.Value,
            Classes = datasetClasses.ToList(),
            PositiveClass = positive?.Name,
            PriorityClasses = priority.Classes,
            ErrorPreference = preference.Value,
            PrimaryMetric = objective.Metric,
            OperatingPoint = objective.Point,
            Requirements = requirements.Select(r => new Requirement(r.Metric, r.Value)).ToList(),
            Localize = task.Value != TaskKind.Classification,
            Confounders = confounders.Items.Select(c => new Confounder(c, "unknown")).ToList(),
            Supervision = supervision?.Value,
            Budget = budget?.Value,
            Provenance = new Dictionary<string, string>
            {
                ["task"] = task.Words,
                ["localize"] = task.Words,
                ["classes"] = classWords,
                ["positive_class"] = positive?.Words ?? DefaultProvenance,
                ["priority_classes"] = priority.Words,
                ["error_preference"] = preference.Words,
                ["primary_metric"] = objective.MetricWords,
                ["operating_point"] = objective.PointWords,
                ["requirements"] = requirements.Count > 0 ? string.Join(ExcerptSeparator, requirements.Select(r => r.Words)) : DefaultProvenance,
                ["confounders"] = confounders.Words,
                ["supervision"] = supervision?.Words ?? DefaultProvenance,
                ["budget"] = budget?.Words ?? DefaultProvenance,
                ["class_groups"] = DefaultProvenance,
            },
            Questions = questions,
        };
        return spec with { Restatement = Restatement.For(spec) };
    }

    /// <summary>
    /// A class word in the request that names several of the data's classes directly ("nevus" when
    /// the data has common_nevus and atypical_nevus) asks for those classes as one: groups keyed by
    /// the word's concept, each data class in at most one group, the others kept as they are. Only
    /// when the request never names a member on its own (then the distinction matters) and at least
    /// two target classes remain. Null when there is nothing to group.
    /// </summary>
    private static ClassGrouping? FindGrouping(List<Mention> mentions, DatasetClasses classes, IReadOnlyList<string> datasetClasses)
    {
        if (datasetClasses.Count <= 2) return null;
        var groups = new List<(string Name, List<int> Members, Mention Mention)>();
        foreach (var m in mentions)
        {
            if (m.Concept is not { } concept || m.Classes.Count < 2) continue;
            if (!m.Classes.All(c => classes.Entries[c].Concepts.Contains(concept.Id))) continue; // direct only: "cancer" does not merge MEL and BCC
            if (groups.Any(g => g.Name == concept.Id)) continue;
            if (groups.Any(g => g.Members.Intersect(m.Classes).Any())) return null;
            groups.Add((concept.Id, m.Classes.ToList(), m));
        }
        if (groups.Count == 0) return null;
        var members = groups.SelectMany(g => g.Members).ToHashSet();
        if (mentions.Any(m => m.Classes.Count == 1 && members.Contains(m.Classes[0]))) return null;
        if (datasetClasses.Any(c => groups.Any(g => g.Name.Equals(c, StringComparison.OrdinalIgnoreCase)))) return null;
        // Target classes in the data's order of first appearance.
        var names = new List<string>();
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int i = 0; i < datasetClasses.Count; i++)
        {
            var group = groups.FirstOrDefault(g => g.Members.Contains(i));
            var name = group.Members is null ? datasetClasses[i] : group.Name;
            if (map.ContainsKey(name)) continue;
            names.Add(name);
            map[name] = group.Members is null ? [datasetClasses[i]] : group.Members.Order().Select(k => datasetClasses[k]).ToList();
        }
        if (names.Count < 2) return null;
        return new ClassGrouping(names, map, groups.Select(g => (g.Mention.Start, g.Mention.End)).ToList());
    }

    /// <summary>The request parsed against the grouped classes, with the grouping recorded and put to the clinician as a question.</summary>
    private TaskSpec Grouped(string request, IReadOnlyList<string> datasetClasses, ClassGrouping grouping, RequestText text)
    {
        var inner = Parse(request, grouping.Names);
        var merged = grouping.Map.Where(g => g.Value.Count > 1).ToList();
        var described = string.Join("; ", merged.Select(g => $"{g.Key} = {string.Join(" + ", g.Value)}"));
        var question = new OpenQuestion("class_groups",
            $"You wrote {string.Join(" and ", merged.Select(g => $"'{g.Key}'"))}; the data has {string.Join(", ", merged.SelectMany(g => g.Value))}. I will treat {(merged.Count == 1 ? "them as one class" : "each group as one class")} ({described}). Answer 'none' to keep the data's {datasetClasses.Count} classes apart.",
            "grouped: " + described);
        var spec = inner with
        {
            ClassGroups = grouping.Map.ToDictionary(g => g.Key, g => g.Value),
            Provenance = new Dictionary<string, string>(inner.Provenance) { ["class_groups"] = Join(text, grouping.Spans) },
            Questions = [.. inner.Questions, question],
        };
        return spec with { Restatement = Restatement.For(spec) };
    }

    private sealed record ClassGrouping(IReadOnlyList<string> Names, IReadOnlyDictionary<string, IReadOnlyList<string>> Map, List<(int Start, int End)> Spans);

    private Found<TaskKind> FindTask(RequestText text)
    {
        var hits = new List<(TaskKind Kind, int Start, int End)>();
        foreach (var rule in _rules.Task)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                if (rule.Negatable && IsNegated(text, m.Index, m.Index + m.Length)) continue;
                hits.Add((rule.Effect, m.Index, m.Index + m.Length));
            }
        }
        // Outlining implies locating, so segmentation wins over detection; classification is the default.
        var kind = hits.Any(h => h.Kind == TaskKind.Segmentation) ? TaskKind.Segmentation
            : hits.Any(h => h.Kind == TaskKind.Detection) ? TaskKind.Detection
            : TaskKind.Classification;
        return new Found<TaskKind>(kind, Join(text, hits.Where(h => h.Kind == kind).Select(h => (h.Start, h.End))));
    }

    private PositiveFinding? FindOneVsRest(RequestText text, List<Mention> mentions, DatasetClasses classes)
    {
        foreach (var cue in _rules.OneVsRest)
        {
            foreach (Match m in cue.Matches(text.Normalized))
            {
                var sentenceStart = text.SentenceStart(m.Index);
                var cueEnd = m.Index + m.Length;
                var before = mentions.LastOrDefault(x => x.End <= m.Index && x.Start >= sentenceStart && x.Classes.Count == 1);
                if (before is not null)
                    return new PositiveFinding(classes.Entries[before.Classes[0]].Name, text.Words(before.Start, cueEnd), Guessed: false);
                // "One vs rest for CNV": the class follows the cue.
                var after = mentions.FirstOrDefault(x => x.Start >= cueEnd && x.End <= text.SentenceEnd(cueEnd) && x.Classes.Count == 1
                                                         && text.TokensBetween(cueEnd, x.Start) <= _rules.PriorityWindow);
                if (after is not null)
                    return new PositiveFinding(classes.Entries[after.Classes[0]].Name, text.Words(m.Index, after.End), Guessed: false);
            }
        }
        return null;
    }

    // The first hint the request gives, in order of appearance; a negated one ("not quick") says nothing.
    // A hint whose clause is about the clinic ("we see most cases overnight", "quick question") says
    // nothing about the compute budget.
    private Found<string>? FindHint(RequestText text, IReadOnlyList<PhraseRule<string>> rules, Regex? outOfContext = null)
    {
        var hits = new List<(string Effect, int Start, int End)>();
        foreach (var rule in rules)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                if (rule.Negatable && IsNegated(text, m.Index, m.Index + m.Length)) continue;
                if (outOfContext is not null && outOfContext.IsMatch(text.Normalized[text.ClauseStart(m.Index)..text.ClauseEnd(m.Index + m.Length)])) continue;
                hits.Add((rule.Effect, m.Index, m.Index + m.Length));
            }
        }
        if (hits.Count == 0) return null;
        var first = hits.MinBy(h => h.Start);
        return new Found<string>(first.Effect, text.Words(first.Start, first.End));
    }

    private PreferenceFinding FindPreference(RequestText text, Threshold? threshold)
    {
        var hits = new Dictionary<PreferenceEffect, List<(int Start, int End)>>();
        foreach (var rule in _rules.ErrorPreference)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                if (rule.Negatable && IsNegated(text, m.Index, m.Index + m.Length)) continue;
                if (!hits.TryGetValue(rule.Effect, out var list)) hits[rule.Effect] = list = [];
                list.Add((m.Index, m.Index + m.Length));
            }
        }
        void Hit(PreferenceEffect effect, int start, int end)
        {
            if (!hits.TryGetValue(effect, out var list)) hits[effect] = list = [];
            list.Add((start, end));
        }
        // "Rather A than B", "A is worse than B": the side that names false alarms or misses decides.
        foreach (var rule in _rules.Comparison)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                var a = m.Groups["a"].Value;
                var b = m.Groups["b"].Value;
                var vote = (NamesFalseAlarm(a) || NamesMiss(b) ? 1 : 0) - (NamesMiss(a) || NamesFalseAlarm(b) ? 1 : 0);
                if (vote != 0) Hit(vote > 0 ? rule.Effect : Flip(rule.Effect), m.Index, m.Index + m.Length);
            }
        }
        // A clause that gives one error a grave consequence ("a missed pneumothorax kills", "false
        // alarms are the bigger problem") says that error costs more.
        if (_rules.SeverityWords is { } severity)
        {
            foreach (var (start, end) in text.Clauses())
            {
                var clause = text.Normalized[start..end];
                var grave = severity.Match(clause);
                if (!grave.Success || IsNegated(text, start + grave.Index, start + grave.Index + grave.Length)) continue;
                if (_rules.MildWords?.IsMatch(clause) == true) continue;
                bool miss = NamesMiss(clause), alarm = NamesFalseAlarm(clause);
                if (miss != alarm) Hit(miss ? PreferenceEffect.Sensitivity : PreferenceEffect.Specificity, start, end);
            }
        }

        var sensitivity = Merge(hits.GetValueOrDefault(PreferenceEffect.Sensitivity) ?? []);
        var specificity = Merge(hits.GetValueOrDefault(PreferenceEffect.Specificity) ?? []);
        var balanced = Merge(hits.GetValueOrDefault(PreferenceEffect.Balanced) ?? []);
        var tolerates = Merge(hits.GetValueOrDefault(PreferenceEffect.ToleratesMisses) ?? []);

        // "I don't care about missing a few" outweighs any wish to catch everything in the same request.
        if (tolerates.Count > 0) sensitivity = [];

        if (sensitivity.Count > specificity.Count)
            return new(ErrorPreference.Sensitivity, Join(text, sensitivity), PreferenceBasis.Stated) { SensitivityCues = sensitivity };
        if (specificity.Count > sensitivity.Count)
            return new(ErrorPreference.Specificity, Join(text, specificity), PreferenceBasis.Stated);
        if (sensitivity.Count > 0)
            return new(ErrorPreference.Balanced, Join(text, sensitivity.Concat(specificity)), PreferenceBasis.Conflict) { SensitivityCues = sensitivity };
        if (balanced.Count > 0)
            return new(ErrorPreference.Balanced, Join(text, balanced), PreferenceBasis.Stated);
        if (tolerates.Count > 0)
            return new(ErrorPreference.Balanced, Join(text, tolerates), PreferenceBasis.ToleratesMisses);
        if (threshold is not null)
        {
            // A floor names the error the clinician fears ("sensitivity of at least 95%"); "at 90%
            // specificity" instead fixes the constraint under which the other metric is the goal.
            var feared = threshold.Form == ThresholdForm.AtValue ? Other(threshold.Metric) : threshold.Metric;
            var value = feared == "sensitivity" ? ErrorPreference.Sensitivity : ErrorPreference.Specificity;
            return new(value, threshold.Words, PreferenceBasis.Threshold);
        }
        return new(ErrorPreference.Balanced, DefaultProvenance, PreferenceBasis.Default);
    }

    // The earliest-ranked threshold (by form, then position) fixes the operating point.
    private Threshold? FindThreshold(RequestText text) => FindRequirements(text).FirstOrDefault();

    /// <summary>
    /// Every rate the request puts a number on, first mention per metric ("sensitivity of at least 95%
    /// and specificity of at least 90%" → two floors). "At 90% specificity" is a floor too: the
    /// operating point holds that rate at or above the value.
    /// </summary>
    private List<Threshold> FindRequirements(RequestText text)
    {
        var found = new List<(Threshold Threshold, int Start)>();
        foreach (var rule in _rules.Threshold)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                if (ParseFraction(m.Groups["value"].Value) is not { } value) continue;
                var metric = m.Groups["metric"].Value switch
                {
                    "recall" or "sensitivitat" => "sensitivity",
                    "spezifitat" => "specificity",
                    var other => other,
                };
                found.Add((new Threshold(metric, value, rule.Effect, text.Words(m.Index, m.Index + m.Length)), m.Index));
            }
        }
        // The primary threshold's metric first, so Requirements[0] matches the operating point.
        return found.OrderBy(f => f.Threshold.Form).ThenBy(f => f.Start)
            .GroupBy(f => f.Threshold.Metric).Select(g => g.First().Threshold).ToList();
    }

    private static double? ParseFraction(string raw)
    {
        var digits = Regex.Match(raw, @"\d*\.?\d+", RegexOptions.None, TimeSpan.FromSeconds(1));
        if (!digits.Success || !double.TryParse(digits.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
        var percent = raw.Contains('%') || raw.Contains("cent", StringComparison.Ordinal);
        if (percent || value > 1) value /= 100;
        return value is > 0 and < 1 ? Math.Round(value, 4) : null;
    }

    /// <summary>
    /// The classes the request singles out. A cue (a priority phrase, a wish not to miss, a word of
    /// importance) takes the class mentions it points to: close after or before it, else every class
    /// named in its clause, with lists continued ("melanoma, BCC and SCC matter most"). A class named in
    /// a clause that makes it matter less ("I don't care about atelectasis") is never a priority.
    /// </summary>
    private PriorityFinding FindPriorities(RequestText text, List<Mention> mentions, DatasetClasses classes, IReadOnlyList<(int Start, int End)> sensitivityCues)
    {
        var picked = new List<(int At, int Class)>();
        var spans = new List<(int Start, int End)>();
        var unattached = new List<(int Start, int End)>();
        bool Diminished(int start, int end) =>
            _rules.Diminish is { } diminish && diminish.IsMatch(text.Normalized[text.ClauseStart(start)..text.ClauseEnd(end)]);
        void Take(List<Mention> chosen, (int Start, int End) cue, MentionSide? side)
        {
            chosen = chosen.Where(m => !Diminished(m.Start, m.End)).ToList();
            if (chosen.Count == 0)
            {
                unattached.Add(cue);
                return;
            }
            foreach (var mention in chosen) picked.AddRange(mention.Classes.Select(c => (mention.Start, c)));
            spans.Add(side == MentionSide.After ? (cue.Start, Math.Max(cue.End, chosen[^1].End))
                : side == MentionSide.Before ? (Math.Min(chosen[0].Start, cue.Start), cue.End)
                : (Math.Min(cue.Start, chosen[0].Start), Math.Max(cue.End, chosen[^1].End)));
        }

        foreach (var rule in _rules.Priority)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                var cueStart = m.Index;
                var cueEnd = m.Index + m.Length;
                if (rule.Negatable && IsNegated(text, cueStart, cueEnd)) continue;
                var chosen = rule.Effect == MentionSide.After
                    ? MentionsAfter(text, mentions, cueEnd)
                    : MentionBefore(text, mentions, cueStart);
                if (chosen.Count > 0) Take(chosen, (cueStart, cueEnd), rule.Effect);
                else Take(MentionsInClause(text, mentions, cueStart, cueEnd), (cueStart, cueEnd), null);
            }
        }
        // A wish not to miss points at findings, not at the normal or benign side ("as sensitive as
        // possible for naevi vs melanoma" singles out melanoma).
        List<Mention> Findings(List<Mention> chosen) => chosen.Where(m => m.Classes.Any(c => !classes.Entries[c].IsNegativeLike)).ToList();
        foreach (var (cueStart, cueEnd) in sensitivityCues)
        {
            var after = Findings(MentionsAfter(text, mentions, cueEnd));
            if (after.Count > 0) Take(after, (cueStart, cueEnd), MentionSide.After);
            // Only a cue about missing points at its whole clause ("melanomas must never be missed");
            // "screening" or "high sensitivity" say how to weigh errors, not which class.
            else if (NamesMiss(text.Normalized[cueStart..cueEnd]) || _rules.CatchWords?.IsMatch(text.Normalized[cueStart..cueEnd]) == true) Take(Findings(MentionsInClause(text, mentions, cueStart, cueEnd)), (cueStart, cueEnd), null);
        }
        if (_rules.Importance is { } importance)
        {
            foreach (Match m in importance.Matches(text.Normalized))
            {
                var cueEnd = m.Index + m.Length;
                if (Diminished(m.Index, cueEnd) || IsNegated(text, m.Index, cueEnd)) continue;
                if (_rules.EqualWeight?.IsMatch(text.Normalized[text.ClauseStart(m.Index)..text.ClauseEnd(cueEnd)]) == true) continue;
                Take(MentionsInClause(text, mentions, m.Index, cueEnd), (m.Index, cueEnd), null);
            }
        }
        // A broad word narrowed by a specific one ("cancer ... in particular melanoma") keeps the specific class.
        picked = picked.Distinct().ToList();
        var single = picked.GroupBy(p => p.At).Where(g => g.Count() == 1).Select(g => g.First().Class).ToHashSet();
        picked = picked.GroupBy(p => p.At)
            .SelectMany(g => g.Count() > 1 && g.Any(p => single.Contains(p.Class)) ? g.Where(p => single.Contains(p.Class)) : g)
            .ToList();
        var names = picked.OrderBy(p => p.At).Select(p => classes.Entries[p.Class].Name).Distinct().ToList();
        if (names.Count > 0) return new PriorityFinding(names, Join(text, spans));
        return new PriorityFinding([], DefaultProvenance, unattached.Count > 0) { UnattachedWords = Join(text, unattached) };
    }

    // Every class named in the clause around a cue, with lists that run across commas ("melanoma, BCC and SCC").
    private static List<Mention> MentionsInClause(RequestText text, List<Mention> mentions, int cueStart, int cueEnd)
    {
        var start = text.ClauseStart(cueStart);
        var end = text.ClauseEnd(cueEnd);
        var inside = mentions.Where(m => m.Classes.Count > 0 && m.Start >= start && m.End <= end).ToList();
        if (inside.Count == 0) return inside;
        var all = mentions.Where(m => m.Classes.Count > 0).OrderBy(m => m.Start).ToList();
        var first = all.IndexOf(inside[0]);
        var last = all.IndexOf(inside[^1]);
        while (first > 0 && _listGap.IsMatch(text.Normalized[all[first - 1].End..all[first].Start])) first--;
        while (last < all.Count - 1 && _listGap.IsMatch(text.Normalized[all[last].End..all[last + 1].Start])) last++;
        return all.GetRange(first, last - first + 1);
    }

    // The class mentions a cue points forward to: the first one close behind it in the same
    // sentence, plus any that continue it as a list.
    private List<Mention> MentionsAfter(RequestText text, List<Mention> mentions, int cueEnd)
    {
        var sentenceEnd = text.SentenceEnd(cueEnd);
        var first = mentions.FindIndex(x => x.Start >= cueEnd && x.End <= sentenceEnd && x.Classes.Count > 0
                                            && text.TokensBetween(cueEnd, x.Start) <= _rules.PriorityWindow);
        if (first < 0) return [];
        var chosen = new List<Mention> { mentions[first] };
        for (var i = first + 1; i < mentions.Count; i++)
        {
            var next = mentions[i];
            if (next.End > sentenceEnd || next.Classes.Count == 0
                || !_listGap.IsMatch(text.Normalized[chosen[^1].End..next.Start])) break;
            chosen.Add(next);
        }
        return chosen;
    }

    private static List<Mention> MentionBefore(RequestText text, List<Mention> mentions, int cueStart)
    {
        var sentenceStart = text.SentenceStart(cueStart);
        var last = mentions.LastOrDefault(x => x.End <= cueStart && x.Start >= sentenceStart && x.Classes.Count > 0
                                               && text.TokensBetween(x.End, cueStart) <= 1);
        return last is null ? [] : [last];
    }

    private ConfounderFinding FindConfounders(RequestText text, IReadOnlyList<Mention> classMentions)
    {
        var names = new List<string>();
        var nameSpans = new List<(int Start, int End)>();
        var cueSpans = new List<(int Start, int End)>();
        foreach (var rule in _rules.Confounder)
        {
            foreach (Match m in rule.Regex.Matches(text.Normalized))
            {
                if (rule.Negatable && IsNegated(text, m.Index, m.Index + m.Length)) continue;
                var np = m.Groups["np"];
                if (!np.Success) continue;
                var found = new List<(int Start, int End)>();
                var searchFrom = np.Index;
                foreach (var name in rule.Effect == MentionSide.After ? SplitAfter(np.Value) : SplitBefore(np.Value))
                {
                    var at = text.Normalized.IndexOf(name, searchFrom, np.Index + np.Length - searchFrom, StringComparison.Ordinal);
                    if (at < 0) continue;
                    searchFrom = at + name.Length;
                    var end = at + name.Length;
                    if (classMentions.Any(c => c.Start < end && c.End > at)) continue;
                    found.Add((at, at + name.Length));
                    if (!names.Contains(name, StringComparer.Ordinal)) names.Add(name);
                }
                if (found.Count == 0) continue;
                nameSpans.AddRange(found);
                cueSpans.Add(rule.Effect == MentionSide.After
                    ? (m.Index, found[^1].End)
                    : (found[0].Start, m.Index + m.Length));
            }
        }
        // "chest drains ... because drains are placed after diagnosis" names one thing twice: keep the fuller name.
        names.RemoveAll(n => names.Any(other => other.EndsWith(" " + n, StringComparison.Ordinal)));
        return new ConfounderFinding(names, nameSpans, names.Count > 0 ? Join(text, cueSpans) : DefaultProvenance);
    }

    private IEnumerable<string> SplitAfter(string phrase)
    {
        var end = _rules.NounPhraseEnd.Match(phrase);
        var s = end.Success ? phrase[..end.Index] : phrase;
        var parts = s.Split(',');
        // A comma continues the list only when an "and"/"or" closes it ("rulers, pen marks or hair");
        // otherwise what follows the comma is a new clause ("chest drains, focus on the lungs").
        if (parts.Length > 1 && !_rules.ListJoiner.IsMatch(parts[^1])) parts = [parts[0]];
        return parts.SelectMany(p => _rules.ListJoiner.Split(p)).Select(CleanNounPhrase).Where(IsNounPhrase);
    }

    private IEnumerable<string> SplitBefore(string phrase)
    {
        var starts = _rules.NounPhraseStart.Matches(phrase);
        var s = starts.Count > 0 ? phrase[(starts[^1].Index + starts[^1].Length)..] : phrase;
        // A run-on capture ("pneumothorax vs normal the chest drain") is cut at its last determiner.
        if (s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > _rules.MaxConfounderWords
            && _lastDeterminer.Match(s) is { Success: true } determiner)
        {
            s = s[determiner.Index..];
        }
        return _rules.ListJoiner.Split(s).Select(CleanNounPhrase).Where(IsNounPhrase);
    }

    private string CleanNounPhrase(string phrase) =>
        _rules.NounPhraseLead.Replace(phrase.Trim(), "").Trim(' ', '\'', '"');

    private bool IsNounPhrase(string phrase)
    {
        var words = phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // A pronoun ("ignore it") names nothing by itself; the thing it stands for is found by another cue.
        if (words.Length == 1 && words[0] is "it" or "them" or "this" or "that" or "these" or "those" or "es" or "sie") return false;
        return words.Length > 0 && words.Length <= _rules.MaxConfounderWords;
    }

    /// <summary>
    /// Refuses a request for a task outside classification, detection and segmentation (regression,
    /// survival, text, video, 3-D volumes, image generation) with what was understood, why it cannot be
    /// done yet and the nearest thing that can; a negated mention ("no 3D needed") does not count.
    /// </summary>
    private void ThrowOnUnsupportedTask(RequestText text)
    {
        foreach (var task in _lexicon.UnsupportedTasks)
        {
            foreach (var pattern in task.Patterns)
            {
                foreach (Match m in pattern.Matches(text.Normalized))
                {
                    if (IsNegated(text, m.Index, m.Index + m.Length)) continue;
                    throw new UnsupportedRequestException(new UnsupportedRequest(task.Kind, task.Understood, text.Words(m.Index, m.Index + m.Length), task.Why, task.Nearest));
                }
            }
        }
    }

    /// <summary>
    /// Refuses a request whose target is a condition the data lacks. A condition named in passing
    /// ("patients with osteoporosis", "who previously had a BCC removed") is not a target: only one
    /// that is the request's sole condition, stands in a list or contrast with a class of the data
    /// ("pneumonia from tuberculosis"), or directly follows a task verb ("classify BCC") is refused.
    /// </summary>
    private void ThrowOnUnknownConditions(RequestText text, List<Mention> mentions, DatasetClasses classes, IReadOnlyList<string> names)
    {
        if (classes.AreOpaque) return;
        var namesAClass = mentions.Any(m => m.Classes.Count > 0);
        bool IsTarget(Mention m)
        {
            if (!namesAClass) return true;
            var clauseStart = text.ClauseStart(m.Start);
            if (_rules.TargetVerb is { } verb && verb.IsMatch(text.Normalized[clauseStart..m.Start])) return true;
            var sentenceStart = text.SentenceStart(m.Start);
            var sentenceEnd = text.SentenceEnd(m.End);
            return mentions.Any(o => o.Classes.Count > 0 && o.Start >= sentenceStart && o.End <= sentenceEnd
                                     && _contrastGap.IsMatch(o.End <= m.Start ? text.Normalized[o.End..m.Start] : text.Normalized[m.End..o.Start]));
        }
        var unknown = mentions
            .Where(m => m.Classes.Count == 0
                        && m.Concept is { IsConditionWord: true } concept
                        && !classes.KnowsAbsenceOf(concept.Id)
                        && !_rules.ExcludedBefore.IsMatch(text.Normalized[text.ClauseStart(m.Start)..m.Start])
                        && IsTarget(m))
            .Select(m => text.Words(m.Start, m.End))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (unknown.Count == 0) return;
        var quoted = string.Join(", ", unknown.Select(w => $"'{w}'"));
        var pronoun = unknown.Count == 1 ? "it" : "them";
        throw new ClinforgeException(
            $"The request names {quoted}, but no class in the dataset matches {pronoun}. "
            + $"The dataset's classes are: {string.Join(", ", names)}. "
            + $"Rephrase the request in terms of these classes, or point Clinforge at a dataset whose classes include {quoted}.");
    }

    private static PositiveFinding ChoosePositive(RequestText text, DatasetClasses classes, List<Mention> mentions, PriorityFinding priority)
    {
        var entries = classes.Entries;
        string WordsFor(int index) =>
            mentions.FirstOrDefault(m => m.Classes.Contains(index)) is { } m ? text.Words(m.Start, m.End) : DefaultProvenance;

        if (entries.Count == 1) return new(entries[0].Name, WordsFor(0), Guessed: false);
        if (priority.Classes.Count == 1) return new(priority.Classes[0], priority.Words, Guessed: false);

        var mentioned = mentions.SelectMany(m => m.Classes).Distinct().ToList();
        var mentionedPositive = mentioned.Where(i => !entries[i].IsNegativeLike).ToList();
        if (mentionedPositive.Count == 1) return new(entries[mentionedPositive[0]].Name, WordsFor(mentionedPositive[0]), Guessed: false);

        // The class that is not normal/benign/other is the one a clinician wants found.
        var findings = entries.Where(e => !e.IsNegativeLike).ToList();
        if (findings.Count == 1) return new(findings[0].Name, WordsFor(findings[0].Index), Guessed: false);
        if (mentioned.Count == 1) return new(entries[mentioned[0]].Name, WordsFor(mentioned[0]), Guessed: false);

        // Nothing decides it: "tell A from B" usually names the target first; else take the second
        // class (the usual "positive" label 1) and ask.
        if (mentionedPositive.Count > 1) return new(entries[mentionedPositive[0]].Name, WordsFor(mentionedPositive[0]), Guessed: true);
        return new(entries[1].Name, DefaultProvenance, Guessed: true);
    }

    private ObjectiveChoice ChooseObjective(bool binary, PreferenceFinding preference, Threshold? threshold)
    {
        if (!binary) return new(Metrics.MacroAuc, null, DefaultProvenance, DefaultProvenance);
        if (threshold is not null)
        {
            var point = new OperatingPoint(Other(threshold.Metric), threshold.Metric, threshold.Value);
            var metric = threshold.Metric == "specificity" ? Metrics.SensitivityAtSpecificity : Metrics.SpecificityAtSensitivity;
            return new(metric, point, threshold.Words, threshold.Words);
        }
        return preference.Value switch
        {
            ErrorPreference.Sensitivity => new(Metrics.SensitivityAtSpecificity,
                new OperatingPoint("sensitivity", "specificity", _rules.DefaultSpecificityFloor), preference.Words, DefaultProvenance),
            ErrorPreference.Specificity => new(Metrics.SpecificityAtSensitivity,
                new OperatingPoint("specificity", "sensitivity", _rules.DefaultSensitivityFloor), preference.Words, DefaultProvenance),
            _ => new(Metrics.Auc, null, preference.Basis == PreferenceBasis.Stated ? preference.Words : DefaultProvenance, DefaultProvenance),
        };
    }

    private static List<OpenQuestion> Questions(
        IReadOnlyList<string> classes, PositiveFinding? positive, PreferenceFinding preference, ObjectiveChoice objective, Threshold? ignoredThreshold)
    {
        var questions = new List<OpenQuestion>();
        if (positive is { Guessed: true })
        {
            questions.Add(new OpenQuestion("positive_class",
                $"Which class must the model find (the positive class): {Restatement.List(classes, "or")}? I assumed {positive.Name}.",
                positive.Name));
        }

        var target = positive?.Name ?? "a case";
        var preferenceQuestion = preference.Basis switch
        {
            PreferenceBasis.Default when positive is not null =>
                $"Which error costs more: missing {target}, or a false alarm? Until you say, I treat both the same.",
            PreferenceBasis.Conflict =>
                "You asked both to catch every case and to avoid false alarms; which matters more? Until you say, I treat both the same.",
            PreferenceBasis.ToleratesMisses =>
                "You can accept missing a few cases: should I favour specificity (fewer false alarms) rather than treat both errors the same?",
            _ => null,
        };
        if (preferenceQuestion is not null) questions.Add(new OpenQuestion("error_preference", preferenceQuestion, "balanced"));

        if (objective.Point is { } point && objective.PointWords == DefaultProvenance)
        {
            var value = point.ConstraintValue.ToString("0.00", CultureInfo.InvariantCulture);
            questions.Add(new OpenQuestion("operating_point",
                $"Is {Restatement.Percent(point.ConstraintValue)} {point.Constraint} the right constraint? I will maximise {point.Maximize} while keeping {point.Constraint} at or above it.",
                value));
        }
        if (ignoredThreshold is not null)
        {
            questions.Add(new OpenQuestion("operating_point",
                $"\"{ignoredThreshold.Words}\" needs one positive class, but this task has {classes.Count} classes, so I will maximise macro AUC. Which class should the figure apply to?",
                "none"));
        }
        return questions;
    }

    /// <summary>
    /// The trade-off the shortcut rule meets when less reliance on a confounder costs the primary metric
    /// ("ask the clinician when the trade-off is real"): asked once, up front, so that every
    /// later decision follows the clinician's answer and the journal can quote it.
    /// </summary>
    private static OpenQuestion ConfounderQuestion(IReadOnlyList<string> confounders, string metric)
    {
        var inv = CultureInfo.InvariantCulture;
        string names = Restatement.List(confounders.ToList(), "and");
        string allowed = TaskSpec.DefaultConfounderMaxLoss.ToString("0.00", inv);
        metric = metric == Metrics.Auc ? "AUC" : metric.Replace('_', ' ');
        return new OpenQuestion("confounder_max_loss",
            $"Relying less on {names} may cost some {metric} on validation. How much may I give up for it? I will allow {allowed}; answer 0 to put {metric} first.",
            allowed);
    }

    private bool IsNegated(RequestText text, int start, int end)
    {
        var before = text.Normalized[text.ClauseStart(start)..start];
        var after = text.Normalized[end..text.ClauseEnd(end)];
        return _rules.NegationBefore.IsMatch(before) || _rules.NegationAfter.IsMatch(after);
    }

    private static string Other(string metric) => metric == "sensitivity" ? "specificity" : "sensitivity";

    // Overlapping matches of different rules ("do not miss" and "not miss a single case") are one cue.
    private static List<(int Start, int End)> Merge(IEnumerable<(int Start, int End)> spans)
    {
        var merged = new List<(int Start, int End)>();
        foreach (var span in spans.OrderBy(s => s.Start).ThenByDescending(s => s.End))
        {
            if (merged.Count > 0 && span.Start < merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, span.End));
                continue;
            }
            merged.Add(span);
        }
        return merged;
    }

    private static string Join(RequestText text, IEnumerable<(int Start, int End)> spans)
    {
        var words = Merge(spans).Select(s => text.Words(s.Start, s.End)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return words.Count == 0 ? DefaultProvenance : string.Join(ExcerptSeparator, words);
    }

    private sealed record Found<T>(T Value, string Words);

    private enum PreferenceBasis { Stated, Default, Conflict, ToleratesMisses, Threshold }

    private sealed record PreferenceFinding(ErrorPreference Value, string Words, PreferenceBasis Basis)
    {
        /// <summary>Where the request says a miss costs more: the classes there are the ones it singles out.</summary>
        public IReadOnlyList<(int Start, int End)> SensitivityCues { get; init; } = [];
    }

    private bool NamesMiss(string words) => _rules.MissedWords?.IsMatch(words) ?? false;

    private bool NamesFalseAlarm(string words) => _rules.FalseAlarmWords?.IsMatch(words) ?? false;

    private static PreferenceEffect Flip(PreferenceEffect effect) => effect switch
    {
        PreferenceEffect.Sensitivity => PreferenceEffect.Specificity,
        PreferenceEffect.Specificity => PreferenceEffect.Sensitivity,
        var other => other,
    };

    private sealed record Threshold(string Metric, double Value, ThresholdForm Form, string Words);

    /// <summary>Priority classes, with <see cref="Unattached"/> when a cue said something matters more but named no class.</summary>
    private sealed record PriorityFinding(IReadOnlyList<string> Classes, string Words, bool Unattached = false)
    {
        /// <summary>The words of cues that named no class, quoted when asking which class they meant.</summary>
        public string UnattachedWords { get; init; } = DefaultProvenance;
    }

    private sealed record PositiveFinding(string Name, string Words, bool Guessed);

    private sealed record ObjectiveChoice(string Metric, OperatingPoint? Point, string MetricWords, string PointWords);

    private sealed record ConfounderFinding(IReadOnlyList<string> Items, IReadOnlyList<(int Start, int End)> Spans, string Words);
}
