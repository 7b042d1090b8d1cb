using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class GradCamTests
{
    private const int Size = 24, Square = 6;

    /// <summary>Grey noise images; positives carry a bright square at a random place (its top-left corner returned).</summary>
    private static (float[] Pixels, long[] Labels, (int X, int Y)[] Corners) Images(int n, int seed)
    {
        var rng = new Random(seed);
        var pixels = new float[n * Size * Size];
        var labels = new long[n];
        var corners = new (int, int)[n];
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < Size * Size; p++) pixels[i * Size * Size + p] = (float)(rng.NextDouble() * 0.3);
            labels[i] = i % 2;
            int cx = rng.Next(0, Size - Square), cy = rng.Next(0, Size - Square);
            corners[i] = (cx, cy);
            if (labels[i] == 1)
                for (int y = cy; y < cy + Square; y++)
                for (int x = cx; x < cx + Square; x++) pixels[i * Size * Size + y * Size + x] = 1f;
        }
        return (pixels, labels, corners);
    }

    [Fact]
    public void Should_PointAtTheLesion_When_TheModelLearnedThatASquareMeansPositive()
    {
        // Given a small CNN trained until it tells images with a bright square from noise
        random.manual_seed(3);
        var (pixels, labels, _) = Images(256, 1);
        using var model = ModelRegistry.Create(new ModelSpec("simple_cnn", 8, 1), 1, 2);
        using var opt = optim.Adam(model.parameters(), 3e-3);
        using (var x = tensor(pixels, [256, 1, Size, Size]))
        using (var y = tensor(labels))
        {
            model.train();
            for (int step = 0; step < 60; step++)
            {
                using var scope = NewDisposeScope();
                opt.zero_grad();
                nn.functional.cross_entropy(model.forward(x), y).backward();
                opt.step();
            }
        }
        var (testPixels, testLabels, corners) = Images(40, 2);
        using var xt = tensor(testPixels, [40, 1, Size, Size]);
        model.eval();
        using (no_grad())
        {
            using var predicted = model.forward(xt).argmax(1);
            var p = predicted.data<long>().ToArray();
            Assert.True(p.Zip(testLabels).Count(t => t.First == t.Second) >= 36, "the model should first learn the task");
        }

        // When Grad-CAM maps for the positive class are computed on new positives
        var maps = GradCam.Compute(model, xt, 1);

        // Then every map is the input's size, scaled to [0, 1], and its hottest pixel lies on (or next to) the square
        Assert.Equal(40, maps.Length);
        int onTarget = 0, positives = 0;
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(Size * Size, maps[i].Length);
            Assert.All(maps[i], v => Assert.InRange(v, 0f, 1f));
            if (testLabels[i] != 1) continue;
            positives++;
            int argmax = Array.IndexOf(maps[i], maps[i].Max());
            int hx = argmax % Size, hy = argmax / Size;
            var (cx, cy) = corners[i];
            if (hx >= cx - 2 && hx < cx + Square + 2 && hy >= cy - 2 && hy < cy + Square + 2) onTarget++;
        }
        // A random pixel would land there about (10/24)² ≈ 17% of the time.
        Assert.True(onTarget >= 0.8 * positives, $"{onTarget}/{positives} heat maps peak on the square");
    }

    [Fact]
    public void Should_AverageTheMembersMaps_When_TheModelIsASeedEnsemble()
    {
        // Given two differently initialised CNNs and the seed ensemble made of the same two networks
        random.manual_seed(5);
        var (pixels, _, _) = Images(6, 3);
        using var x = tensor(pixels, [6, 1, Size, Size]);
        var a = ModelRegistry.Create(new ModelSpec("simple_cnn", 8, 1), 1, 2);
        var b = ModelRegistry.Create(new ModelSpec("simple_cnn", 8, 1), 1, 2);
        var mapsA = GradCam.Compute(a, x, 1);
        var mapsB = GradCam.Compute(b, x, 1);
        using var ensemble = new SeedEnsemble([a, b]);

        // When Grad-CAM is computed for the ensemble
        var maps = GradCam.Compute(ensemble, x, 1);

        // Then each map is the members' mean rescaled to a maximum of 1
        for (int i = 0; i < 6; i++)
        {
            var mean = mapsA[i].Zip(mapsB[i], (p, q) => (p + q) / 2).ToArray();
            float max = Math.Max(mean.Max(), 1e-12f);
            for (int k = 0; k < mean.Length; k++) Assert.Equal(mean[k] / max, maps[i][k], 4);
        }
    }

    [Fact]
    public void Should_RefuseClearly_When_TheModelHasNoFeatureMap()
    {
        // Given a model that is not a convolutional classifier
        using var linear = nn.Sequential(nn.Flatten(), nn.Linear(Size * Size, 2));
        using var x = zeros(1, 1, Size, Size);
        // When Grad-CAM is asked / Then a ClinforgeException says why
        var e = Assert.Throws<ClinforgeException>(() => GradCam.Compute(linear, x, 1));
        Assert.Contains("feature map", e.Message);
    }

    [Fact]
    public void Should_KeepThePixels_When_TheHeatIsZero_And_ColourThem_When_ItIsHot()
    {
        // Given a 40×20 grey image (the model sees its centre 20×20 square) and a 2×2 heat map hot only top-left
        var px = new byte[40 * 20];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)(i % 40 < 10 ? 10 : 100);
        var img = new RawImage(40, 20, 1, px);

        // When rendered with no heat and with heat in one corner
        var cold = SaliencyOverlay.Render(img, new float[4], 2, 20);
        var hot = SaliencyOverlay.Render(img, [1f, 0f, 0f, 0f], 2, 20);

        // Then without heat the centre square comes back unchanged (grey in RGB: the left 10 columns, value 10, are cropped away)
        Assert.Equal(20, cold.Width);
        Assert.All(cold.Pixels, v => Assert.Equal(100, v));
        // and with heat the top-left corner turns red-yellow while the far corner keeps its grey
        int tl = 0, br = ((19 * 20) + 19) * 3;
        Assert.True(hot.Pixels[tl] > 150 && hot.Pixels[tl + 2] < 60, $"top-left {hot.Pixels[tl]},{hot.Pixels[tl + 1]},{hot.Pixels[tl + 2]}");
        Assert.Equal(new byte[] { 100, 100, 100 }, hot.Pixels.AsSpan(br, 3).ToArray());
        Assert.Throws<ArgumentException>(() => SaliencyOverlay.Render(img, new float[3], 2, 20));
    }
}
