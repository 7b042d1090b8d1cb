namespace Clinforge.Web;

/// <summary>
/// Keeps every path the browser names inside the workspace and the allowed roots: the path is made
/// absolute, every symbolic link on it is followed, and the result must lie under one of the roots
/// (themselves resolved the same way), so neither "../" nor a link can lead outside.
/// </summary>
public sealed class PathGuard
{
    private readonly IReadOnlyList<string> _roots;

    /// <summary>A guard over the given roots (made absolute, links resolved).</summary>
    public PathGuard(IEnumerable<string> roots) => _roots = roots.Select(r => RealPath(Path.GetFullPath(r))).Distinct().ToList();

    /// <summary>The roots, as resolved.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>The real absolute path of <paramref name="input"/> when it lies inside a root; otherwise an error naming the problem.</summary>
    public (string? Path, string? Error) Confine(string? input, string relativeTo)
    {
        if (string.IsNullOrWhiteSpace(input)) return (null, "give a folder path.");
        if (input.IndexOf('\0') >= 0) return (null, "the path contains a NUL character.");
        // A ".." segment is refused outright: a clinician never needs one, and it is how traversal starts.
        var segments = input.Split('/', '\\');
        if (segments.Contains("..")) return (null, "the path must not contain '..'; give the folder's full path.");
        string full;
        try { full = RealPath(Path.GetFullPath(input, relativeTo)); }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return (null, "the path is not valid.");
        }
        return Inside(full) ? (full, null) : (null, "the path lies outside the workspace and the folders allowed with 'clinforge serve --allow DIR'.");
    }

    /// <summary>Whether an absolute, resolved path lies inside one of the roots.</summary>
    public bool Inside(string full) => _roots.Any(r => full == r || full.StartsWith(r.EndsWith('/') ? r : r + "/", StringComparison.Ordinal));

    /// <summary>The path with every symbolic link on it followed (parts that do not exist yet stay as written).</summary>
    public static string RealPath(string full, int depth = 0)
    {
        if (depth > 32) throw new IOException("too many symbolic links");
        var root = Path.GetPathRoot(full) ?? "/";
        var current = root;
        foreach (var part in full[root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null) continue;
            // The target's own parents may be links too.
            current = RealPath(Path.GetFullPath(target.FullName), depth + 1);
        }
        return current;
    }
}
