using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Training;

/// <summary>Images for items of a dataset, decoded and resized once at the recipe's resolution.</summary>
public static class ImageSets
{
    /// <summary>
    /// Decodes the items once into bytes: in memory, or with <paramref name="cacheFolder"/> into a
    /// memory-mapped file there that later trials asking for the same images map again (ImageCache).
    /// </summary>
    public static ImageSet Load(Dataset ds, IReadOnlyList<DataItem> items, InputSpec input, string? cacheFolder = null)
    {
        var (pixels, labels) = ImageCache.Load(ds, items, input.Size, input.Channels, cacheFolder);
        return new ImageSet(pixels, labels, items.Select(i => i.Id).ToArray());
    }
}
