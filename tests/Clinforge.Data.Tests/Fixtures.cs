using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Data.Tests;

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("clinforge-data-tests-").FullName;

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; a failing Dispose would hide the test's real result.
        }
    }
}

/// <summary>Writes small images, CSVs and .npz files for tests.</summary>
public static class Fixtures
{
    /// <summary>Deterministic pseudo-random pixels.</summary>
    public static RawImage RandomImage(int width, int height, int channels, int seed)
    {
        var pixels = new byte[width * height * channels];
        new Random(seed).NextBytes(pixels);
        return new RawImage(width, height, channels, pixels);
    }

    /// <summary>Writes an image in the format the extension names (png, jpg, bmp, tif, gif); grey images are written as 8-bit grey.</summary>
    public static string Write(string path, RawImage img)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using Image image = img.Channels == 1
            ? Image.LoadPixelData<L8>(img.Pixels, img.Width, img.Height)
            : Image.LoadPixelData<Rgb24>(img.Pixels, img.Width, img.Height);
        image.Save(path);
        return path;
    }

    /// <summary>Writes a random image; the seed is derived from the path so every file differs.</summary>
    public static string WriteRandom(string path, int width = 12, int height = 12, int channels = 3) =>
        Write(path, RandomImage(width, height, channels, StringComparer.Ordinal.GetHashCode(path) & 0x7FFFFFFF));

    public static string WriteText(string path, string text)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A .npy file's bytes (format version 1 or 2).</summary>
    public static byte[] Npy(string descr, long[] shape, byte[] data, int version = 1)
    {
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        var prefix = version == 1 ? 10 : 12;
        var total = prefix + dict.Length + 1;
        var padded = dict + new string(' ', (64 - total % 64) % 64) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        var len = new byte[version == 1 ? 2 : 4];
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)padded.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)padded.Length);
        ms.Write(len);
        ms.Write(Encoding.ASCII.GetBytes(padded));
        ms.Write(data);
        return ms.ToArray();
    }

    /// <summary>Labels as little-endian int64, the dtype numpy gives integer arrays by default.</summary>
    public static byte[] Int64Labels(IReadOnlyList<int> labels)
    {
        var bytes = new byte[labels.Count * 8];
        for (var i = 0; i < labels.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), labels[i]);
        return bytes;
    }

    /// <summary>An .npz (zip of named .npy arrays), deflate-compressed like numpy.savez_compressed.</summary>
    public static string WriteNpz(string path, IReadOnlyDictionary<string, byte[]> arrays)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in arrays)
        {
            using var s = zip.CreateEntry(name + ".npy", CompressionLevel.Fastest).Open();
            s.Write(bytes);
        }
        return path;
    }

    /// <summary>
    /// The shared data folder (../shared/data beside the checkout, found by walking up to Clinforge.sln),
    /// or null when it is absent: tests that need it then pass after saying they were skipped.
    /// </summary>
    public static string? SharedData()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Clinforge.sln"))) dir = dir.Parent;
        if (dir?.Parent is null) return null;
        var data = System.IO.Path.Combine(dir.Parent.FullName, "shared", "data");
        return Directory.Exists(data) ? data : null;
    }

    /// <summary>The path of a shared data file or folder, or null after writing a SKIPPED message.</summary>
    public static string? SharedFile(ITestOutputHelper output, string relative)
    {
        var data = SharedData();
        var path = data is null ? null : System.IO.Path.Combine(data, relative);
        if (path is null || !(File.Exists(path) || Directory.Exists(path)))
        {
            output.WriteLine($"SKIPPED: {relative} not found under ../shared/data beside the checkout; this test needs the real data.");
            return null;
        }
        return path;
    }

    /// <summary>A memory dataset of 1x1 grey images, for splitter tests.</summary>
    public static Dataset MemoryDataset(IReadOnlyList<DataItem> items, int classCount, IReadOnlyDictionary<string, string>? official = null, string? groupColumn = null)
    {
        var images = items.Select((_, i) => new RawImage(1, 1, 1, [(byte)(i % 256)])).ToList();
        var classes = Enumerable.Range(0, classCount).Select(c => $"c{c}").ToList();
        return Dataset.InMemory("memory://test", classes, items, images, official, groupColumn);
    }
}
