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
}
