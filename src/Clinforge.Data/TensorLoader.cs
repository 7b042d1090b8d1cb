using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Loads items for training or evaluation: each image is decoded and resized exactly once, in parallel,
/// into one contiguous float array shaped [N, C, size, size] (values in [0, 1]).
/// </summary>
public static class TensorLoader
{
    /// <summary>Pixels as [N, C, size, size] floats and labels as class indices, in the order of <paramref name="items"/>.</summary>
    public static (float[] Pixels, int[] Labels) Load(Dataset ds, IReadOnlyList<DataItem> items, int size, int channels)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(items);
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "size must be positive");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        var per = (long)channels * size * size;
        var total = per * items.Count;
        if (total > Array.MaxLength)
        {
            throw new ClinforgeException($"{ds.Source}: {items.Count} images at {size}x{size}x{channels} need {total} floats, more than one array holds. Use a smaller input size or fewer images.");
        }
        var pixels = new float[total];
        var labels = new int[items.Count];
        try
        {
            Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                var img = ds.Load(items[i]);
                ImageOps.ToTensorChw(img, size, channels, pixels.AsSpan((int)(i * per), (int)per));
                labels[i] = items[i].Label;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<ClinforgeException>().FirstOrDefault() is { } first)
        {
            // Parallel.For wraps; the user needs the file and the remedy, not the wrapper.
            throw new ClinforgeException(first.Message, first.ExitCode);
        }
        return (pixels, labels);
    }
}
