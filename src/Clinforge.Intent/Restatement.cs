using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// The plain-language restatement shown to the clinician, built from the spec's fields alone (never
/// from the request), so it shows what was understood rather than echoing what was said. Any parser
/// can use it.
/// </summary>
public static class Restatement
{
    /// <summary>One or two sentences saying what the model will do and what it will optimise.</summary>
    public static string For(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        // A mask spec (SegmentationIntent) has no positive-versus-rest decision to restate: it says what is
        // outlined and the overlap objective. Debiasing is built for classification only, so no trade-off is named.
        if (SegmentationIntent.IsMaskSpec(spec))
        {
            var mask = SegmentationIntent.Restate(spec);
            if (spec.Confounders.Count > 0) mask += $" It must not rely on {List(spec.Confounders.Select(c => c.Name).ToList(), "or")}.";
            return mask + Hints(spec);
        }
        var positive = spec.PositiveClass is { } p ? Display(p) : null;
        var negative = spec.PositiveClass is not null && spec.Classes.Count == 2
            ? Display(spec.Classes.First(c => c != spec.PositiveClass))
            : null;
        var allClasses = spec.Classes.Select(Display).ToList();

        var what = spec.Task switch
        {
            TaskKind.Detection => positive is not null
                ? $"a model that finds {positive} and marks where it is on each image"
                : $"a model that finds {List(allClasses, "or")} and marks where each one is on the image",
            TaskKind.Segmentation => positive is not null
                ? $"a model that finds {positive} and outlines it on each image"
                : $"a model that outlines {List(allClasses, "or")} on each image",
            _ => negative is not null
                ? $"a model that tells {positive} from {negative}"
                : positive is not null
                ? $"a model that tells {positive} from all the other classes ({List(allClasses.Where(c => c != positive).ToList(), "and")})"
                : $"a model that sorts each image into one of {spec.Classes.Count} classes ({List(allClasses, "and")})",
        };

        // Naming the positive class again as a priority would say the same thing twice.
        var priorities = spec.PriorityClasses.Where(c => c != spec.PositiveClass).Select(Display).ToList();
        var priority = priorities.Count > 0 ? $", paying most attention to {List(priorities, "and")}" : "";

        var sentence = $"I understood: {what}{priority}; {Objective(spec, positive)}.";
        var merged = spec.ClassGroups.Where(g => g.Value.Count > 1).ToList();
        if (merged.Count > 0)
            sentence += $" {List(merged.Select(g => $"{Display(g.Key)} groups the data's {List(g.Value.Select(Display).ToList(), "and")}").ToList(), "and")}.";
        if (spec.Requirements.Count > 1)
        {
            var floors = List(spec.Requirements.Select(r => $"{r.Metric} at least {Percent(r.Minimum)}").ToList(), "and");
            sentence += $" You asked for {floors}; if validation shows that both cannot be met, I will show you what is achievable and ask (or, unattended, follow your stated priority).";
        }
        if (spec.Confounders.Count > 0)
        {
            sentence += $" It must not rely on {List(spec.Confounders.Select(c => c.Name).ToList(), "or")}.";
            string metric = spec.PrimaryMetric == Metrics.Auc ? "AUC" : spec.PrimaryMetric.Replace('_', ' ');
            if (spec.ConfounderMaxLoss is { } loss)
                sentence += loss <= 0
                    ? $" Where relying less on it costs {metric}, {metric} comes first."
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture, $" For that I may give up at most {loss:0.00} {metric} on validation.");
        }
        return sentence + Hints(spec);
    }

    // The supervision and budget the request hinted at, which every kind's restatement ends with.
    private static string Hints(TaskSpec spec) =>
        (spec.Supervision is { } supervision ? $" Supervision: {supervision}." : "")
        + (spec.Budget is { } budget ? $" Time budget: {budget}." : "");

    /// <summary>"A, B and C".</summary>
    public static string List(IReadOnlyList<string> items, string conjunction) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => $"{string.Join(", ", items.Take(items.Count - 1))} {conjunction} {items[^1]}",
    };

    /// <summary>0.8 → "80%", 0.925 → "92.5%".</summary>
    public static string Percent(double fraction) =>
        (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Display(string className) => className.Replace('_', ' ');

    private static string Objective(TaskSpec spec, string? positive)
    {
        if (spec.OperatingPoint is { } op)
        {
            var reason = spec.ErrorPreference switch
            {
                ErrorPreference.Sensitivity => $"missing {positive ?? "a case"} costs more than a false alarm, so ",
                ErrorPreference.Specificity => $"a false alarm costs more than missing {positive ?? "a case"}, so ",
                _ => "as you asked, ",
            };
            return $"{reason}I will maximise {op.Maximize} while keeping {op.Constraint} at or above {Percent(op.ConstraintValue)}";
        }
        return spec.PrimaryMetric switch
        {
            Metrics.MacroAuc => "I will maximise the average one-vs-rest area under the ROC curve over the classes (macro AUC)",
            Metrics.Auc => "both kinds of error count the same, so I will maximise the area under the ROC curve (AUC)",
            _ => $"I will maximise {spec.PrimaryMetric.Replace('_', ' ')}",
        };
    }
}
