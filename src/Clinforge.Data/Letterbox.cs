using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Where an image sits inside its letterboxed square: scaled by <see cref="Scale"/> (longer side to
/// the square's side) and centred with padding <see cref="PadX"/>, <see cref="PadY"/> (pixels).
/// Maps boxes between the image's normalised coordinates and the square's pixels.
/// </summary>
public sealed record LetterboxFrame(int Size, int Width, int Height, double Scale, double PadX, double PadY)
{
    /// <summary>A normalised box of the original image → pixels of the square.</summary>
    public (double X1, double Y1, double X2, double Y2) ToSquare(BoundingBox b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return (b.X1 * Width * Scale + PadX, b.Y1 * Height * Scale + PadY, b.X2 * Width * Scale + PadX, b.Y2 * Height * Scale + PadY);
    }

    /// <summary>Pixels of the square → a normalised box of the original image (clamped to it).</summary>
    public BoundingBox FromSquare(double x1, double y1, double x2, double y2, int cls, double score) => new(
        Math.Clamp((x1 - PadX) / (Width * Scale), 0, 1), Math.Clamp((y1 - PadY) / (Height * Scale), 0, 1),
        Math.Clamp((x2 - PadX) / (Width * Scale), 0, 1), Math.Clamp((y2 - PadY) / (Height * Scale), 0, 1), cls, score);
}

/// <summary>
/// Letterbox resize for detection (as in YOLO pipelines): the whole image is kept (no crop, which
/// could cut a finding off) and its aspect ratio preserved, the rest of the square padded with the
/// image mean. Shrinking averages the covered source pixels (a box filter), enlarging samples the
/// nearest pixel.
/// </summary>
public static class Letterbox
{
    /// <summary>The frame of an image of <paramref name="width"/> × <paramref name="height"/> in a square of <paramref name="size"/>.</summary>
    public static LetterboxFrame Frame(int width, int height, int size)
    {
        double scale = (double)size / Math.Max(width, height);
        int w = Math.Max(1, (int)Math.Round(width * scale)), h = Math.Max(1, (int)Math.Round(height * scale));
        return new LetterboxFrame(size, width, height, scale, (size - w) / 2, (size - h) / 2);
    }

    /// <summary>Writes the letterboxed image as float CHW in [0, 1] into <paramref name="destination"/> (channels × size × size); returns its frame.</summary>
    public static LetterboxFrame ToTensorChw(RawImage img, int size, int channels, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        if (destination.Length != channels * size * size) throw new ArgumentException($"destination holds {destination.Length} floats, expected {channels * size * size}", nameof(destination));
        var frame = Frame(img.Width, img.Height, size);
        int w = (int)Math.Round(img.Width * frame.Scale), h = (int)Math.Round(img.Height * frame.Scale);
        int px = (int)frame.PadX, py = (int)frame.PadY, cin = img.Channels, plane = size * size;
        var sums = new double[3];
        double[] mean = new double[channels];
        var src = img.Pixels;
        for (int oy = 0; oy < h; oy++)
        {
            int y0 = (int)(oy / frame.Scale), y1 = Math.Max(y0 + 1, Math.Min(img.Height, (int)((oy + 1) / frame.Scale)));
            for (int ox = 0; ox < w; ox++)
            {
                int x0 = (int)(ox / frame.Scale), x1 = Math.Max(x0 + 1, Math.Min(img.Width, (int)((ox + 1) / frame.Scale)));
                sums[0] = sums[1] = sums[2] = 0;
                for (int y = y0; y < y1; y++)
                {
                    int row = y * img.Width * cin;
                    for (int x = x0; x < x1; x++)
                        for (int c = 0; c < cin; c++) sums[c] += src[row + x * cin + c];
                }
                double count = (y1 - y0) * (x1 - x0) * 255.0;
                int o = (oy + py) * size + ox + px;
                if (channels == cin)
                {
                    for (int c = 0; c < cin; c++) destination[c * plane + o] = (float)(sums[c] / count);
                }
                else if (channels == 3)
                {
                    for (int c = 0; c < 3; c++) destination[c * plane + o] = (float)(sums[0] / count);
                }
                else
                {
                    destination[o] = (float)((0.299 * sums[0] + 0.587 * sums[1] + 0.114 * sums[2]) / count);
                }
                for (int c = 0; c < channels; c++) mean[c] += destination[c * plane + o];
            }
        }
        // Padding takes the image's mean so the border carries no edge the model could mistake for a finding.
        for (int c = 0; c < channels; c++)
        {
            float fill = (float)(mean[c] / Math.Max(1, w * h));
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    if (y < py || y >= py + h || x < px || x >= px + w) destination[c * plane + y * size + x] = fill;
        }
        return frame;
    }

    /// <summary>Loads and letterboxes items in parallel: pixels [N, C, S, S] and each image's frame.</summary>
    public static (float[] Pixels, LetterboxFrame[] Frames) Load(Dataset ds, IReadOnlyList<DataItem> items, int size, int channels)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(items);
        int per = channels * size * size;
        var pixels = new float[(long)items.Count * per];
        var frames = new LetterboxFrame[items.Count];
        Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => frames[i] = ToTensorChw(ds.Load(items[i]), size, channels, pixels.AsSpan(i * per, per)));
        return (pixels, frames);
    }
}
