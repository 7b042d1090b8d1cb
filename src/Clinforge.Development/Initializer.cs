using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>
/// Recipe v0 (DESIGN.md "TaskKind.Plan"): a pure function of (TaskSpec, DataCard) given by the
/// run's task kind; this entry point checks the starting point and hands over to the kind.
/// </summary>
public static class Initializer
{
    /// <summary>The starting points <c>--start</c> accepts: the kind's rule, or one side of it forced.</summary>
    public static readonly IReadOnlyList<string> Starts = ["auto", "pretrained", "scratch"];

    /// <summary>Builds the first recipe; <paramref name="start"/> overrides the pretrained-or-scratch rule ("auto" keeps it).</summary>
    public static Recipe Plan(TaskSpec spec, DataCard card, int seed, string start = "auto")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(card);
        if (!Starts.Contains(start)) throw new ClinforgeException($"--start must be {string.Join(", ", Starts)} (got '{start}').");
        return TaskKinds.For(spec, card).Plan(spec, card, seed, start);
    }
}
