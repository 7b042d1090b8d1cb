namespace Clinforge.Data;

/// <summary>
/// Contrast-limited adaptive histogram equalisation (CLAHE; Zuiderveld 1994, "Graphics Gems IV"): each
/// channel is equalised in a grid of tiles, each tile's histogram clipped at <c>clipLimit</c> times the
/// uniform bin height with the excess spread over all bins (so noise in flat areas is not amplified),
/// and every pixel mapped through the bilinear blend of its four nearest tiles' mappings (no seams).
/// Retinal-vessel pipelines apply it before the network because it evens out the uneven illumination and
/// pale areas of fundus photographs (e.g. Jin et al. 2019, DUNet).
/// </summary>
public static class Clahe
{
    /// <summary>The tile grid per side OpenCV and scikit-image use by default.</summary>
    public const int DefaultTiles = 8;

    /// <summary>The clip limit most retinal pipelines use (OpenCV's <c>clipLimit=2.0</c>).</summary>
    public const double DefaultClipLimit = 2.0;

    /// <summary>A new image with every channel equalised (the input is left unchanged).</summary>
    public static RawImage Apply(RawImage image, int tiles = DefaultTiles, double clipLimit = DefaultClipLimit)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (tiles < 1) throw new ArgumentOutOfRangeException(nameof(tiles), tiles, "at least one tile per side");
        if (!(clipLimit >= 1)) throw new ArgumentOutOfRangeException(nameof(clipLimit), clipLimit, "the clip limit is a multiple of the uniform bin height, at least 1");
        int w = image.Width, h = image.Height, ch = image.Channels;
        // Tiles never smaller than 2 px: a tiny image gets fewer tiles rather than empty ones.
        int tx = Math.Min(tiles, Math.Max(1, w / 2)), ty = Math.Min(tiles, Math.Max(1, h / 2));
        var output = new byte[image.Pixels.Length];
        var luts = new byte[tx * ty][];
        for (int c = 0; c < ch; c++)
        {
            for (int j = 0; j < ty; j++)
                for (int i = 0; i < tx; i++)
                    luts[j * tx + i] = TileMapping(image.Pixels, w, ch, c, i * w / tx, (i + 1) * w / tx, j * h / ty, (j + 1) * h / ty, clipLimit);
            Interpolate(image.Pixels, output, w, h, ch, c, tx, ty, luts);
        }
        return new RawImage(w, h, ch, output);
    }

    /// <summary>One tile's grey-level mapping: its clipped histogram's cumulative distribution scaled to 0–255.</summary>
    private static byte[] TileMapping(byte[] pixels, int width, int channels, int c, int x0, int x1, int y0, int y1, double clipLimit)
    {
        var hist = new int[256];
        for (int y = y0; y < y1; y++)
        {
            int row = y * width * channels;
            for (int x = x0; x < x1; x++) hist[pixels[row + x * channels + c]]++;
        }
        int area = (x1 - x0) * (y1 - y0);
        int clip = Math.Max(1, (int)(clipLimit * area / 256.0));
        int excess = 0;
        for (int v = 0; v < 256; v++)
            if (hist[v] > clip) { excess += hist[v] - clip; hist[v] = clip; }
        // The clipped counts go back spread evenly; the remainder one by one at evenly spaced bins.
        int each = excess / 256, rest = excess % 256;
        for (int v = 0; v < 256; v++) hist[v] += each;
        if (rest > 0)
        {
            int step = Math.Max(1, 256 / rest);
            for (int v = 0; v < 256 && rest > 0; v += step, rest--) hist[v]++;
        }
        var lut = new byte[256];
        long sum = 0;
        for (int v = 0; v < 256; v++)
        {
            sum += hist[v];
            lut[v] = (byte)Math.Clamp((int)Math.Round(sum * 255.0 / area), 0, 255);
        }
        return lut;
    }

    /// <summary>Maps each pixel through the bilinear blend of the mappings of the four tiles whose centres surround it (clamped at the borders).</summary>
    private static void Interpolate(byte[] src, byte[] dst, int w, int h, int channels, int c, int tx, int ty, byte[][] luts)
    {
        double tileW = (double)w / tx, tileH = (double)h / ty;
        for (int y = 0; y < h; y++)
        {
            double gy = Math.Clamp((y + 0.5) / tileH - 0.5, 0, ty - 1);
            int j0 = (int)gy, j1 = Math.Min(ty - 1, j0 + 1);
            double fy = gy - j0;
            int row = y * w * channels;
            for (int x = 0; x < w; x++)
            {
                double gx = Math.Clamp((x + 0.5) / tileW - 0.5, 0, tx - 1);
                int i0 = (int)gx, i1 = Math.Min(tx - 1, i0 + 1);
                double fx = gx - i0;
                int o = row + x * channels + c, v = src[o];
                double top = (1 - fx) * luts[j0 * tx + i0][v] + fx * luts[j0 * tx + i1][v];
                double bottom = (1 - fx) * luts[j1 * tx + i0][v] + fx * luts[j1 * tx + i1][v];
                dst[o] = (byte)Math.Clamp((int)Math.Round((1 - fy) * top + fy * bottom), 0, 255);
            }
        }
    }
}
