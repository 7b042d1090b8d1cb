using System.Globalization;

namespace Clinforge.Core;

/// <summary>
/// run.lock: one process writes a run at a time. The lock is the operating system's own lock on the
/// open file (FileShare.None, which .NET takes with flock on Linux and macOS), held for as long as the
/// writer lives; the kernel drops it when the process ends in any way, kill -9 included, so a crash
/// never leaves a run locked. The file's text (process id, start time) is for a person looking in.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _root;
    private readonly bool _createdRoot;

    private RunLock(FileStream stream, string root, bool createdRoot)
    {
        _stream = stream;
        _root = root;
        _createdRoot = createdRoot;
    }

    /// <summary>
    /// Creates the run folder if needed and takes its lock, or fails with a message naming the folder:
    /// another process holds it, the path is a file, or the folder cannot be written.
    /// </summary>
    public static RunLock Acquire(RunPaths run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var root = run.Root;
        if (File.Exists(root))
            throw new ClinforgeException($"--run {root}: this is a file, not a folder. Name a new folder for the run, or an existing run folder to continue it.");
        bool created = !Directory.Exists(root);
        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClinforgeException($"--run {root}: the run folder cannot be created ({e.Message}). Choose a folder you can write to.", 73);
        }
        var path = Path.Combine(root, FileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ClinforgeException($"{root}: the run folder cannot be written ({e.Message}). Choose a folder you can write to.", 77);
        }
        catch (IOException e) when (e.HResult is 28 or 30 or 122)
        {
            throw new ClinforgeException($"{root}: the run folder cannot be written ({e.Message}). Choose a folder you can write to.", 74);
        }
        catch (IOException)
        {
            throw new ClinforgeException($"{root}: another clinforge process is writing this run (it holds {FileName}). Wait for it to finish, or stop it; " +
                "two writers would corrupt the journal. To work on the same data at the same time, start a new run (another --run folder).", 75);
        }
        try
        {
            stream.SetLength(0);
            var text = string.Create(CultureInfo.InvariantCulture, $"process {Environment.ProcessId} since {DateTimeOffset.UtcNow:O}\n");
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            stream.Flush();
        }
        catch (IOException)
        {
            // The text is informational; the lock is what counts.
        }
        return new RunLock(stream, root, created);
    }

    /// <summary>The lock file's name inside the run folder.</summary>
    public const string FileName = RunPaths.RunLockFile;

    /// <summary>
    /// Refuses to continue an existing run with another request or other data: <c>develop --run EXISTING</c>
    /// would otherwise carry on the old run and silently ignore what was asked now.
    /// </summary>
    public static void CheckSameRun(RunPaths run, string request, string data)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(data);
        var recordedRequest = File.Exists(run.Request) ? File.ReadAllText(run.Request).Trim() : null;
        if (recordedRequest is not null && !string.Equals(Normalise(recordedRequest), Normalise(request), StringComparison.Ordinal))
            throw new ClinforgeException($"{run.Root} is a run of another request (\"{Short(recordedRequest)}\"), not \"{Short(request)}\". " +
                "Start a new run (leave out --run, or name a new folder), or continue this one with 'clinforge resume RUN'.");
        if (File.Exists(run.Settings))
        {
            var recorded = Json.Read<RunSettings>(run.Settings).Data;
            if (!string.Equals(Path.GetFullPath(recorded).TrimEnd('/', '\\'), Path.GetFullPath(data).TrimEnd('/', '\\'), StringComparison.Ordinal))
                throw new ClinforgeException($"{run.Root} is a run on other data ({recorded}), not {data}. " +
                    "Start a new run for these data (leave out --run, or name a new folder), or continue this one with 'clinforge resume RUN'.");
        }
    }

    private static string Normalise(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string Short(string text) => text.Length <= 80 ? text : text[..77] + "...";

    /// <summary>Releases the lock; a run folder this lock created and nothing else was written into is removed again.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        if (!_createdRoot) return;
        try
        {
            if (Directory.EnumerateFileSystemEntries(_root).All(e => Path.GetFileName(e) == FileName)) Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: an empty folder left behind is harmless.
        }
    }
}
