using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Draws detection boxes on an image for a person to look at (what "mark on images" means to the
/// clinician). One class: every box in red, as always. Several classes: each class in its own colour
/// of the Okabe–Ito palette (Okabe and Ito 2008, "Color Universal Design": told apart with common colour
/// vision deficiencies), with the class number (index + 1, the legend of detections.json) in a tag at
/// the box's top-left corner, drawn with a 3×5 pixel digit font so no font file is needed. For the
/// report (<see cref="Compare"/>): the image in grey with true marks, misses and false marks each in
/// its own Okabe–Ito colour and each predicted box's score.
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

    /// <summary>Images smaller than this (longer side, px) are enlarged by a whole factor before <see cref="Compare"/> draws on them.</summary>
    public const int MinDrawSide = 384;

    // A dot for scores ("0.87"), one pixel wide so the number stays compact.
    private static readonly int[] _dot = [0, 0, 0, 0, 1];

    // The report's example images: Okabe–Ito bluish green, vermillion and sky blue, the same meaning the
    // segmentation examples give them (agreement, missed, false), so a reader learns one legend.
    private static readonly (byte R, byte G, byte B) _trueMark = (0, 158, 115), _missed = (213, 94, 0), _falseMark = (86, 180, 233);

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
            Outline(Set, b, w, h, t, colour);
            if (!byClass) continue;
            // The class number in black on a tag of the class colour, scaled like the outline.
            Tag(Set, (int)(b.X1 * w), (int)(b.Y1 * h), (b.Class + 1).ToString(CultureInfo.InvariantCulture), colour, t);
        }
        return ImageExport.ToPng(new RawImage(w, h, 3, rgb), Math.Max(w, h));
    }

    /// <summary>
    /// PNG of <paramref name="img"/> in grey (so the colours stand out on any image) with a detector's
    /// boxes compared against the truth (boxes in normalised coordinates, sorted by the evaluation):
    /// true marks in bluish green and false marks in sky blue, each with its score in a tag at its
    /// top-left corner, missed true boxes in vermillion without a tag (no score: nothing was predicted
    /// there), so a miss is told apart by more than its colour. An image whose longer side is under
    /// <see cref="MinDrawSide"/> is enlarged by a whole factor; a larger one is shrunk so its longer side
    /// is at most <paramref name="maxSide"/>.
    /// </summary>
    public static byte[] Compare(RawImage img, IReadOnlyList<BoundingBox> trueMarks, IReadOnlyList<BoundingBox> missed, IReadOnlyList<BoundingBox> falseMarks, int maxSide = 768)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(trueMarks);
        ArgumentNullException.ThrowIfNull(missed);
        ArgumentNullException.ThrowIfNull(falseMarks);
        // A small image (a 64-px test image) is enlarged by a whole factor first, nearest neighbour, so
        // outlines and score tags, whose size has a floor of a few pixels, do not cover the finding.
        int up = Math.Max(1, MinDrawSide / Math.Max(img.Width, img.Height));
        int w = img.Width * up, h = img.Height * up;
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y / up * img.Width + x / up, o = (y * w + x) * 3;
                byte grey = img.Channels == 3
                    ? (byte)Math.Round(0.299 * img.Pixels[i * 3] + 0.587 * img.Pixels[i * 3 + 1] + 0.114 * img.Pixels[i * 3 + 2])
                    : img.Pixels[i * img.Channels];
                rgb[o] = rgb[o + 1] = rgb[o + 2] = grey;
            }
        int t = Math.Max(2, Math.Max(w, h) / 200);
        void Set(int x, int y, (byte R, byte G, byte B) colour)
        {
            if (x < 0 || y < 0 || x >= w || y >= h) return;
            int o = (y * w + x) * 3;
            rgb[o] = colour.R; rgb[o + 1] = colour.G; rgb[o + 2] = colour.B;
        }
        // Misses first and true marks last: where boxes overlap, what the model found stays visible;
        // tags after every outline so no outline crosses a score.
        foreach (var b in missed) Outline(Set, b, w, h, t, _missed);
        foreach (var b in falseMarks) Outline(Set, b, w, h, t, _falseMark);
        foreach (var b in trueMarks) Outline(Set, b, w, h, t, _trueMark);
        foreach (var (boxes, colour) in new[] { (falseMarks, _falseMark), (trueMarks, _trueMark) })
            foreach (var b in boxes)
                Tag(Set, (int)(b.X1 * w), (int)(b.Y1 * h), b.Score.ToString("0.00", CultureInfo.InvariantCulture), colour, t);
        return ImageExport.ToPng(new RawImage(w, h, 3, rgb), Math.Min(maxSide, Math.Max(w, h)));
    }

    private static void Outline(Action<int, int, (byte, byte, byte)> set, BoundingBox b, int w, int h, int t, (byte, byte, byte) colour)
    {
        int x1 = (int)(b.X1 * w), x2 = (int)(b.X2 * w), y1 = (int)(b.Y1 * h), y2 = (int)(b.Y2 * h);
        for (int k = 0; k < t; k++)
        {
            for (int x = x1; x <= x2; x++) { set(x, y1 + k, colour); set(x, y2 - k, colour); }
            for (int y = y1; y <= y2; y++) { set(x1 + k, y, colour); set(x2 - k, y, colour); }
        }
    }

    /// <summary>Black <paramref name="text"/> (digits and '.') on a tag of <paramref name="colour"/> with its top-left corner at (x0, y0), scaled with the outline thickness <paramref name="t"/>.</summary>
    private static void Tag(Action<int, int, (byte, byte, byte)> set, int x0, int y0, string text, (byte, byte, byte) colour, int t)
    {
        int scale = Math.Max(1, t / 2 + 1), pad = scale;
        var glyphs = text.Select(c => c == '.' ? (Rows: _dot, Width: 1) : (Rows: _digits[c - '0'], Width: 3)).ToList();
        int tagW = (glyphs.Sum(g => g.Width + 1) - 1) * scale + 2 * pad, tagH = 5 * scale + 2 * pad;
        for (int y = 0; y < tagH; y++)
            for (int x = 0; x < tagW; x++) set(x0 + x, y0 + y, colour);
        int left = 0;
        foreach (var (rows, width) in glyphs)
        {
            for (int row = 0; row < 5; row++)
                for (int col = 0; col < width; col++)
                {
                    if ((rows[row] >> (width - 1 - col) & 1) == 0) continue;
                    for (int sy = 0; sy < scale; sy++)
                        for (int sx = 0; sx < scale; sx++)
                            set(x0 + pad + (left + col) * scale + sx, y0 + pad + row * scale + sy, ((byte)0, (byte)0, (byte)0));
                }
            left += width + 1;
        }
    }
}
