using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Data;

/// <summary>
/// Generated segmentation data for tests and demos, laid out as a clinician's folder would be:
/// <c>images/</c> (colour, a smooth reddish background with noise), <c>masks/</c> (0 and 255) and
/// <c>roi/</c> (a disc, like a fundus photograph's field of view). Each image holds a few dark curved
/// strands of 2–4 px (thin structures, like vessels) and a darker blob; the mask marks exactly those
/// pixels inside the region of interest. Deterministic for a seed (its own generator, fixed across .NET versions).
/// </summary>
public static class SyntheticSegmentation
{
    /// <summary>Writes <paramref name="count"/> image/mask pairs of <paramref name="width"/> × <paramref name="height"/> px under <paramref name="root"/>; returns the root.</summary>
    public static string WriteFolder(string root, int count, int seed, int width = 96, int height = 88, bool regionOfInterest = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        foreach (var dir in regionOfInterest ? new[] { "images", "masks", "roi" } : ["images", "masks"])
            Directory.CreateDirectory(Path.Combine(root, dir));
        for (int n = 0; n < count; n++)
        {
            var (rgb, mask, roi) = Generate(width, height, SeededRandom.ForStream(seed, n));
            var name = string.Create(CultureInfo.InvariantCulture, $"case_{n:D3}.png");
            using (var image = Image.LoadPixelData<Rgb24>(rgb, width, height)) image.SaveAsPng(Path.Combine(root, "images", name));
            using (var image = Image.LoadPixelData<L8>(mask, width, height)) image.SaveAsPng(Path.Combine(root, "masks", name));
            if (regionOfInterest)
                using (var image = Image.LoadPixelData<L8>(roi, width, height)) image.SaveAsPng(Path.Combine(root, "roi", name));
        }
        return root;
    }

    /// <summary>
    /// Writes <paramref name="count"/> NIfTI cases under <paramref name="root"/>, one folder each with
    /// <c>image.nii.gz</c> (an 8-bit grey volume of <paramref name="size"/>² × <paramref name="slices"/>
    /// voxels of 1 × 1 × 2.5 mm, so it is read as axial slices) and <c>mask.nii.gz</c>, a label map:
    /// 1 = a bright ellipsoid ("lesion"), 2 = a mid-grey block around elsewhere ("organ"), 0 = noisy
    /// background. Returns the root.
    /// </summary>
    public static string WriteVolumes(string root, int count, int seed, int size = 48, int slices = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (int n = 0; n < count; n++)
        {
            var rng = SeededRandom.ForStream(seed, 1000 + n);
            var image = new byte[size * size * slices];
            var labels = new byte[image.Length];
            double ex = rng.Uniform(size * 0.3, size * 0.7), ey = rng.Uniform(size * 0.3, size * 0.7), ez = rng.Uniform(slices * 0.3, slices * 0.7);
            double rx = rng.Uniform(size * 0.15, size * 0.22), ry = rng.Uniform(size * 0.15, size * 0.22), rz = rng.Uniform(slices * 0.45, slices * 0.6);
            int bx = rng.Next(size / 2), by = rng.Next(size / 2), bw = size / 3 + rng.Next(size / 6);
            for (int z = 0; z < slices; z++)
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        int p = x + size * (y + size * z);
                        double d = Math.Pow((x - ex) / rx, 2) + Math.Pow((y - ey) / ry, 2) + Math.Pow((z - ez) / rz, 2);
                        byte label = d <= 1 ? (byte)1 : x >= bx && x < bx + bw && y >= by && y < by + bw ? (byte)2 : (byte)0;
                        double v = (label switch { 1 => 200, 2 => 115, _ => 45 }) + 12 * rng.Gaussian();
                        image[p] = (byte)Math.Clamp(v, 0, 255);
                        labels[p] = label;
                    }
            var dir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"case_{n:D3}"));
            Directory.CreateDirectory(dir);
            NiftiWriter.WriteVolume(Path.Combine(dir, "image.nii.gz"), [size, size, slices], [1, 1, 2.5], image, labels: false);
            NiftiWriter.WriteVolume(Path.Combine(dir, "mask.nii.gz"), [size, size, slices], [1, 1, 2.5], labels, labels: true);
        }
        return root;
    }

    private static (byte[] Rgb, byte[] Mask, byte[] Roi) Generate(int w, int h, SeededRandom rng)
    {
        var structure = new bool[w * h];
        // Strands: random walks with smoothly turning direction, drawn as discs of radius 1–2.
        int strands = 2 + rng.Next(3);
        for (int s = 0; s < strands; s++)
        {
            double x = rng.Uniform(0, w), y = rng.Uniform(0, h), angle = rng.Uniform(0, 2 * Math.PI), radius = rng.Uniform(1.0, 2.0);
            for (int step = 0; step < 3 * (w + h) / 2; step++)
            {
                Disc(structure, w, h, x, y, radius);
                angle += rng.Uniform(-0.25, 0.25);
                x += Math.Cos(angle);
                y += Math.Sin(angle);
                if (x < -4 || y < -4 || x > w + 4 || y > h + 4) break;
            }
        }
        Disc(structure, w, h, rng.Uniform(w * 0.25, w * 0.75), rng.Uniform(h * 0.25, h * 0.75), rng.Uniform(4, 8));
        var rgb = new byte[w * h * 3];
        var mask = new byte[w * h];
        var roi = new byte[w * h];
        double cx = w / 2.0, cy = h / 2.0, r = Math.Min(w, h) * 0.48, tilt = rng.Uniform(-30, 30);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                bool inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                roi[p] = inside ? (byte)255 : (byte)0;
                double v = inside ? 150 + tilt * (x - cx) / w + 12 * rng.Gaussian() : 10 + 3 * rng.Gaussian();
                if (inside && structure[p]) { v -= 60; mask[p] = 255; }
                rgb[p * 3] = (byte)Math.Clamp(v + 60, 0, 255);
                rgb[p * 3 + 1] = (byte)Math.Clamp(v * 0.6, 0, 255);
                rgb[p * 3 + 2] = (byte)Math.Clamp(v * 0.3, 0, 255);
            }
        return (rgb, mask, roi);
    }

    private static void Disc(bool[] map, int w, int h, double cx, double cy, double radius)
    {
        for (int y = (int)Math.Floor(cy - radius); y <= (int)Math.Ceiling(cy + radius); y++)
            for (int x = (int)Math.Floor(cx - radius); x <= (int)Math.Ceiling(cx + radius); x++)
                if (x >= 0 && y >= 0 && x < w && y < h && (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) map[y * w + x] = true;
    }
}
