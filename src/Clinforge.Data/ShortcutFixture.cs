using System.Globalization;
using System.Text;
using Clinforge.Core;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Data;

/// <summary>How strongly the injected artifact is tied to the label, per split.</summary>
/// <param name="PositiveRate">Share of positives in train and val that get the artifact (spec: 0.6).</param>
/// <param name="NegativeRate">Share of negatives in train and val that get the artifact (spec: 0.1).</param>
/// <param name="TestRate">Share of test images, in both classes alike, that get the artifact: independent of the label.</param>
/// <param name="AnnotatedShare">Share of train and val images whose artifact annotation is kept (spec: 0.2).</param>
/// <param name="Seed">Every choice and every drawn tube follows from this seed.</param>
public sealed record ShortcutFixtureOptions(
    double PositiveRate = 0.6,
    double NegativeRate = 0.1,
    double TestRate = 0.35,
    double AnnotatedShare = 0.2,
    int Seed = 17);

/// <summary>One image of the fixture: its split, label, whether the artifact was drawn, and whether that is annotated.</summary>
public sealed record ShortcutCase(string Id, string Split, int Label, bool Artifact, bool Annotated);

/// <summary>
/// A benchmark fixture with an <b>injected</b> confounder: a drain-like artifact (a thin, bright,
/// curvilinear tube with a random path, width and position) drawn into real images so that in
/// training and validation it is far more common in positives (60%) than in negatives (10%), while
/// in the test split it is independent of the label. A model that learns the tube instead of the
/// finding scores well on validation and raises false alarms on test negatives that carry a tube,
/// the pattern seen with chest drains in pneumothorax radiographs (Oakden-Rayner et al. 2020).
/// The annotation (tube present or not) is kept for a random 20% of train and val images only, as
/// for the auxiliary drain classifier of the seed study; the truth for every image is in
/// <see cref="Cases"/> for evaluation.
/// </summary>
public sealed class ShortcutFixture
{
    /// <summary>The plain statement that goes with every output made from this fixture.</summary>
    public const string Statement =
        "INJECTED CONFOUNDER: this dataset is real images with a synthetic drain-like tube drawn into them by Clinforge's seeded fixture generator. " +
        "In train and val the tube is in {0:0%} of positives and {1:0%} of negatives; in test it is in {2:0%} of images of either class (independent of the label). " +
        "The tube is not a real chest drain.";

    private ShortcutFixture(Dataset dataset, IReadOnlyList<ShortcutCase> cases, ShortcutFixtureOptions options)
    {
        Dataset = dataset;
        Cases = cases;
        Options = options;
    }

    /// <summary>The images with the artifact drawn in, with the source's official split.</summary>
    public Dataset Dataset { get; }

    /// <summary>Per image (same order as <see cref="Dataset"/>'s items): split, label, artifact truth, annotated or not.</summary>
    public IReadOnlyList<ShortcutCase> Cases { get; }

    /// <summary>The rates used.</summary>
    public ShortcutFixtureOptions Options { get; }

    /// <summary>The statement with this fixture's rates filled in.</summary>
    public string Describe() => string.Format(CultureInfo.InvariantCulture, Statement, Options.PositiveRate, Options.NegativeRate, Options.TestRate);

    /// <summary>
    /// Draws the artifact into a binary dataset with an official train/val/test split (e.g. PneumoniaMNIST,
    /// label 1 = positive). Exactly round(rate × n) images of each split × label cell get the tube.
    /// </summary>
    public static ShortcutFixture Inject(Dataset source, ShortcutFixtureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var o = options ?? new ShortcutFixtureOptions();
        foreach (var (name, v) in new[] { ("PositiveRate", o.PositiveRate), ("NegativeRate", o.NegativeRate), ("TestRate", o.TestRate), ("AnnotatedShare", o.AnnotatedShare) })
            if (v is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), v, $"{name} must be in [0, 1]");
        if (source.Classes.Count != 2) throw new ClinforgeException($"{source.Source}: the shortcut fixture needs a binary dataset, found {source.Classes.Count} classes.");
        if (source.OfficialSplit is null) throw new ClinforgeException($"{source.Source}: the shortcut fixture needs an official train/val/test split (e.g. a MedMNIST .npz).");

        var items = source.Items;
        var split = items.Select(i => source.OfficialSplit[i.Id]).ToArray();
        var artifact = new bool[items.Count];
        // Exact counts per split × label cell, chosen by a seeded shuffle (stream -1 per cell).
        int cell = 0;
        foreach (var s in new[] { SplitNames.Train, SplitNames.Val, SplitNames.Test })
            foreach (var label in new[] { 0, 1 })
            {
                var members = Enumerable.Range(0, items.Count).Where(i => split[i] == s && items[i].Label == label).ToList();
                double rate = s == SplitNames.Test ? o.TestRate : label == 1 ? o.PositiveRate : o.NegativeRate;
                SeededRandom.ForStream(o.Seed, -1 - cell++).Shuffle(members);
                foreach (var i in members.Take((int)Math.Round(rate * members.Count))) artifact[i] = true;
            }
        var annotated = new bool[items.Count];
        var development = Enumerable.Range(0, items.Count).Where(i => split[i] != SplitNames.Test).ToList();
        SeededRandom.ForStream(o.Seed, -100).Shuffle(development);
        foreach (var i in development.Take((int)Math.Round(o.AnnotatedShare * development.Count))) annotated[i] = true;

        var images = new RawImage[items.Count];
        Parallel.For(0, items.Count, i =>
        {
            var raw = source.Load(items[i]);
            images[i] = artifact[i] ? DrawTube(raw, SeededRandom.ForStream(o.Seed, i)) : raw;
        });
        var cases = items.Select((it, i) => new ShortcutCase(it.Id, split[i], it.Label, artifact[i], annotated[i])).ToList();
        var official = items.Select((it, i) => (it.Id, split[i])).ToDictionary(p => p.Id, p => p.Item2, StringComparer.Ordinal);
        var ds = Dataset.InMemory(source.Source + " + injected drain-like artifact", source.Classes, items, images, official);
        return new ShortcutFixture(ds, cases, o);
    }

    /// <summary>
    /// Draws one tube: a quadratic Bézier curve between two random border-ish points with a random
    /// control point, 0.6–1.6 px half-width at 28 px (scaled with size), brightness 200–255, soft edges.
    /// The input is not modified.
    /// </summary>
    internal static RawImage DrawTube(RawImage image, SeededRandom rng)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        double scale = Math.Min(w, h) / 28.0;
        (double X, double Y) P() => (rng.Uniform(0.05, 0.95) * w, rng.Uniform(0.05, 0.95) * h);
        var p0 = P();
        var p2 = P();
        // Make the tube long: the end point is at least 40% of the side away from the start.
        for (int tries = 0; tries < 20 && Dist(p0, p2) < 0.4 * Math.Min(w, h); tries++) p2 = P();
        var p1 = P();
        double half = rng.Uniform(0.6, 1.6) * scale;
        double brightness = rng.Uniform(200, 255);
        var pixels = (byte[])image.Pixels.Clone();
        const int Steps = 64;
        var curve = new (double X, double Y)[Steps + 1];
        for (int k = 0; k <= Steps; k++)
        {
            double t = (double)k / Steps, a = (1 - t) * (1 - t), b = 2 * (1 - t) * t, d = t * t;
            curve[k] = (a * p0.X + b * p1.X + d * p2.X, a * p0.Y + b * p1.Y + d * p2.Y);
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double best = double.MaxValue;
                for (int k = 0; k < Steps; k++) best = Math.Min(best, SegmentDistance((x + 0.5, y + 0.5), curve[k], curve[k + 1]));
                double alpha = Math.Clamp(half + 0.5 - best, 0, 1);
                if (alpha <= 0) continue;
                for (int ch = 0; ch < c; ch++)
                {
                    int idx = (y * w + x) * c + ch;
                    pixels[idx] = (byte)Math.Round(pixels[idx] * (1 - alpha) + Math.Max(brightness, pixels[idx]) * alpha);
                }
            }
        return new RawImage(w, h, c, pixels);
    }

    /// <summary>
    /// Writes the fixture as a CSV dataset: images/*.png, labels.csv (image, label, split, and the
    /// column <paramref name="confounderColumn"/> holding 1/0 only for annotated images, empty otherwise),
    /// artifact_truth.csv (the truth for every image, for evaluation only) and README.txt with the statement.
    /// </summary>
    public string WriteFolder(string outputDir, string confounderColumn = "drain")
    {
        var root = Path.GetFullPath(outputDir);
        Directory.CreateDirectory(Path.Combine(root, "images"));
        var labels = new StringBuilder("image,label,split," + confounderColumn + "\n");
        var truth = new StringBuilder("image,split,label,artifact,annotated\n");
        for (int i = 0; i < Cases.Count; i++)
        {
            var k = Cases[i];
            var file = $"images/{k.Split}_{k.Id[(k.Id.IndexOf('/') + 1)..]}.png";
            var img = Dataset.Load(Dataset.Items[i]);
            using (Image image = img.Channels == 1 ? Image.LoadPixelData<L8>(img.Pixels, img.Width, img.Height) : Image.LoadPixelData<Rgb24>(img.Pixels, img.Width, img.Height))
                image.SaveAsPng(Path.Combine(root, file));
            labels.Append(CultureInfo.InvariantCulture, $"{file},{Dataset.Classes[k.Label]},{k.Split},{(k.Annotated ? (k.Artifact ? "1" : "0") : "")}\n");
            truth.Append(CultureInfo.InvariantCulture, $"{file},{k.Split},{k.Label},{(k.Artifact ? 1 : 0)},{(k.Annotated ? 1 : 0)}\n");
        }
        File.WriteAllText(Path.Combine(root, "labels.csv"), labels.ToString());
        File.WriteAllText(Path.Combine(root, "artifact_truth.csv"), truth.ToString());
        File.WriteAllText(Path.Combine(root, "README.txt"), Describe() + "\nSource: " + Dataset.Source + $"\nSeed: {Options.Seed}\n");
        return root;
    }

    private static double Dist((double X, double Y) a, (double X, double Y) b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    private static double SegmentDistance((double X, double Y) p, (double X, double Y) a, (double X, double Y) b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y, len2 = dx * dx + dy * dy;
        double t = len2 <= 0 ? 0 : Math.Clamp(((p.X - a.X) * dx + (p.Y - a.Y) * dy) / len2, 0, 1);
        return Dist(p, (a.X + t * dx, a.Y + t * dy));
    }
}
