using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Draws detection boxes on an image for a person to look at (what "mark on images" means to the
/// clinician). One class: every box in red, as always. Several classes: each class in its own colour
/// of the Okabe–Ito palette (Okabe and Ito 2008, "Color Universal Design": told apart with common colour
/// vision deficiencies), with the class number (index + 1, the legend of detections.json) in a tag at
/// the box's top-left corner, drawn with a 3×5 pixel digit font so no font file is needed.
/// </summary>
public static class DetectionDrawing
{
    // Okabe–Ito colours, black left out (a grey X-ray is dark): vermillion, sky blue, bluish green, orange, yellow, blue, reddish purple.
    private static readonly (byte R, byte G, byte B)[] _palette =
    [
        (213, 94, 0), (86, 180, 233), (0, 158, 115), (230, 159, 0), (240, 228, 66), (0, 114, 178), (204, 121, 167),
    ];

    // 3×5 digits, one row per 3 bits (most significant bit = left pixel).
    private static readonly int[][] _digits =
    [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ];

    /// <summary>The colour of class index <paramref name="k"/> when classes are drawn apart, as #RRGGBB.</summary>
    public static string ColourHex(int k)
    {
        var (r, g, b) = _palette[((k % _palette.Length) + _palette.Length) % _palette.Length];
        return string.Create(CultureInfo.InvariantCulture, $"#{r:X2}{g:X2}{b:X2}");
    }

    /// <summary>
    /// PNG bytes of <paramref name="img"/> in colour with each box outlined (thickness scales with the
    /// image): in red, or with <paramref name="byClass"/> in its class's colour with its class number.
    /// </summary>
    public static byte[] ToPng(RawImage img, IReadOnlyList<BoundingBox> boxes, bool byClass = false)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(boxes);
        int w = img.Width, h = img.Height;
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
            for (int c = 0; c < 3; c++) rgb[i * 3 + c] = img.Pixels[i * img.Channels + (img.Channels == 3 ? c : 0)];
        int t = Math.Max(2, Math.Max(w, h) / 200);
        void Set(int x, int y, (byte R, byte G, byte B) colour)
        {
            if (x < 0 || y < 0 || x >= w || y >= h) return;
            int o = (y * w + x) * 3;
            rgb[o] = colour.R; rgb[o + 1] = colour.G; rgb[o + 2] = colour.B;
        }
        foreach (var b in boxes)
        {
            var colour = byClass ? _palette[((b.Class % _palette.Length) + _palette.Length) % _palette.Length] : ((byte)255, (byte)32, (byte)32);
            int x1 = (int)(b.X1 * w), x2 = (int)(b.X2 * w), y1 = (int)(b.Y1 * h), y2 = (int)(b.Y2 * h);
            for (int k = 0; k < t; k++)
            {
                for (int x = x1; x <= x2; x++) { Set(x, y1 + k, colour); Set(x, y2 - k, colour); }
                for (int y = y1; y <= y2; y++) { Set(x1 + k, y, colour); Set(x2 - k, y, colour); }
            }
            if (!byClass) continue;
            // The class number in black on a tag of the class colour, scaled like the outline.
            var text = (b.Class + 1).ToString(CultureInfo.InvariantCulture);
            int scale = Math.Max(1, t / 2 + 1), pad = scale;
            int tagW = text.Length * 4 * scale - scale + 2 * pad, tagH = 5 * scale + 2 * pad;
            for (int y = 0; y < tagH; y++)
                for (int x = 0; x < tagW; x++) Set(x1 + x, y1 + y, colour);
            for (int d = 0; d < text.Length; d++)
            {
                var glyph = _digits[text[d] - '0'];
                for (int row = 0; row < 5; row++)
                    for (int col = 0; col < 3; col++)
                    {
                        if ((glyph[row] >> (2 - col) & 1) == 0) continue;
                        for (int sy = 0; sy < scale; sy++)
                            for (int sx = 0; sx < scale; sx++)
                                Set(x1 + pad + (d * 4 + col) * scale + sx, y1 + pad + row * scale + sy, ((byte)0, (byte)0, (byte)0));
                    }
            }
        }
        return ImageExport.ToPng(new RawImage(w, h, 3, rgb), Math.Max(w, h));
    }
}
