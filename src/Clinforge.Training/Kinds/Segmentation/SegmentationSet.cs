using Clinforge.Core;
using Clinforge.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// Images of a segmentation split letterboxed to the working square with their label maps and the
/// pixels that count: <see cref="Pixels"/> [N, C, S, S] as bytes 0–255 (one byte per value, as the
/// classifier's image cache stores them: a quarter of the memory of floats, so four times the images
/// fit at one working size; batches are scaled and normalised as they are drawn), <see cref="Labels"/> [N, S, S]
/// (0 = background, k = label k), <see cref="Region"/> [N, S, S] (1 where a pixel lies inside the
/// image and its region of interest; the letterbox padding never counts).
/// </summary>
public sealed record SegmentationSet(byte[] Pixels, byte[] Labels, byte[] Region, LetterboxFrame[] Frames, int Channels, int Size, IReadOnlyList<string> Ids)
{
    /// <summary>Number of images.</summary>
    public int Count => Frames.Length;

    /// <summary>Pixels per image plane (S²).</summary>
    public int Plane => Size * Size;

    /// <summary>
    /// Loads the items at the recipe's resolution with their masks (nearest-neighbour, so labels stay
    /// labels), each image's contrast prepared as <paramref name="contrast"/> names.
    /// </summary>
    public static SegmentationSet Load(Dataset ds, IReadOnlyList<DataItem> items, InputSpec input, string contrast)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(input);
        var masks = ds.Segmentation ?? throw new ClinforgeException($"{ds.Source}: not a segmentation dataset (no masks were read).");
        int plane = input.Size * input.Size, per = input.Channels * plane;
        if ((long)items.Count * per > Array.MaxLength)
            throw new ClinforgeException($"{ds.Source}: {items.Count} images of {input.Channels}×{input.Size}² px exceed what one array holds ({Array.MaxLength:N0} values); lower input.size in the recipe.");
        var pixels = new byte[items.Count * per];
        var frames = new LetterboxFrame[items.Count];
        var labels = new byte[(long)items.Count * plane];
        var region = new byte[(long)items.Count * plane];
        Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new float[per], (i, _, buffer) =>
        {
            var f = frames[i] = Letterbox.ToTensorChw(ImageContrast.Prepare(ds.Load(items[i]), contrast), input.Size, input.Channels, buffer);
            var bytes = pixels.AsSpan(i * per, per);
            for (int k = 0; k < per; k++) bytes[k] = (byte)Math.Clamp((int)MathF.Round(buffer[k] * 255f), 0, 255);
            ToSquare(masks.Labels(items[i].Id), f, labels.AsSpan(i * plane, plane));
            var roi = masks.Region(items[i].Id);
            if (roi is null) InsideImage(f, region.AsSpan(i * plane, plane));
            else ToSquare(roi, f, region.AsSpan(i * plane, plane));
            return buffer;
        }, _ => { });
        return new SegmentationSet(pixels, labels, region, frames, input.Channels, input.Size, items.Select(i => i.Id).ToArray());
    }

    /// <summary>A full-resolution label map (row-major, the frame's width × height) into the letterboxed square by nearest neighbour; padding 0.</summary>
    public static void ToSquare(ReadOnlySpan<byte> map, LetterboxFrame frame, Span<byte> square)
    {
        ArgumentNullException.ThrowIfNull(frame);
        square.Clear();
        int size = frame.Size, w = (int)Math.Round(frame.Width * frame.Scale), h = (int)Math.Round(frame.Height * frame.Scale);
        int px = (int)frame.PadX, py = (int)frame.PadY;
        for (int oy = 0; oy < h; oy++)
        {
            int y = Math.Min(frame.Height - 1, (int)((oy + 0.5) / frame.Scale));
            for (int ox = 0; ox < w; ox++)
            {
                int x = Math.Min(frame.Width - 1, (int)((ox + 0.5) / frame.Scale));
                square[(oy + py) * size + ox + px] = map[y * frame.Width + x];
            }
        }
    }

    /// <summary>1 on the image's own pixels in the square, 0 on the padding.</summary>
    public static void InsideImage(LetterboxFrame frame, Span<byte> square)
    {
        ArgumentNullException.ThrowIfNull(frame);
        square.Clear();
        int size = frame.Size, w = (int)Math.Round(frame.Width * frame.Scale), h = (int)Math.Round(frame.Height * frame.Scale);
        int px = (int)frame.PadX, py = (int)frame.PadY;
        for (int oy = 0; oy < h; oy++) square.Slice((oy + py) * size + px, w).Fill(1);
    }

    /// <summary>The images as a uint8 tensor [N, C, S, S] (a copy, on the CPU); <see cref="Trainer.Normalize"/> turns a batch of it into the network's input.</summary>
    public Tensor PixelTensor() => tensor(Pixels, [Count, Channels, Size, Size]);

    /// <summary>Image <paramref name="i"/>'s label map in the square.</summary>
    public byte[] LabelsOf(int i) => Labels.AsSpan(i * Plane, Plane).ToArray();

    /// <summary>Image <paramref name="i"/>'s counted pixels in the square.</summary>
    public byte[] RegionOf(int i) => Region.AsSpan(i * Plane, Plane).ToArray();
}
