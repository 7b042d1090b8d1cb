using System.CommandLine;
using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>
/// <c>--executor local|slurm</c> and the Slurm settings of <c>develop</c>, <c>resume</c> and
/// <c>serve</c>. Precedence: the command line, then <c>--slurm-config FILE</c> or the workspace's
/// clinforge.slurm.json (whose presence makes Slurm the default), then what run.json recorded.
/// </summary>
internal static class ExecutorOptions
{
    /// <summary>The options, declared for a command.</summary>
    public static IEnumerable<Option> Declare() =>
    [
        CliOptions.Choice("executor", "Where trials run: child processes here, or one Slurm job each.", "local", "slurm"),
        CliOptions.Text("slurm-config", "Slurm settings file (default WORKSPACE/clinforge.slurm.json).", "FILE"),
        CliOptions.Text("slurm-partition", "Slurm partition.", "P"),
        CliOptions.Text("slurm-account", "Slurm account.", "A"),
        CliOptions.Count("slurm-cpus", "CPUs per job (also the trial's torch threads).", "C"),
        CliOptions.Text("slurm-mem", "Memory per job, e.g. 8G.", "MEM"),
        CliOptions.Text("slurm-gres", "Generic resources, e.g. gpu:1.", "GRES"),
        CliOptions.Number("slurm-grace-minutes", "Minutes past the budget before Slurm ends a job (default 2).", "G"),
        CliOptions.Count("slurm-retries", "Submissions again when the cluster loses a job (default 2).", "R"),
    ];

    public const string Usage = "[--executor local|slurm] [--slurm-partition P] [--slurm-account A] [--slurm-cpus C] [--slurm-mem 8G] [--slurm-gres gpu:1] [--slurm-grace-minutes G] [--slurm-retries R] [--slurm-config FILE]";

    /// <summary>
    /// The executor and its settings. <paramref name="workspace"/> null: no workspace file is read (a
    /// resumed run keeps what it recorded unless the command line says otherwise).
    /// </summary>
    public static (string Kind, SlurmSettings? Slurm) Read(Args a, string? workspace, string? recordedKind, SlurmSettings? recorded)
    {
        string? kind = a.Get("executor");
        if (kind is not (null or "local" or "slurm")) throw new ClinforgeException($"--executor must be 'local' or 'slurm' (got '{kind}').");
        SlurmSettings? file = null;
        if (a.Get("slurm-config") is { } config)
        {
            var path = Path.GetFullPath(config);
            if (!File.Exists(path)) throw new ClinforgeException($"{path}: Slurm settings file not found (--slurm-config).");
            file = Json.Read<SlurmSettings>(path).Validated(path);
        }
        else if (workspace is not null && Path.Combine(workspace, SlurmSettings.FileName) is var inWorkspace && File.Exists(inWorkspace))
        {
            file = Json.Read<SlurmSettings>(inWorkspace).Validated(inWorkspace);
        }
        var s = file ?? recorded ?? new SlurmSettings();
        bool given = false;
        string? Text(string name) { var v = a.Get(name); given |= v is not null; return v; }
        if (Text("slurm-partition") is { } p) s = s with { Partition = p };
        if (Text("slurm-account") is { } acc) s = s with { Account = acc };
        if (Text("slurm-mem") is { } m) s = s with { Memory = m };
        if (Text("slurm-gres") is { } g) s = s with { Gres = g };
        if (Text("slurm-cpus") is not null) s = s with { Cpus = a.Int("slurm-cpus", 0) };
        if (Text("slurm-grace-minutes") is not null) s = s with { GraceMinutes = a.Double("slurm-grace-minutes", 2) };
        if (Text("slurm-retries") is not null) s = s with { Retries = a.Int("slurm-retries", 2) };
        kind ??= file is not null && recordedKind is null ? "slurm" : recordedKind ?? (given ? "slurm" : "local");
        if (kind == "local" && given) throw new ClinforgeException("--slurm-* options need --executor slurm.");
        return (kind, kind == "slurm" ? s.Validated("Slurm settings") : null);
    }

    /// <summary>The options as given on a command line, for a child process (serve → develop).</summary>
    public static IReadOnlyList<string> PassThrough(Args a)
    {
        var list = new List<string>();
        foreach (var name in Declare().Select(o => o.Name[2..]))
            if (a.Get(name) is { } v) list.AddRange([$"--{name}", name == "slurm-config" ? Path.GetFullPath(v) : v]);
        return list;
    }
}
