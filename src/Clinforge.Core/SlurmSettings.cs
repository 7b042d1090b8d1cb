namespace Clinforge.Core;

/// <summary>
/// How trials are submitted to a Slurm cluster: one batch job per trial. Read from
/// <c>clinforge.slurm.json</c> in the workspace and the <c>--slurm-*</c> options, and kept in run.json
/// so that <c>clinforge resume</c> submits the same way.
/// </summary>
public sealed record SlurmSettings
{
    /// <summary>The file in the workspace that holds these settings (its presence makes Slurm the default executor).</summary>
    public const string FileName = "clinforge.slurm.json";

    /// <summary><c>--partition</c>; null: the cluster's default partition.</summary>
    public string? Partition { get; init; }

    /// <summary><c>--account</c>; null: the user's default account.</summary>
    public string? Account { get; init; }

    /// <summary><c>--cpus-per-task</c>, also the trial's torch threads; 0: the run's <c>--threads</c>, else 2.</summary>
    public int Cpus { get; init; }

    /// <summary><c>--mem</c> (e.g. "8G"); null: the partition's default.</summary>
    public string? Memory { get; init; }

    /// <summary><c>--gres</c> (e.g. "gpu:1"); null: none.</summary>
    public string? Gres { get; init; }

    /// <summary>
    /// Minutes added to the trial budget for the job's time limit (start-up, data loading, writing the
    /// model); the grace is at least a quarter of the budget, as for local trials.
    /// </summary>
    public double GraceMinutes { get; init; } = 2;

    /// <summary>How often a job that the cluster lost (node failure, preemption, boot failure) is submitted again before the trial is recorded as failed.</summary>
    public int Retries { get; init; } = 2;

    /// <summary>Seconds between looks at a running job.</summary>
    public double PollSeconds { get; init; } = 1;

    /// <summary>Further sbatch options, passed as they are (e.g. "--qos=normal", "--constraint=a100").</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>
    /// The job's time limit in whole minutes (Slurm's unit): the budget plus the grace, rounded up; for a
    /// trial that may do one-time work for the run (<paramref name="oneTimeWork"/>: frozen features,
    /// <see cref="Recipe.CachesFrozenFeatures"/>) one budget more, as much as the local executor would
    /// extend its deadline. A job's limit is fixed when it is submitted, so it has to be asked for then.
    /// </summary>
    public int TimeLimitMinutes(TimeSpan budget, bool oneTimeWork = false)
    {
        double grace = Math.Max(GraceMinutes * 60, budget.TotalSeconds * 0.25);
        double preparation = oneTimeWork ? budget.TotalSeconds : 0;
        return Math.Max(1, (int)Math.Ceiling((budget.TotalSeconds + grace + preparation) / 60.0 - 1e-9));
    }

    /// <summary>
    /// Seconds a trial may add to its deadline for one-time work it does for the run (frozen features):
    /// what the job's time limit (<see cref="TimeLimitMinutes"/>) holds beyond the budget, less a margin
    /// of a minute or a quarter of the budget for starting and finishing; 0 when there is none. Without
    /// <paramref name="oneTimeWork"/> that is only the slack the grace and the rounding to minutes reserve.
    /// </summary>
    public double PreparationAllowanceSeconds(TimeSpan budget, bool oneTimeWork = false)
    {
        double margin = Math.Max(60, budget.TotalSeconds * 0.25);
        return Math.Max(0, Math.Floor(TimeLimitMinutes(budget, oneTimeWork) * 60 - budget.TotalSeconds - margin));
    }

    /// <summary>Fails with a message naming <paramref name="source"/> when a value cannot work.</summary>
    public SlurmSettings Validated(string source)
    {
        if (Cpus < 0) throw new ClinforgeException($"{source}: cpus must be 0 (automatic) or more (got {Cpus}).");
        if (GraceMinutes < 0) throw new ClinforgeException($"{source}: grace_minutes must not be negative (got {GraceMinutes}).");
        if (Retries < 0) throw new ClinforgeException($"{source}: retries must not be negative (got {Retries}).");
        if (PollSeconds is <= 0 or > 600) throw new ClinforgeException($"{source}: poll_seconds must be in (0, 600] (got {PollSeconds}).");
        if (Memory is { } m && !System.Text.RegularExpressions.Regex.IsMatch(m, "^[0-9]+[KMGT]?$"))
            throw new ClinforgeException($"{source}: memory must be a number with an optional K, M, G or T suffix, as sbatch --mem takes it (got '{m}').");
        foreach (var (name, value) in new[] { ("partition", Partition), ("account", Account), ("gres", Gres) })
            if (value is not null && (value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
                throw new ClinforgeException($"{source}: {name} must be one word without spaces (got '{value}').");
        return this;
    }
}
