namespace Clinforge.Data;

/// <summary>
/// Draws a saliency heat map over the image region a model saw. The model's input is the centre
/// square of the image (see <see cref="ImageOps.ToTensorChw(RawImage,int,int)"/>), so the overlay shows
/// that square; the heat map is upsampled bilinearly and blended with a dark-red-to-yellow ramp whose
/// opacity grows with the heat, so cold regions keep the original pixels visible.
/// </summary>
public static class SaliencyOverlay
{
    /// <summary>Highest opacity of the heat colour (at heat 1): the anatomy underneath stays readable.</summary>
    public const double MaxOpacity = 0.6;

    /// <summary>
    /// RGB pixels (side × side × 3) of the centre square of <paramref name="img"/> with
    /// <paramref name="heat"/> (heatSize × heatSize, row-major, values in [0, 1]) blended over it.
    /// </summary>
    public static RawImage Render(RawImage img, IReadOnlyList<float> heat, int heatSize, int side)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(heat);
        if (heatSize < 1 || heat.Count != heatSize * heatSize)
            throw new ArgumentException($"heat map has {heat.Count} values, expected {heatSize}x{heatSize}", nameof(heat));
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), side, "side must be positive");
        int crop = Math.Min(img.Width, img.Height), x0 = (img.Width - crop) / 2, y0 = (img.Height - crop) / 2;
        var rgb = new byte[side * side * 3];
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
        {
            // Nearest source pixel for the image (crisp when enlarging small images), bilinear for the heat.
            int sx = x0 + Math.Min(crop - 1, (int)((x + 0.5) * crop / side));
            int sy = y0 + Math.Min(crop - 1, (int)((y + 0.5) * crop / side));
            int si = (sy * img.Width + sx) * img.Channels;
            double h = Bilinear(heat, heatSize, (x + 0.5) * heatSize / side - 0.5, (y + 0.5) * heatSize / side - 0.5);
            var (hr, hg, hb) = Ramp(h);
            double a = MaxOpacity * h;
            int o = (y * side + x) * 3;
            for (int c = 0; c < 3; c++)
            {
                double v = img.Pixels[si + (img.Channels == 3 ? c : 0)];
                double hc = c == 0 ? hr : c == 1 ? hg : hb;
                rgb[o + c] = (byte)Math.Clamp(Math.Round((1 - a) * v + a * hc), 0, 255);
            }
        }
        return new RawImage(side, side, 3, rgb);
    }

    private static double Bilinear(IReadOnlyList<float> m, int n, double fx, double fy)
    {
        fx = Math.Clamp(fx, 0, n - 1); fy = Math.Clamp(fy, 0, n - 1);
        int x0 = (int)fx, y0 = (int)fy, x1 = Math.Min(x0 + 1, n - 1), y1 = Math.Min(y0 + 1, n - 1);
        double tx = fx - x0, ty = fy - y0;
        double top = m[y0 * n + x0] * (1 - tx) + m[y0 * n + x1] * tx;
        double bottom = m[y1 * n + x0] * (1 - tx) + m[y1 * n + x1] * tx;
        return Math.Clamp(top * (1 - ty) + bottom * ty, 0, 1);
    }

    // Dark red → red → yellow, like the "hot" colormap: monotone in lightness, so it also reads in grey print.
    private static (double R, double G, double B) Ramp(double h) =>
        h < 0.5 ? (128 + 254 * h, 0, 0) : (255, 510 * (h - 0.5), 0);
}
