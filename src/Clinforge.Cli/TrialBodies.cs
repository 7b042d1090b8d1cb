using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>What <c>clinforge trial</c> was asked: one trial (or one fold of it) of a run, with its deadline.</summary>
internal sealed record TrialRequest(RunPaths Run, int Number, TaskSpec Spec, DataCard Card, DateTime Deadline, int Threads, int? Fold, DateTime? Until, int FoldWorkers, TimeSpan PreparationAllowance = default);

/// <summary>
/// The trial body of each task kind, chosen by the kind's registered name (the same key as
/// <see cref="Development.TaskKinds"/>). The bodies live here, where Training (the networks) meets
/// Evaluation (the kind's validation metric) and Development (a debiasing trial's reliance measure).
/// </summary>
internal static class TrialBodies
{
    private static readonly Dictionary<string, Func<TrialRequest, int>> s_bodies = new(StringComparer.Ordinal)
    {
        ["classification"] = ClassificationTrial.Run,
        ["detection"] = DetectionTrial.Run,
        ["segmentation"] = SegmentationTrial.Run,
    };

    /// <summary>The kinds a trial body is registered for.</summary>
    public static IReadOnlyCollection<string> Kinds => s_bodies.Keys;

    /// <summary>Runs the trial with the body of <paramref name="kind"/>; the exit code (0 succeeded, 4 failed).</summary>
    public static int Run(string kind, TrialRequest request) =>
        s_bodies.TryGetValue(kind, out var body) ? body(request) : throw new ClinforgeException($"no trial body is registered for the task kind '{kind}'.");
}
