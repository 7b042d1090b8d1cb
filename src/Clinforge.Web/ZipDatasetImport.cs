using System.Globalization;
using System.IO.Compression;
using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Web;

/// <summary>Limits on an uploaded zip of images (each refusal names the limit).</summary>
public sealed record ZipLimits(
    // The zip file itself.
    long MaxZipBytes = 200L * 1024 * 1024,
    // All entries once extracted, counted while extracting (headers can lie).
    long MaxExtractedBytes = 2L * 1024 * 1024 * 1024,
    int MaxEntries = 50_000,
    // Uncompressed ÷ compressed size of one entry: images barely compress, so a ratio above this is a zip bomb.
    double MaxCompressionRatio = 100);

/// <summary>
/// Turns an uploaded zip into a registered dataset: every entry is checked before anything is
/// trusted (zip-slip paths, entry count, sizes, compression ratio, file type by extension and first
/// bytes), the files are extracted into a hidden staging folder under WORKSPACE/datasets/uploads,
/// the folder is opened with the same reader <c>develop</c> uses, and only then is it renamed to its
/// final name and added to the dataset library. A refused zip leaves nothing behind.
/// </summary>
public static class ZipDatasetImport
{
    private static readonly HashSet<string> s_images = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp" };
    // Label files that dataset folders carry: CSV labels, YOLO/polygon rows, COCO JSON, data.yaml.
    private static readonly HashSet<string> s_text = new(StringComparer.OrdinalIgnoreCase) { ".csv", ".txt", ".json", ".yaml", ".yml" };

    /// <summary>The folder uploads are extracted under.</summary>
    public static string UploadsDir(string workspace) => Path.Combine(workspace, "datasets", "uploads");

    /// <summary>
    /// Imports the zip at <paramref name="zipPath"/> as dataset <paramref name="name"/>; returns the
    /// library entry. Throws <see cref="ClinforgeException"/> naming the entry and the problem.
    /// </summary>
    public static LibraryEntry Import(string zipPath, string name, string workspace, ZipLimits limits, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
            throw new ClinforgeException($"dataset name '{name}': use 1 to 64 letters, digits, '-', '_' or '.' (not starting with '.').");
        var size = new FileInfo(zipPath).Length;
        if (size > limits.MaxZipBytes) throw new ClinforgeException($"the zip is {Mb(size)}; at most {Mb(limits.MaxZipBytes)} can be uploaded. Register larger data with 'clinforge data add'.");
        var uploads = UploadsDir(workspace);
        Directory.CreateDirectory(uploads);
        var staging = Path.Combine(uploads, ".partial-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            int images = Extract(zipPath, staging, limits);
            if (images == 0) throw new ClinforgeException("the zip holds no images (PNG, JPEG, BMP, TIFF, GIF or WebP).");
            // A zip of one folder (the usual way to zip a dataset) is that folder.
            var top = Directory.GetDirectories(staging);
            string relativeRoot = top.Length == 1 && Directory.GetFiles(staging).Length == 0 ? Path.GetFileName(top[0]) : "";
            Dataset dataset;
            try { dataset = DatasetReader.Open(Path.Combine(staging, relativeRoot)); }
            catch (ClinforgeException e) { throw new ClinforgeException("the zip's images are not a dataset Clinforge can read: " + e.Message.Replace(staging, "the zip", StringComparison.Ordinal)); }
            var final = Path.Combine(uploads, $"{name}-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
            if (Directory.Exists(final)) throw new ClinforgeException($"an upload named '{name}' was made this very second; try again.");
            // The rename is the moment the dataset becomes visible: it is complete or absent.
            Directory.Move(staging, final);
            var root = Path.Combine(final, relativeRoot);
            var counts = dataset.Classes.Select((c, i) => (c, dataset.Items.Count(x => x.Label == i))).ToDictionary(x => x.c, x => x.Item2);
            var entry = new LibraryEntry(name, root, dataset.Format, dataset.Classes, counts, dataset.Items.Count, "uploaded as a zip in the web app", now);
            new DatasetLibrary(workspace).Add(entry);
            return entry;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Checks every entry, then extracts them with counted bytes; returns the number of images.</summary>
    private static int Extract(string zipPath, string staging, ZipLimits limits)
    {
        ZipArchive archive;
        try { archive = ZipFile.OpenRead(zipPath); }
        catch (InvalidDataException) { throw new ClinforgeException("the upload is not a readable zip file."); }
        using (archive)
        {
            if (archive.Entries.Count > limits.MaxEntries)
                throw new ClinforgeException($"the zip holds {archive.Entries.Count} entries; at most {limits.MaxEntries} are accepted.");
            var files = new List<(ZipArchiveEntry Entry, string Target)>();
            long declared = 0;
            var root = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
            foreach (var entry in archive.Entries)
            {
                var name = entry.FullName.Replace('\\', '/');
                // Zip-slip (Snyk 2018): an absolute name or a ".." segment would write outside the folder.
                var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (name.StartsWith('/') || name.Contains(':', StringComparison.Ordinal) || segments.Any(x => x == ".."))
                    throw new ClinforgeException($"zip entry '{name}' points outside the zip's own folder; the zip was refused.");
                var target = Path.GetFullPath(Path.Combine(staging, Path.Combine(segments)));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                    throw new ClinforgeException($"zip entry '{name}' points outside the zip's own folder; the zip was refused.");
                if (name.EndsWith('/')) continue; // a folder
                // Hidden files and macOS resource forks are not data.
                if (segments.Any(x => x.StartsWith('.') || x == "__MACOSX")) continue;
                var ext = Path.GetExtension(name);
                if (!s_images.Contains(ext) && !s_text.Contains(ext))
                    throw new ClinforgeException($"zip entry '{name}': only images ({string.Join(" ", s_images.Order(StringComparer.Ordinal))}) and label files ({string.Join(" ", s_text.Order(StringComparer.Ordinal))}) are accepted.");
                if (entry.Length > 0 && entry.CompressedLength > 0 && (double)entry.Length / entry.CompressedLength > limits.MaxCompressionRatio)
                    throw new ClinforgeException($"zip entry '{name}' expands {entry.Length / Math.Max(entry.CompressedLength, 1)} times; more than {limits.MaxCompressionRatio:0} times is refused as a possible zip bomb.");
                declared += entry.Length;
                if (declared > limits.MaxExtractedBytes)
                    throw new ClinforgeException($"the zip expands to more than {Mb(limits.MaxExtractedBytes)}; that is the most accepted.");
                files.Add((entry, target));
            }

            long written = 0;
            int images = 0;
            var buffer = new byte[81920];
            foreach (var (entry, target) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    using var input = entry.Open();
                    using var output = File.Create(target);
                    long mine = 0;
                    uint crc = Crc32.Start;
                    int n;
                    while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        mine += n; written += n;
                        // Counted, not trusted: a header that under-states the size stops here.
                        if (mine > entry.Length || written > limits.MaxExtractedBytes)
                            throw new ClinforgeException($"zip entry '{entry.FullName}' is larger than its header says; the zip was refused.");
                        crc = Crc32.Update(crc, buffer.AsSpan(0, n));
                        output.Write(buffer, 0, n);
                    }
                    // A reader that stops where the header says would cut a longer entry silently: the size and the
                    // CRC-32 of what was read must both be the header's (APPNOTE 4.4.7, 4.4.9).
                    if (mine != entry.Length || Crc32.Finish(crc) != entry.Crc32)
                        throw new ClinforgeException($"zip entry '{entry.FullName}' does not match its header (the header says {entry.Length} bytes; the data read differs in size or checksum); the zip was refused.");
                }
                catch (InvalidDataException)
                {
                    throw new ClinforgeException($"zip entry '{entry.FullName}' is damaged or does not match its header; the zip was refused.");
                }
                if (s_images.Contains(Path.GetExtension(target)))
                {
                    if (!LooksLikeImage(target)) throw new ClinforgeException($"zip entry '{entry.FullName}' is named like an image but its content is not one.");
                    images++;
                }
                else if (!LooksLikeText(target)) throw new ClinforgeException($"zip entry '{entry.FullName}' is named like a text label file but holds binary data.");
            }
            return images;
        }
    }

    private static bool LooksLikeImage(string path)
    {
        Span<byte> head = stackalloc byte[12];
        using var f = File.OpenRead(path);
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var h = head[..n];
        return ImageUpload.Extension(h) is not null
            || h.StartsWith("BM"u8) || h.StartsWith("GIF8"u8)
            || h.StartsWith(new byte[] { 0x49, 0x49, 0x2A, 0x00 }) || h.StartsWith(new byte[] { 0x4D, 0x4D, 0x00, 0x2A })
            || (h.StartsWith("RIFF"u8) && n >= 12 && h[8..12].SequenceEqual("WEBP"u8));
    }

    private static bool LooksLikeText(string path)
    {
        var head = new byte[4096];
        using var f = File.OpenRead(path);
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Array.IndexOf(head, (byte)0, 0, n) < 0;
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB");
}
