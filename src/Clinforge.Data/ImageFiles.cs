using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>Which files count as images, and which files and folders are hidden from readers.</summary>
internal static class ImageFiles
{
    /// <summary>Extensions the readers pick up (what ImageSharp 2 decodes), besides DICOM and NIfTI (<see cref="MedicalFiles"/>).</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"];

    /// <summary>Extensions tried, in order, when a CSV names an image without one.</summary>
    public static readonly string[] CsvGuessExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".nii.gz", ".nii"];

    public static bool HasImageExtension(string path)
    {
        if (MedicalFiles.IsMedical(path)) return true;
        var ext = Path.GetExtension(path);
        foreach (var e in Extensions)
        {
            if (string.Equals(ext, e, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>
    /// Dot-files (".DS_Store", "._x.png" from macOS archives), "__MACOSX" folders and Windows thumbnails are
    /// artefacts of copying, not data.
    /// </summary>
    public static bool IsHidden(string name) =>
        name.StartsWith('.') || name.Equals("__MACOSX", StringComparison.OrdinalIgnoreCase)
                             || name.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase);

    /// <summary>Image files below a folder, recursively, skipping hidden files and folders; sorted ordinally.</summary>
    public static List<string> EnumerateImages(string dir) => EnumerateImages(dir, dir, []);

    /// <summary>
    /// Image files below <paramref name="dir"/>, a folder of the dataset rooted at <paramref name="root"/>.
    /// Symbolic links are followed only while they stay inside the root (or an allowed root) and reach a
    /// folder not seen before: a link that leaves the root, or that loops (<c>benign/loop -> ..</c>) or
    /// reaches a folder a second time (and would label its images twice), is refused with a
    /// <see cref="ClinforgeException"/>. <paramref name="visited"/> holds the real folders already walked;
    /// sharing it across class folders catches a link from one class folder into another.
    /// </summary>
    public static List<string> EnumerateImages(string dir, string root, HashSet<string> visited)
    {
        ArgumentNullException.ThrowIfNull(visited);
        var result = new List<string>();
        var realRoot = Confinement.RealPath(Path.GetFullPath(root));
        string realDir;
        try { realDir = Confinement.RealPath(Path.GetFullPath(dir)); }
        catch (IOException) { throw new ClinforgeException($"{dir}: reached through a loop of symbolic links; remove the link."); }
        Walk(dir, realDir, root, realRoot, visited, result);
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    public static List<string> VisibleSubfolders(string dir)
    {
        var list = Directory.EnumerateDirectories(dir).Where(d => !IsHidden(Path.GetFileName(d))).ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    /// <summary>Path relative to <paramref name="root"/> with '/' separators, so ids read the same on every OS.</summary>
    public static string RelativeId(string root, string path) =>
        Path.GetRelativePath(root, path).Replace('\\', '/');

    private static void Walk(string dir, string realDir, string root, string realRoot, HashSet<string> visited, List<string> result)
    {
        if (!visited.Add(realDir))
            throw new ClinforgeException($"{dir}: this folder is reached a second time through a symbolic link (a loop, or a link into another folder of the dataset), so its images would be counted twice or under the wrong class. Remove the link.");
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (IsHidden(name)) continue;
            bool link = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
            if (entry is DirectoryInfo)
            {
                var real = link ? Resolve(entry.FullName, root, realRoot) : Path.Combine(realDir, name);
                if (link && (realDir == real || realDir.StartsWith(real + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                    throw new ClinforgeException($"{entry.FullName}: a symbolic link to a folder that contains it (a loop); its images would be counted again and again. Remove the link.");
                Walk(entry.FullName, real, root, realRoot, visited, result);
            }
            else if (HasImageExtension(name))
            {
                if (link) Resolve(entry.FullName, root, realRoot);
                result.Add(entry.FullName);
            }
        }
    }

    /// <summary>A link's final target, refused when it loops or leaves the dataset's root.</summary>
    private static string Resolve(string link, string root, string realRoot)
    {
        string real;
        try { real = Confinement.RealPath(link); }
        catch (IOException) { throw new ClinforgeException($"{link}: a loop of symbolic links; remove the link."); }
        if (!Confinement.Inside(real, realRoot) && !Confinement.Inside(real, root))
            throw new ClinforgeException($"{link}: a symbolic link that leads outside the dataset folder {root}; data are read only inside it. Copy the files in, or name the other folder with --allow-root.");
        return real;
    }
}

/// <summary>Augmented exports: several transformed copies of one source image, to be kept in one split.</summary>
public static class AugmentedExport
{
    /// <summary>The group name given to augmented copies of one source image (<see cref="SourceOf"/>).</summary>
    public const string GroupName = "source image";

    /// <summary>
    /// The source image an augmented export's file is a copy of: Roboflow names each copy
    /// <c>&lt;source&gt;.rf.&lt;hex hash&gt;.&lt;ext&gt;</c>; null for any other name.
    /// </summary>
    public static string? SourceOf(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var stem = Path.GetFileNameWithoutExtension(fileName);
        int at = stem.LastIndexOf(".rf.", StringComparison.Ordinal);
        if (at <= 0) return null;
        var hash = stem[(at + 4)..];
        return hash.Length >= 16 && hash.All(char.IsAsciiHexDigit) ? stem[..at] : null;
    }
}
