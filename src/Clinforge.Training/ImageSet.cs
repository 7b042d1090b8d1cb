using Clinforge.Data;

namespace Clinforge.Training;

/// <summary>
/// Images decoded and resized once (bytes [N, C, S, S] in a <see cref="PixelStore"/>, in memory or
/// memory-mapped), with their labels and item ids in the same order.
/// </summary>
public sealed record ImageSet(PixelStore Pixels, int[] Labels, IReadOnlyList<string> Ids)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image.</summary>
    public int Channels => Pixels.Channels;

    /// <summary>Side of the square images, in pixels.</summary>
    public int Size => Pixels.Size;

    /// <summary>A set held in memory from values in [0, 1], [N, C, S, S] (rounded to bytes as decoded images are).</summary>
    public static ImageSet FromUnitFloats(float[] values, int[] labels, int channels, int size, IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(labels);
        return new ImageSet(PixelStore.FromUnitFloats(values, labels.Length, channels, size), labels, ids);
    }

    /// <summary>Largest subset kept in a managed array; a larger one goes to an anonymous memory-mapped file.</summary>
    public const long MaxInMemorySubsetBytes = 1L << 30;

    /// <summary>
    /// The images at <paramref name="indices"/>, in that order, as a set of their own (a cross-validation
    /// fold): the bytes are copied once, so the fold's batches read contiguous memory. Dispose its pixels.
    /// </summary>
    public ImageSet Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        long per = Pixels.BytesPerImage;
        var labels = indices.Select(i => Labels[i]).ToArray();
        var ids = indices.Select(i => Ids[i]).ToArray();
        if (per * indices.Count <= MaxInMemorySubsetBytes)
        {
            var data = new byte[per * indices.Count];
            Pixels.Gather(indices.Select(i => (long)i).ToArray(), data);
            return new ImageSet(PixelStore.InMemory(data, indices.Count, Channels, Size), labels, ids);
        }
        var store = PixelStore.Create(null, indices.Count, Channels, Size, write =>
        {
            var image = new byte[per];
            for (int k = 0; k < indices.Count; k++)
            {
                Pixels.Read(indices[k], image);
                write(k, image);
            }
        });
        return new ImageSet(store, labels, ids);
    }
}
