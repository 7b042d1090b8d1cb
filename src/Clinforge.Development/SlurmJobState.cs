using System.Globalization;

namespace Clinforge.Development;

/// <summary>
/// A Slurm job as its tools report it: the state name (PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT,
/// OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, CANCELLED, ...), the exit code of the batch script and the
/// signal that ended it, and the start and end times when known.
/// </summary>
public sealed record SlurmJobState(string State, int ExitCode, int Signal, DateTimeOffset? Start, DateTimeOffset? End, string? Reason)
{
    /// <summary>States in which the job may still run (Slurm's job state codes).</summary>
    private static readonly HashSet<string> Active = new(StringComparer.Ordinal)
    {
        "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING",
        "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT",
    };

    /// <summary>True while the job is queued or running.</summary>
    public bool IsActive => Active.Contains(State);

    /// <summary>True when the cluster, not the trial, ended the job: the trial deserves another try.</summary>
    public bool LostByCluster => State is "NODE_FAIL" or "BOOT_FAIL" or "PREEMPTED";

    /// <summary>Parses one line of <c>scontrol show job -o ID</c> (key=value pairs); null when it names no state.</summary>
    public static SlurmJobState? FromScontrol(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=');
            if (eq > 0) fields.TryAdd(token[..eq], token[(eq + 1)..]);
        }
        if (!fields.TryGetValue("JobState", out var state)) return null;
        var (code, signal) = ParseExitCode(fields.GetValueOrDefault("ExitCode"));
        return new SlurmJobState(state, code, signal, ParseTime(fields.GetValueOrDefault("StartTime")), ParseTime(fields.GetValueOrDefault("EndTime")), fields.GetValueOrDefault("Reason"));
    }

    /// <summary>Parses <c>sacct -n -X -P -o State,ExitCode,Start,End</c>; the first line is the job itself (sacct writes "CANCELLED by UID").</summary>
    public static SlurmJobState? FromSacct(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (line is null) return null;
        var parts = line.Split('|');
        if (parts.Length < 2 || parts[0].Length == 0) return null;
        var state = parts[0].Split(' ')[0];
        var (code, signal) = ParseExitCode(parts[1]);
        return new SlurmJobState(state, code, signal, parts.Length > 2 ? ParseTime(parts[2]) : null, parts.Length > 3 ? ParseTime(parts[3]) : null, null);
    }

    /// <summary>Slurm's "code:signal".</summary>
    private static (int Code, int Signal) ParseExitCode(string? value)
    {
        if (value is null) return (0, 0);
        var parts = value.Split(':');
        int code = int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0;
        int signal = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 0;
        return (code, signal);
    }

    /// <summary>Slurm prints local time without a zone ("2026-12-04T16:56:36"), or "Unknown"/"None".</summary>
    private static DateTimeOffset? ParseTime(string? value) =>
        value is not null && DateTime.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var t)
            ? new DateTimeOffset(t)
            : null;
}
