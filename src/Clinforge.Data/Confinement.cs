namespace Clinforge.Data;

/// <summary>
/// Keeps the readers inside a dataset's root: a file a CSV names, and every folder or file reached
/// through a symbolic link, must lie under the root (or a root the user allowed with
/// <c>--allow-root</c>, <see cref="DataLimits.ExtraRoots"/>) once every link on its path is followed.
/// The check is made on the path before its existence is looked at, so a refusal says nothing about
/// what exists outside (the web app passes CSVs from uploads straight to these readers).
/// </summary>
public static class Confinement
{
    /// <summary>Whether an absolute, link-free path lies in <paramref name="root"/> or one of the extra roots.</summary>
    public static bool Inside(string real, string root)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(root);
        return Under(real, root) || DataLimits.ExtraRoots.Any(r => Under(real, r));
    }

    /// <summary>
    /// Why <paramref name="path"/> (absolute) may not be read as part of the dataset at
    /// <paramref name="root"/>, or null when it may. Lexically outside: refused without touching the
    /// file system; inside: every link on it is followed and the target must stay inside too.
    /// </summary>
    public static string? Refusal(string path, string root)
    {
        var realRoot = RealPath(Path.GetFullPath(root));
        var full = Path.GetFullPath(path);
        if (!Inside(full, root) && !Inside(full, realRoot)) return $"it lies outside the dataset folder {root}";
        string real;
        try { real = RealPath(full); }
        catch (IOException) { return "it is reached through a loop of symbolic links"; }
        return Inside(real, realRoot) || Inside(real, root) ? null : $"a symbolic link on it leads outside the dataset folder {root}";
    }

    /// <summary>The path with every symbolic link on it followed (parts that do not exist stay as written); a loop gives an <see cref="IOException"/>.</summary>
    public static string RealPath(string full, int depth = 0)
    {
        ArgumentNullException.ThrowIfNull(full);
        if (depth > 32) throw new IOException("too many symbolic links");
        var root = Path.GetPathRoot(full) ?? "/";
        var current = root;
        foreach (var part in full[root.Length..].Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is null) continue;
            // Resolve one hop at a time, so a loop is counted rather than left to the OS.
            var target = Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(current)!);
            current = RealPath(target, depth + 1);
        }
        return current;
    }

    private static bool Under(string path, string root)
    {
        var r = root.TrimEnd('/', '\\');
        if (r.Length == 0) return true;
        return path == r || path.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal) || path.StartsWith(r + '/', StringComparison.Ordinal);
    }
}
