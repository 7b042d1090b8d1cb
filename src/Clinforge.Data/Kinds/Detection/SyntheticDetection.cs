using System.Globalization;
using Clinforge.Core;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

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
    /// share <paramref name="boxedShare"/> keeps its boxes and the rest are image-level positives. With
    /// <paramref name="classes"/> &gt; 1 each finding gets a random class (source class index) and a
    /// brightness that tells the classes apart (class 0 dimmest); one class draws exactly what it always did.
    /// </summary>
    public static Dataset Generate(int count, int size, int seed, double positiveShare = 0.5, double boxedShare = 1.0, int classes = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
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
                    // One class keeps the original draws (no extra random numbers); several spread 150..245.
                    int cls = classes > 1 ? rng.Next(classes) : 0;
                    int level = classes > 1 ? 150 + 95 * cls / (classes - 1) : 190;
                    for (int y = y0; y < y0 + h; y++)
                        for (int x = x0; x < x0 + w; x++)
                            px[y * size + x] = (byte)Math.Clamp(level + rng.Next(-20, 21), 0, 255);
                    boxes.Add(new BoundingBox((double)x0 / size, (double)y0 / size, (double)(x0 + w) / size, (double)(y0 + h) / size, cls));
                }
            }
            ids.Add($"syn/{n:D4}.png");
            images.Add(new RawImage(size, size, 1, px));
            labels.Add(!positive ? DetectionLabel.Negative : rng.NextDouble() < boxedShare ? DetectionLabel.WithBoxes(boxes) : DetectionLabel.ImageLevelPositive);
        }
        return Dataset.InMemoryDetection("synthetic-detection", ids, images, labels, classes > 1 ? BodyParts.Take(classes).ToList() : ["finding"]);
    }

    /// <summary>
    /// Writes generated images as a detection folder the readers take, laid out like
    /// ../shared/data/bone-fracture: train/ and val/ (every fifth image), each with images/*.png and
    /// labels/*.txt (YOLO rows; an empty file is a negative), image-level positives without boxes
    /// listed in image_labels.csv, and a data.yaml naming body-part classes (rows alternate between
    /// two of them), as a fracture dataset does. With <paramref name="classes"/> &gt; 1 the rows carry
    /// each finding's own class (0..classes−1, told apart by brightness) and data.yaml names that many
    /// body parts. Returns <paramref name="root"/>.
    /// </summary>
    public static string WriteFolder(string root, int count, int seed, double boxedShare = 1.0, int size = 64, int classes = 1)
    {
        var ds = Generate(count, size, seed, positiveShare: 0.6, boxedShare: boxedShare, classes: classes);
        var csv = new Dictionary<string, List<string>>();
        for (int i = 0; i < ds.Items.Count; i++)
        {
            var item = ds.Items[i];
            var split = i % 5 == 0 ? "val" : "train";
            var name = Path.GetFileNameWithoutExtension(item.Id);
            Directory.CreateDirectory(Path.Combine(root, split, "images"));
            Directory.CreateDirectory(Path.Combine(root, split, "labels"));
            var img = ds.Load(item);
            using (var image = Image.LoadPixelData<L8>(img.Pixels, img.Width, img.Height)) image.SaveAsPng(Path.Combine(root, split, "images", name + ".png"));
            var label = ds.Detection!.SourceLabels![item.Id];
            if (!label.HasBoxes)
            {
                (csv.TryGetValue(split, out var rows) ? rows : csv[split] = ["image,label"]).Add($"{name}.png,fracture");
                continue;
            }
            File.WriteAllLines(Path.Combine(root, split, "labels", name + ".txt"), label.Boxes.Select(b => string.Create(CultureInfo.InvariantCulture,
                $"{(classes > 1 ? b.Class : i % 2 == 0 ? 6 : 0)} {(b.X1 + b.X2) / 2} {(b.Y1 + b.Y2) / 2} {b.X2 - b.X1} {b.Y2 - b.Y1}")));
        }
        foreach (var (split, rows) in csv) File.WriteAllLines(Path.Combine(root, split, DetectionReader.ImageLabelCsv), rows);
        var names = classes > 1 ? BodyParts.Take(classes) : BodyParts;
        File.WriteAllText(Path.Combine(root, "data.yaml"), $"names: [{string.Join(", ", names.Select(n => $"'{n}'"))}]\n");
        return root;
    }

    /// <summary>The class names of ../shared/data/bone-fracture's data.yaml (body parts), in its order.</summary>
    public static readonly IReadOnlyList<string> BodyParts = ["elbow positive", "fingers positive", "forearm fracture", "humerus fracture", "humerus", "shoulder fracture", "wrist positive"];
}
