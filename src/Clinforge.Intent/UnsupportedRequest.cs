using Clinforge.Core;

namespace Clinforge.Intent;

/// <summary>
/// A request Clinforge cannot carry out yet, as understood: what kind of output it asks for, the
/// words that say so, why Clinforge cannot do it, and the nearest thing it can do instead.
/// </summary>
/// <param name="Kind">The kind of task asked for (regression, survival, text, video, volumetric, generation, registration).</param>
/// <param name="Understood">What the request asks for, in plain words.</param>
/// <param name="Words">The clinician's words that show it.</param>
/// <param name="Why">Why Clinforge cannot do it yet.</param>
/// <param name="Nearest">The nearest task Clinforge can do, phrased as a request the clinician could send.</param>
public sealed record UnsupportedRequest(string Kind, string Understood, string Words, string Why, string Nearest)
{
    /// <summary>The process exit code of a refusal: distinct from bad input (2), so scripts can tell them apart.</summary>
    public const int ExitCode = 3;

    /// <summary>The answer shown to the clinician: understood, why not, and the nearest thing possible.</summary>
    public string Message =>
        $"I understood: {Understood} (from \"{Words}\"). Clinforge cannot do this yet: {Why} The nearest thing it can do: {Nearest}";
}

/// <summary>Thrown when a request asks for a task outside classification, detection and segmentation.</summary>
public sealed class UnsupportedRequestException(UnsupportedRequest answer)
    : ClinforgeException(answer.Message, UnsupportedRequest.ExitCode)
{
    /// <summary>The structured answer (also in <see cref="Exception.Message"/>).</summary>
    public UnsupportedRequest Answer { get; } = answer;
}
