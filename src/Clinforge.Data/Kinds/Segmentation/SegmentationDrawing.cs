namespace Clinforge.Data;

/// <summary>
/// Draws label maps on images for a person to look at. Thin structures (vessels) are as wide as their
/// outline, so the pixels themselves are tinted. With a reference mask (the report): agreement in
/// bluish green, missed pixels (in the reference, not predicted) in vermillion, false pixels (predicted,
/// not in the reference) in sky blue — Okabe–Ito colours, told apart with common colour-vision
/// deficiencies (Okabe &amp; Ito 2008). Without one (<c>predict</c>): each label tinted in its colour with
/// its boundary drawn solid, so the outline stands out on any image.
/// </summary>
public static class SegmentationDrawing
{
    private static readonly (byte R, byte G, byte B) s_agree = (0, 158, 115), s_missed = (213, 94, 0), s_false = (86, 180, 233);

    private static readonly (byte R, byte G, byte B)[] s_labels =
    [
        (0, 158, 115), (230, 159, 0), (86, 180, 233), (204, 121, 167), (240, 228, 66), (0, 114, 178), (213, 94, 0),
    ];

    /// <summary>
    /// PNG of <paramref name="img"/> in grey (so the tints stand out on a red fundus or a pink lesion) with
    /// a prediction compared against the reference, pixel by pixel (any label counts as foreground);
    /// outside the region of interest the image is dimmed.
    /// </summary>
    public static byte[] Compare(RawImage img, ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, ReadOnlySpan<byte> region, int maxSide = 768)
    {
        ArgumentNullException.ThrowIfNull(img);
        var rgb = Rgb(img);
        for (int p = 0; p < rgb.Length; p += 3)
        {
            byte grey = (byte)Math.Round(0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2]);
            rgb[p] = rgb[p + 1] = rgb[p + 2] = grey;
        }
        int n = img.Width * img.Height;
        for (int p = 0; p < n; p++)
        {
            if (!region.IsEmpty && region[p] == 0) { Dim(rgb, p); continue; }
            bool t = truth[p] != 0, q = predicted[p] != 0;
            if (t && q) Tint(rgb, p, s_agree, 0.65);
            else if (t) Tint(rgb, p, s_missed, 0.85);
            else if (q) Tint(rgb, p, s_false, 0.85);
        }
        return ImageExport.ToPng(new RawImage(img.Width, img.Height, 3, rgb), maxSide);
    }

    /// <summary>PNG of <paramref name="img"/> with each predicted label tinted and its boundary drawn solid (label k in the k-th colour).</summary>
    public static byte[] Overlay(RawImage img, ReadOnlySpan<byte> labels)
    {
        ArgumentNullException.ThrowIfNull(img);
        var rgb = Rgb(img);
        int w = img.Width, h = img.Height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                byte k = labels[p];
                if (k == 0) continue;
                var colour = s_labels[(k - 1) % s_labels.Length];
                bool edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || labels[p - 1] != k || labels[p + 1] != k || labels[p - w] != k || labels[p + w] != k;
                Tint(rgb, p, colour, edge ? 1.0 : 0.45);
            }
        return ImageExport.ToPng(new RawImage(w, h, 3, rgb), Math.Max(w, h));
    }

    /// <summary>
    /// PNG of a label map as a mask file: each label index k written as the dataset's value
    /// <paramref name="values"/>[k − 1] (255 for a binary mask), background 0, at the image's size.
    /// </summary>
    public static byte[] Mask(ReadOnlySpan<byte> labels, int width, int height, IReadOnlyList<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var grey = new byte[width * height];
        for (int p = 0; p < grey.Length; p++)
            grey[p] = labels[p] == 0 ? (byte)0 : (byte)Math.Clamp(labels[p] - 1 < values.Count ? values[labels[p] - 1] : 255, 0, 255);
        // Written as is: any resampling would blur label values.
        using var image = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.L8>(grey, width, height);
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, ms);
        return ms.ToArray();
    }

    private static byte[] Rgb(RawImage img)
    {
        int n = img.Width * img.Height;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) rgb[i * 3 + c] = img.Pixels[i * img.Channels + (img.Channels == 3 ? c : 0)];
        return rgb;
    }

    private static void Tint(byte[] rgb, int p, (byte R, byte G, byte B) colour, double alpha)
    {
        rgb[p * 3] = (byte)(rgb[p * 3] * (1 - alpha) + colour.R * alpha);
        rgb[p * 3 + 1] = (byte)(rgb[p * 3 + 1] * (1 - alpha) + colour.G * alpha);
        rgb[p * 3 + 2] = (byte)(rgb[p * 3 + 2] * (1 - alpha) + colour.B * alpha);
    }

    private static void Dim(byte[] rgb, int p)
    {
        for (int c = 0; c < 3; c++) rgb[p * 3 + c] = (byte)(rgb[p * 3 + c] / 3);
    }
}
