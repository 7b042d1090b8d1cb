using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>Draws detection boxes on an image for a person to look at (what "mark on images" means to the clinician).</summary>
public static class DetectionDrawing
{
    /// <summary>PNG bytes of <paramref name="img"/> in colour with each box outlined in red (thickness scales with the image).</summary>
    public static byte[] ToPng(RawImage img, IReadOnlyList<BoundingBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(boxes);
        int w = img.Width, h = img.Height;
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
            for (int c = 0; c < 3; c++) rgb[i * 3 + c] = img.Pixels[i * img.Channels + (img.Channels == 3 ? c : 0)];
        int t = Math.Max(2, Math.Max(w, h) / 200);
        void Set(int x, int y)
        {
            if (x < 0 || y < 0 || x >= w || y >= h) return;
            int o = (y * w + x) * 3;
            rgb[o] = 255; rgb[o + 1] = 32; rgb[o + 2] = 32;
        }
        foreach (var b in boxes)
        {
            int x1 = (int)(b.X1 * w), x2 = (int)(b.X2 * w), y1 = (int)(b.Y1 * h), y2 = (int)(b.Y2 * h);
            for (int k = 0; k < t; k++)
            {
                for (int x = x1; x <= x2; x++) { Set(x, y1 + k); Set(x, y2 - k); }
                for (int y = y1; y <= y2; y++) { Set(x1 + k, y); Set(x2 - k, y); }
            }
        }
        return ImageExport.ToPng(new RawImage(w, h, 3, rgb), Math.Max(w, h));
    }
}
