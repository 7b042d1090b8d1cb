using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Decodes items once at the working resolution into a <see cref="PixelStore"/>, in parallel. Given a
/// folder (a run's <c>cache/</c>), the store is a memory-mapped file named by a hash of what determines
/// its bytes (the dataset, the items in order, the size and channels), so every trial and fold of the
/// run that asks for the same images maps the same file instead of decoding again; without a folder a
/// small set stays in memory and a large one goes to an anonymous mapped file.
/// </summary>
public static class ImageCache
{
    /// <summary>Largest set held in a managed array when no cache folder is given.</summary>
    public const long MaxInMemoryBytes = 1L << 30;

    // Part of every cache key: bump when the decoder or the resize changes what bytes an image gives.
    private const string DecoderVersion = "decode-v1 box-down bilinear-up centre-crop round-255";

    /// <summary>
    /// Images as bytes [N, C, size, size] and labels as class indices, in the order of <paramref name="items"/>;
    /// without <paramref name="cacheFolder"/>, sets above <paramref name="maxInMemoryBytes"/> go to an anonymous mapped file.
    /// </summary>
    public static (PixelStore Pixels, int[] Labels) Load(Dataset ds, IReadOnlyList<DataItem> items, int size, int channels, string? cacheFolder = null,
        long maxInMemoryBytes = MaxInMemoryBytes)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(items);
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "size must be positive");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        var labels = items.Select(i => i.Label).ToArray();
        long per = (long)channels * size * size;
        long total = per * items.Count;
        if (cacheFolder is null && total <= Math.Min(maxInMemoryBytes, Array.MaxLength))
        {
            var data = new byte[total];
            Decode(ds, items, size, channels, (i, bytes) => bytes.CopyTo(data.AsSpan((int)(i * per), (int)per)));
            return (PixelStore.InMemory(data, items.Count, channels, size), labels);
        }
        string? file = cacheFolder is null ? null : Path.Combine(cacheFolder, FileName(ds, items, size, channels));
        if (file is not null && File.Exists(file))
        {
            try
            {
                var cached = PixelStore.Open(file);
                if (cached.Count == items.Count && cached.Channels == channels && cached.Size == size) return (cached, labels);
                cached.Dispose();
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // A damaged cache costs one decode, never a wrong image.
            }
            FileCleanup.TryDelete(file);
        }
        return (PixelStore.Create(file, items.Count, channels, size, write => Decode(ds, items, size, channels, write)), labels);
    }

    /// <summary>The cache file's name: resolution, channels and a hash of the dataset and items.</summary>
    public static string FileName(Dataset ds, IReadOnlyList<DataItem> items, int size, int channels)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(items);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => sha.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        Add(DecoderVersion);
        Add(ds.Source);
        Add(string.Create(CultureInfo.InvariantCulture, $"{size} {channels} {items.Count}"));
        foreach (var item in items) Add(item.Id);
        return string.Create(CultureInfo.InvariantCulture, $"images-{size}px-{channels}c-{Convert.ToHexStringLower(sha.GetHashAndReset())[..20]}.u8");
    }

    private static void Decode(Dataset ds, IReadOnlyList<DataItem> items, int size, int channels, Action<int, ReadOnlySpan<byte>> write)
    {
        int per = channels * size * size;
        try
        {
            Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => (Floats: new float[per], Bytes: new byte[per]),
                (i, _, buffers) =>
                {
                    var img = ds.Load(items[i]);
                    ImageOps.ToTensorChw(img, size, channels, buffers.Floats);
                    PixelStore.Quantise(buffers.Floats, buffers.Bytes);
                    write(i, buffers.Bytes);
                    return buffers;
                },
                _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<ClinforgeException>().FirstOrDefault() is { } first)
        {
            // Parallel.For wraps; the user needs the file and the remedy, not the wrapper.
            throw new ClinforgeException(first.Message, first.ExitCode);
        }
    }
}
