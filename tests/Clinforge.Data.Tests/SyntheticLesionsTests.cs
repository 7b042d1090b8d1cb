using System.Diagnostics;

namespace Clinforge.Data.Tests;

public sealed class SyntheticLesionsTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_WriteImbalancedClassFolders_When_Generating()
    {
        // given a request for 40 images with 30% positives
        // when generated and opened
        var root = SyntheticLesions.Generate(_dir["syn"], 40, seed: 1, positiveShare: 0.3, size: 48);
        var ds = DatasetReader.Open(root);

        // then there are 12 melanoma_like and 28 nevus_like RGB 48x48 images
        Assert.Equal(_dir["syn"], root);
        Assert.Equal(new[] { SyntheticLesions.PositiveClass, SyntheticLesions.NegativeClass }, ds.Classes);
        Assert.Equal(12, ds.Items.Count(i => i.Label == 0));
        Assert.Equal(28, ds.Items.Count(i => i.Label == 1));
        var img = ds.Load(ds.Items[0]);
        Assert.Equal((48, 48, 3), (img.Width, img.Height, img.Channels));
    }

    [Fact]
    public void Should_WriteSameBytes_When_SeedRepeats()
    {
        // given two runs with seed 5 and one with seed 6
        var a = SyntheticLesions.Generate(_dir["a"], 12, seed: 5);
        var b = SyntheticLesions.Generate(_dir["b"], 12, seed: 5);
        var c = SyntheticLesions.Generate(_dir["c"], 12, seed: 6);

        // when the files are compared
        static Dictionary<string, byte[]> Files(string root) => Directory.EnumerateFiles(root, "*.png", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);
        var (fa, fb, fc) = (Files(a), Files(b), Files(c));

        // then the same seed gives identical files and another seed other pixels
        Assert.Equal(fa.Keys.Order(), fb.Keys.Order());
        Assert.All(fa, kv => Assert.Equal(kv.Value, fb[kv.Key]));
        var byName = fc.ToDictionary(kv => Path.GetFileName(kv.Key), kv => kv.Value);
        Assert.All(fa, kv => Assert.NotEqual(kv.Value, byName[Path.GetFileName(kv.Key)]));
    }

    [Fact]
    public void Should_ReplaceEarlierRun_When_GeneratingIntoSameFolder()
    {
        // given a folder with 30 generated images
        SyntheticLesions.Generate(_dir["s"], 30, seed: 1);

        // when 10 are generated into it
        var ds = DatasetReader.Open(SyntheticLesions.Generate(_dir["s"], 10, seed: 1));

        // then only the 10 remain
        Assert.Equal(10, ds.Items.Count);
    }

    [Fact]
    public void Should_WriteEveryImage_When_GeneratingTheDemoSize()
    {
        // given the demo size (timing belongs to benchmarks, not unit tests; it is printed for information)
        var watch = Stopwatch.StartNew();

        // when 600 images of 64 px are drawn
        SyntheticLesions.Generate(_dir["big"], 600, seed: 3);
        output.WriteLine($"600 images in {watch.ElapsedMilliseconds} ms");

        // then all files exist, split 30/70 between the classes
        Assert.Equal(600, Directory.EnumerateFiles(_dir["big"], "*.png", SearchOption.AllDirectories).Count());
        Assert.Equal(180, Directory.EnumerateFiles(Path.Combine(_dir["big"], SyntheticLesions.PositiveClass), "*.png").Count());
    }

    [Fact]
    public void Should_SeparateClassesImperfectly_When_ScoredByDarkPixels()
    {
        // given 300 generated images
        var ds = DatasetReader.Open(SyntheticLesions.Generate(_dir["auc"], 300, seed: 9));

        // when each image is scored by how dark its darkest pixels are (melanoma_like has black/blue patches)
        var scores = ds.Items.Select(i =>
        {
            var px = ds.Load(i).Pixels;
            var lum = new List<double>();
            for (var k = 0; k < px.Length; k += 3) lum.Add(0.299 * px[k] + 0.587 * px[k + 1] + 0.114 * px[k + 2]);
            lum.Sort();
            return -lum[lum.Count / 50]; // 2nd percentile, negated: darker scores higher
        }).ToList();
        var auc = Auc(scores, ds.Items.Select(i => i.Label == 0).ToList());
        output.WriteLine($"AUC of a dark-pixel score: {auc:0.000}");

        // then the score carries signal but does not separate the classes perfectly
        Assert.InRange(auc, 0.6, 0.97);
    }

    private static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        double wins = 0;
        long pairs = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            if (!positive[i]) continue;
            for (var j = 0; j < scores.Count; j++)
            {
                if (positive[j]) continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }
}
