using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Intent;
using Microsoft.Data.Sqlite;

namespace Clinforge.Web;

/// <summary>What the web app adds to a run folder, under web/: the request as typed, the chosen data and the answers.</summary>
public sealed record WebProject(string Request, string Data, string DataLabel, DateTimeOffset Created);

/// <summary>Images per class of the chosen data, shown before the run's full data card exists.</summary>
public sealed record DataSummary(string Format, int Total, IReadOnlyDictionary<string, int> PerClass, IReadOnlyList<string> Notes);

/// <summary>One finished round as the page shows it.</summary>
public sealed record RoundView(int Number, string Move, string Change, string Reason, string Status, double? Objective, bool Accepted, double? BestSoFar, string? Diagnosis);

/// <summary>
/// The workspace's runs, read from their folders only (so a page reload or a server restart loses
/// nothing): the web/ files written at creation, task_spec.json, datacard.json, journal.db (read-only),
/// final/ and report/.
/// </summary>
public sealed partial class RunStore(string workspace)
{
    /// <summary>workspace/runs.</summary>
    public string RunsDir { get; } = Path.Combine(workspace, "runs");

    /// <summary>The run folder of a run id, or null when the id is not a plain folder name.</summary>
    public RunPaths? Run(string id) => IdPattern().IsMatch(id) && id is not ("." or "..") ? new RunPaths(Path.Combine(RunsDir, id)) : null;

    /// <summary>web/ inside a run folder.</summary>
    public static string WebDir(RunPaths run) => run.Web.Root;

    /// <summary>web/project.json.</summary>
    public static string ProjectFile(RunPaths run) => run.Web.Project;

    /// <summary>web/parsed_spec.json: the spec as parsed, before answers.</summary>
    public static string ParsedSpecFile(RunPaths run) => run.Web.ParsedSpec;

    /// <summary>web/answers.json: the --answers file of develop.</summary>
    public static string AnswersFile(RunPaths run) => run.Web.Answers;

    /// <summary>web/data_summary.json.</summary>
    public static string DataSummaryFile(RunPaths run) => run.Web.DataSummary;

    /// <summary>web/develop.log: what the child process printed.</summary>
    public static string LogFile(RunPaths run) => run.Web.Log;

    /// <summary>web/plan.json: rounds and minutes per trial asked for.</summary>
    public static string PlanFile(RunPaths run) => run.Web.Plan;

    /// <summary>Run ids, newest first.</summary>
    public IReadOnlyList<string> Ids() => Directory.Exists(RunsDir)
        ? Directory.EnumerateDirectories(RunsDir).Select(Path.GetFileName).OfType<string>().Where(n => Run(n) is not null).OrderDescending(StringComparer.Ordinal).ToList()
        : [];

    /// <summary>
    /// Creates a project: parses the request against the data (a request naming a condition the data
    /// lacks fails here, with the parser's message) and writes web/ in a fresh run folder.
    /// </summary>
    public string Create(string request, string dataPath, string dataLabel)
    {
        var dataset = DatasetReader.Open(dataPath);
        var context = new DatasetContext(
            dataset.Classes.Select((c, i) => (c, dataset.Items.Count(x => x.Label == i))).ToDictionary(x => x.c, x => x.Item2),
            dataset.Columns, dataset.Format);
        var spec = IntentParsers.FromEnvironment(say: _ => { }).Parse(request, dataset.Classes, context);
        var id = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Slug(request);
        var run = Run(id)!;
        for (int n = 2; Directory.Exists(run.Root); n++) run = Run($"{id}-{n}")!;
        Directory.CreateDirectory(WebDir(run));
        Json.Write(ParsedSpecFile(run), spec);
        Json.Write(DataSummaryFile(run), new DataSummary(dataset.Format, dataset.Items.Count, context.CountsPerClass, dataset.Notes));
        AtomicFile.WriteAllText(AnswersFile(run), "{}");
        // The project file is written last: its presence marks a complete project.
        Json.Write(ProjectFile(run), new WebProject(request, dataPath, dataLabel, DateTimeOffset.UtcNow));
        return Path.GetFileName(run.Root);
    }

    /// <summary>The answers given so far (field → value).</summary>
    public static Dictionary<string, string> Answers(RunPaths run) =>
        File.Exists(AnswersFile(run)) ? SpecAnswers.Load(AnswersFile(run)).ToDictionary() : [];

    /// <summary>
    /// The spec as it stands: the run's task_spec.json once development started, else the parsed spec
    /// with the answers applied.
    /// </summary>
    public static TaskSpec? Spec(RunPaths run)
    {
        if (File.Exists(run.TaskSpec)) return Json.Read<TaskSpec>(run.TaskSpec);
        if (!File.Exists(ParsedSpecFile(run))) return null;
        return SpecAnswers.Apply(Json.Read<TaskSpec>(ParsedSpecFile(run)), Answers(run), "your answers");
    }

    /// <summary>Finished trials from journal.db, opened read-only so a running developer is never disturbed.</summary>
    public static IReadOnlyList<TrialRecord> Trials(RunPaths run)
    {
        if (!File.Exists(run.Journal)) return [];
        var cs = new SqliteConnectionStringBuilder { DataSource = run.Journal, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var connection = new SqliteConnection(cs);
            connection.Open();
            return Clinforge.Development.Journal.ReadTrials(connection);
        }
        catch (SqliteException)
        {
            // The developer creates the tables a moment after the file: nothing finished yet.
            return [];
        }
    }

    /// <summary>Rounds with the running best (best accepted objective up to and including each round).</summary>
    public static IReadOnlyList<RoundView> Rounds(IReadOnlyList<TrialRecord> trials)
    {
        double? best = null;
        var list = new List<RoundView>();
        foreach (var t in trials)
        {
            if (t.Accepted && t.Objective is { } o && !double.IsNaN(o) && (best is null || o > best)) best = o;
            list.Add(new RoundView(t.Number, t.Move, t.Change, t.Reason, t.Status.ToString(), t.Objective is { } v && !double.IsNaN(v) ? v : null, t.Accepted, best, t.Diagnosis));
        }
        return list;
    }

    /// <summary>The last lines of web/develop.log (the child's own words about its progress).</summary>
    public static IReadOnlyList<string> LogTail(RunPaths run, int lines = 12)
    {
        var path = LogFile(run);
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length > 64 * 1024) stream.Seek(-64 * 1024, SeekOrigin.End);
        using var reader = new StreamReader(stream);
        var text = AnsiEscape().Replace(reader.ReadToEnd(), "");
        return text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).TakeLast(lines).ToList();
    }

    /// <summary>Reads a JSON file of the run, or null when it is absent or half written.</summary>
    public static T? TryRead<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try { return Json.Read<T>(path); }
        catch (Exception e) when (e is ClinforgeException or JsonException or IOException) { return null; }
    }

    private static string Slug(string request)
    {
        var words = SlugWord().Matches(request.ToLowerInvariant()).Select(m => m.Value).Take(5);
        var slug = string.Join('-', words);
        return slug.Length == 0 ? "project" : slug[..Math.Min(slug.Length, 40)];
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("[a-z0-9]+")]
    private static partial Regex SlugWord();

    [GeneratedRegex(@"\x1B\[[0-9;?]*[A-Za-z]")]
    private static partial Regex AnsiEscape();
}
