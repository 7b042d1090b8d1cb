using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// Turns a clinician's request, in their own words, into a <see cref="TaskSpec"/> for a dataset with
/// the given classes. Implementations: the offline <see cref="RuleBasedParser"/>, later an LLM parser
/// whose output is validated the same way.
/// </summary>
public interface IIntentParser
{
    /// <summary>
    /// Parses <paramref name="request"/> against the dataset's classes (label index = position).
    /// Throws <see cref="ClinforgeException"/> when the request names a condition the data lacks.
    /// </summary>
    TaskSpec Parse(string request, IReadOnlyList<string> datasetClasses);

    /// <summary>
    /// As <see cref="Parse(string, IReadOnlyList{string})"/>, with what else is known about the data
    /// (class counts, column names). Parsers that cannot use it ignore it.
    /// </summary>
    TaskSpec Parse(string request, IReadOnlyList<string> datasetClasses, DatasetContext? context) => Parse(request, datasetClasses);
}

/// <summary>
/// What a parser may know about the data beyond class names: images per class, the CSV's column
/// names and the source format. Counts and names only — never images, paths or identifiers.
/// </summary>
public sealed record DatasetContext(IReadOnlyDictionary<string, int> CountsPerClass, IReadOnlyList<string> Columns, string Format);
