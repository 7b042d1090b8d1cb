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
    public static List<string> EnumerateImages(string dir)
    {
        var result = new List<string>();
        Walk(dir, result);
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

    private static void Walk(string dir, List<string> result)
    {
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(f);
            if (!IsHidden(name) && HasImageExtension(name)) result.Add(f);
        }
        foreach (var d in Directory.EnumerateDirectories(dir))
        {
            if (!IsHidden(Path.GetFileName(d))) Walk(d, result);
        }
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
