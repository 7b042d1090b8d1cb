namespace Clinforge.Core;

/// <summary>
/// One registered dataset (M3Builder's datacards): where it is, what it holds, and the clinician's
/// own words about it, so a request can find it without a path.
/// </summary>
public sealed record LibraryEntry(
    string Name,
    string Path,
    string Format,
    IReadOnlyList<string> Classes,
    IReadOnlyDictionary<string, int> CountsPerClass,
    int Images,
    string? Card,
    DateTimeOffset Added);

/// <summary>
/// The dataset library of a workspace: <c>WORKSPACE/datasets/library.json</c>, one entry per name.
/// The workspace is <c>--workspace</c>, else <c>$CLINFORGE_WORKSPACE</c>, else <c>~/.clinforge</c>.
/// </summary>
public sealed class DatasetLibrary(string workspace)
{
    /// <summary>Environment variable naming the default workspace.</summary>
    public const string WorkspaceVariable = "CLINFORGE_WORKSPACE";

    /// <summary>The library file.</summary>
    public string File => System.IO.Path.Combine(workspace, "datasets", "library.json");

    /// <summary>The workspace from an option, the environment, or the home folder.</summary>
    public static string ResolveWorkspace(string? option) =>
        System.IO.Path.GetFullPath(option
            ?? Environment.GetEnvironmentVariable(WorkspaceVariable)
            ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".clinforge"));

    /// <summary>Every registered dataset, by name.</summary>
    public IReadOnlyList<LibraryEntry> Entries() =>
        System.IO.File.Exists(File) ? Json.Read<List<LibraryEntry>>(File) : [];

    /// <summary>Adds or replaces the entry with <paramref name="entry"/>'s name (written atomically).</summary>
    public void Add(LibraryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrWhiteSpace(entry.Name) || entry.Name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ClinforgeException($"dataset name '{entry.Name}': use letters, digits, '-', '_' or '.' only.");
        var list = Entries().Where(e => e.Name != entry.Name).Append(entry).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        Json.Write(File, list);
    }
}
