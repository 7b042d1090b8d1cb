using Clinforge.Training;

namespace Clinforge.Tests;

/// <summary>Sliding-window inference: where the tiles go and how their probabilities are blended.</summary>
public sealed class SlidingWindowTests
{
    [Theory]
    [InlineData(1024, 256, new[] { 0, 192, 384, 576, 768 })]
    [InlineData(300, 256, new[] { 0, 44 })]
    [InlineData(576, 256, new[] { 0, 160, 320 })]
    [InlineData(256, 256, new[] { 0 })]
    [InlineData(96, 256, new[] { 0 })]
    public void Should_SpreadTilesEvenlyFromBorderToBorder_When_TheySlideOverASquare(int size, int tile, int[] expected)
    {
        // Given a square and a tile side
        var starts = SlidingWindow.Starts(size, tile);
        // Then the tiles start at 0, the last ends at the border, and neighbours overlap by at least a quarter of a tile
        Assert.Equal(expected, starts);
        Assert.Equal(Math.Max(0, size - tile), starts[^1]);
        Assert.All(starts.Zip(starts.Skip(1)), p => Assert.True(p.First + tile - p.Second >= Math.Min(tile, size) / 4, $"{p.First} → {p.Second}"));
        var window = new SlidingWindow(size, tile);
        Assert.Equal(starts.Length * starts.Length, window.Origins.Count);
        Assert.Equal(tile >= size, window.Whole);
    }

    [Fact]
    public void Should_GiveBackTheSameProbabilities_When_EveryTileAgreesWithTheWholeImage()
    {
        // Given a 200-px square whose two class planes vary everywhere, and tiles of 64 px that each report their crop of it
        const int size = 200, tile = 64, classes = 2;
        var field = new float[classes * size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float p = 0.5f + 0.5f * MathF.Sin(x * 0.07f) * MathF.Cos(y * 0.05f);
                field[y * size + x] = 1 - p;
                field[size * size + y * size + x] = p;
            }
        var window = new SlidingWindow(size, tile);
        var seen = new int[size * size];
        float[] Crops(IReadOnlyList<(int X, int Y)> origins)
        {
            var probs = new float[origins.Count * classes * tile * tile];
            for (int i = 0; i < origins.Count; i++)
                for (int k = 0; k < classes; k++)
                    for (int y = 0; y < tile; y++)
                        for (int x = 0; x < tile; x++)
                        {
                            var (ox, oy) = origins[i];
                            probs[((i * classes + k) * tile + y) * tile + x] = field[k * size * size + (oy + y) * size + ox + x];
                            if (k == 0) seen[(oy + y) * size + ox + x]++;
                        }
            return probs;
        }

        // When they are blended, three tiles a call
        var blended = window.Blend(classes, 3, Crops);

        // Then every pixel was seen, overlaps more than once, and the weighted average is the field itself
        Assert.All(seen, n => Assert.True(n >= 1));
        Assert.Contains(seen, n => n > 1);
        Assert.Equal(16, window.Origins.Count); // starts 0, 45, 91, 136 on each side
        Assert.True(field.Zip(blended).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
    }

    [Fact]
    public void Should_TrustATilesCentreMoreThanItsBorder_When_TwoTilesDisagree()
    {
        // Given a 112-px square in two 64-px tiles per side (starts 0 and 48), where the left column of tiles says
        // "label" everywhere and the right column says "background" everywhere
        var window = new SlidingWindow(112, 64);
        float[] Votes(IReadOnlyList<(int X, int Y)> origins)
        {
            var probs = new float[origins.Count * 2 * 64 * 64];
            for (int i = 0; i < origins.Count; i++)
            {
                float label = origins[i].X == 0 ? 1 : 0;
                Array.Fill(probs, 1 - label, i * 2 * 4096, 4096);
                Array.Fill(probs, label, i * 2 * 4096 + 4096, 4096);
            }
            return probs;
        }
        var p = window.Blend(2, 4, Votes);
        float Label(int x, int y) => p[112 * 112 + y * 112 + x];
        // Then where only one tile looked it decides; inside the overlap (x 48–63) each tile weighs most
        // near its own centre, so the vote moves from the left tile to the right one across it
        Assert.Equal(1f, Label(10, 56), 4);
        Assert.Equal(0f, Label(100, 56), 4);
        Assert.True(Label(50, 56) > 0.5f, $"{Label(50, 56)}");
        Assert.True(Label(61, 56) < 0.5f, $"{Label(61, 56)}");
        Assert.Equal(0.5f, Label(55, 56) + (Label(56, 56) - Label(55, 56)) / 2, 2); // halfway between the centres 31.5 and 79.5
    }
}
