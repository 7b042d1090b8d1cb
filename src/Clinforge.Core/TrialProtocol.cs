using System.Globalization;

namespace Clinforge.Core;

/// <summary>
/// The lines a trial process prints on stdout for the executor that started it, written by the trial
/// workers and read by the local executor: progress after each epoch, and time added to the trial's
/// deadline for one-time work it did for the whole run.
/// </summary>
public static class TrialProtocol
{
    /// <summary>Prefix of a progress line: "@progress epoch planned fraction best|-".</summary>
    public const string ProgressPrefix = "@progress ";

    /// <summary>Prefix of a line reporting an extension of the deadline for one-time work: "@prepared SECONDS".</summary>
    public const string PreparedPrefix = "@prepared ";

    /// <summary>The progress line after <paramref name="epoch"/> of <paramref name="planned"/>, at <paramref name="fraction"/> of the budget, with the best objective so far when there is one.</summary>
    public static string ProgressLine(int epoch, int planned, double fraction, double? best) => string.Create(CultureInfo.InvariantCulture,
        $"{ProgressPrefix}{epoch} {planned} {fraction:F3} {(best is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-")}");

    /// <summary>The line reporting that the deadline moved by <paramref name="extra"/>.</summary>
    public static string PreparedLine(TimeSpan extra) => string.Create(CultureInfo.InvariantCulture, $"{PreparedPrefix}{extra.TotalSeconds:F1}");
}
