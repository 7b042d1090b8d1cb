using System.Globalization;

namespace Clinforge.Data;

/// <summary>
/// Process-wide limits on what the readers accept: the largest image (checked from the file's header
/// before any pixel is decoded) and the folders, besides a dataset's own root, that its files may lie
/// in. Both start from environment variables so the trial processes a run starts inherit what the
/// user gave on the command line (<c>--max-image-pixels</c>, <c>--allow-root</c>).
/// </summary>
public static class DataLimits
{
    /// <summary>Environment variable holding the pixel limit (width × height).</summary>
    public const string MaxPixelsVariable = "CLINFORGE_MAX_IMAGE_PIXELS";

    /// <summary>Environment variable holding extra data roots, separated by <see cref="Path.PathSeparator"/>.</summary>
    public const string AllowRootsVariable = "CLINFORGE_ALLOW_ROOTS";

    /// <summary>
    /// The default pixel limit: 64 megapixels (8000 × 8000), far above a mammogram or a chest X-ray, well
    /// below what exhausts memory when decoded (a 20000 × 20000 PNG of a few hundred KB needs over 1 GB).
    /// </summary>
    public const long DefaultMaxPixels = 64_000_000;

    /// <summary>Images narrower or lower than this (a single row or column, a 1×1 dot) hold no shape to learn and are refused.</summary>
    public const int MinSide = 2;

    private static long s_maxPixels = ReadMaxPixels();
    private static IReadOnlyList<string> s_extraRoots = ReadRoots();

    /// <summary>The largest image accepted, in pixels (width × height).</summary>
    public static long MaxPixels => Volatile.Read(ref s_maxPixels);

    /// <summary>Folders besides a dataset's own root that its files may lie in: each as given (absolute) and with its links resolved.</summary>
    public static IReadOnlyList<string> ExtraRoots => Volatile.Read(ref s_extraRoots);

    /// <summary>Sets the pixel limit for this process and the processes it starts.</summary>
    public static void SetMaxPixels(long pixels)
    {
        if (pixels <= 0) throw new ArgumentOutOfRangeException(nameof(pixels));
        Volatile.Write(ref s_maxPixels, pixels);
        Environment.SetEnvironmentVariable(MaxPixelsVariable, pixels.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Adds folders the data may lie in, for this process and the processes it starts.</summary>
    public static void AllowRoots(IEnumerable<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        // Both forms: a file named through the root as the user wrote it (a link to a shared disk, say) passes
        // the lexical check, and the same file with its links followed passes the real-path check.
        var all = ExtraRoots.Concat(roots.SelectMany(r => new[] { Path.GetFullPath(r), Confinement.RealPath(Path.GetFullPath(r)) })).Distinct(StringComparer.Ordinal).ToList();
        Volatile.Write(ref s_extraRoots, all);
        Environment.SetEnvironmentVariable(AllowRootsVariable, all.Count == 0 ? null : string.Join(Path.PathSeparator, all));
    }

    /// <summary>Back to the defaults (tests).</summary>
    internal static void Reset()
    {
        Volatile.Write(ref s_maxPixels, DefaultMaxPixels);
        Volatile.Write(ref s_extraRoots, []);
    }

    private static long ReadMaxPixels() =>
        long.TryParse(Environment.GetEnvironmentVariable(MaxPixelsVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : DefaultMaxPixels;

    private static IReadOnlyList<string> ReadRoots() =>
        (Environment.GetEnvironmentVariable(AllowRootsVariable) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
}
