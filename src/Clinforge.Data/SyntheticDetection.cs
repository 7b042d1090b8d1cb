using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Generated detection data for tests and demos: grey noisy images where a positive holds one or two
/// bright rectangles (the "findings", boxes known exactly) and a negative holds none, only noise and
/// a faint gradient. Deterministic for a seed.
/// </summary>
public static class SyntheticDetection
{
    /// <summary>
    /// <paramref name="count"/> images of <paramref name="size"/> px; a share <paramref name="positiveShare"/> has findings; of those, a
    /// share <paramref name="boxedShare"/> keeps its boxes and the rest are image-level positives.
    /// </summary>
    public static Dataset Generate(int count, int size, int seed, double positiveShare = 0.5, double boxedShare = 1.0)
    {
        var rng = new Random(seed);
        var ids = new List<string>();
        var images = new List<RawImage>();
        var labels = new List<DetectionLabel>();
        for (int n = 0; n < count; n++)
        {
            var px = new byte[size * size];
            double tilt = rng.NextDouble() * 40;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    px[y * size + x] = (byte)Math.Clamp(60 + tilt * x / size + rng.Next(-25, 26), 0, 255);
            bool positive = rng.NextDouble() < positiveShare;
            var boxes = new List<BoundingBox>();
            if (positive)
            {
                int k = rng.NextDouble() < 0.7 ? 1 : 2;
                for (int b = 0; b < k; b++)
                {
                    int w = rng.Next(size / 8, size / 3), h = rng.Next(size / 8, size / 3);
                    int x0 = rng.Next(0, size - w), y0 = rng.Next(0, size - h);
                    for (int y = y0; y < y0 + h; y++)
                        for (int x = x0; x < x0 + w; x++)
                            px[y * size + x] = (byte)Math.Clamp(190 + rng.Next(-20, 21), 0, 255);
                    boxes.Add(new BoundingBox((double)x0 / size, (double)y0 / size, (double)(x0 + w) / size, (double)(y0 + h) / size));
                }
            }
            ids.Add($"syn/{n:D4}.png");
            images.Add(new RawImage(size, size, 1, px));
            labels.Add(!positive ? DetectionLabel.Negative : rng.NextDouble() < boxedShare ? DetectionLabel.WithBoxes(boxes) : DetectionLabel.ImageLevelPositive);
        }
        return Dataset.InMemoryDetection("synthetic-detection", ids, images, labels, ["finding"]);
    }
}
