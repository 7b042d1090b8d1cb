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
}
