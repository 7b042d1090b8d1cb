namespace Clinforge.Training;

/// <summary>
/// Sliding-window inference over a letterboxed square, as nnU-Net does it (Isensee et al. 2021): tiles
/// of the training patch size, overlapping by a quarter of a tile and spread evenly so the last one ends
/// at the border; each tile's class probabilities are weighted by a Gaussian centred on the tile
/// (σ = tile / 8), so a pixel near a tile's border, which saw less context there, counts less where a
/// neighbouring tile saw it nearer its centre; the weighted sum is divided by the summed weights.
/// </summary>
/// <remarks>
/// Two reasons to cut a large image rather than run it whole. The network sees what it was trained on
/// (patches of this size). And on a CPU it is faster: whole 1024-px images ran the pretrained U-Net at
/// 20 GMAC/s, the same pixels in 256-px tiles at 90 GMAC/s (<c>bench -- segmentation-throughput</c>),
/// because a large image's activations no longer fit the caches. nnU-Net overlaps tiles by half; a
/// quarter keeps the pixel work at 1.5× the image's (25 tiles of 256 px on a 1024-px square) instead
/// of 4×, so tiling still pays.
/// </remarks>
public sealed class SlidingWindow
{
    private readonly float[] _weight;

    /// <summary>A window of <paramref name="tile"/>-px tiles (at most the square) over a <paramref name="size"/>-px square.</summary>
    public SlidingWindow(int size, int tile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tile, 1);
        Size = size;
        Tile = Math.Min(tile, size);
        var starts = Starts(size, Tile);
        Origins = starts.SelectMany(y => starts.Select(x => (x, y))).ToList();
        _weight = Gaussian(Tile);
    }

    /// <summary>Side of the square (px).</summary>
    public int Size { get; }

    /// <summary>Side of a tile (px).</summary>
    public int Tile { get; }

    /// <summary>Whether one tile covers the whole square (the image runs whole).</summary>
    public bool Whole => Tile == Size;

    /// <summary>Top-left corners (x, y) of the tiles, row by row.</summary>
    public IReadOnlyList<(int X, int Y)> Origins { get; }

    /// <summary>
    /// Tile starts along one side: as few tiles as keep consecutive ones overlapping by at least a quarter
    /// of a tile, spread evenly from 0 to <paramref name="size"/> − <paramref name="tile"/> (nnU-Net's rule).
    /// </summary>
    public static int[] Starts(int size, int tile)
    {
        if (tile >= size) return [0];
        int step = Math.Max(1, tile - tile / 4);
        int n = (int)Math.Ceiling((double)(size - tile) / step) + 1;
        double actual = (double)(size - tile) / (n - 1);
        return Enumerable.Range(0, n).Select(i => (int)Math.Round(i * actual)).ToArray();
    }

    /// <summary>The tile's importance weights (row-major, peak 1): a Gaussian with σ = tile / 8, never below its smallest positive value.</summary>
    public static float[] Gaussian(int tile)
    {
        var w = new float[tile * tile];
        double sigma = tile / 8.0, centre = (tile - 1) / 2.0;
        for (int y = 0; y < tile; y++)
            for (int x = 0; x < tile; x++)
                w[y * tile + x] = (float)Math.Exp(-((x - centre) * (x - centre) + (y - centre) * (y - centre)) / (2 * sigma * sigma));
        // Corner weights of a small σ underflow to 0; a pixel covered only by corners must still get a value.
        float floor = w.Where(v => v > 0).Min();
        for (int i = 0; i < w.Length; i++) w[i] = Math.Max(w[i], floor);
        return w;
    }

    /// <summary>
    /// The square's class probabilities [classes, S, S] (row-major planes) from <paramref name="predict"/>,
    /// which gets up to <paramref name="batch"/> tile origins at a time and returns their probabilities
    /// [n, classes, T, T] in the same order.
    /// </summary>
    public float[] Blend(int classes, int batch, Func<IReadOnlyList<(int X, int Y)>, float[]> predict)
    {
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int s = Size, t = Tile, plane = t * t, square = s * s;
        var sum = new float[classes * square];
        var norm = new float[square];
        for (int b = 0; b < Origins.Count; b += batch)
        {
            var part = Origins.Skip(b).Take(batch).ToList();
            var probs = predict(part);
            if (probs.Length != part.Count * classes * plane)
                throw new InvalidOperationException($"a batch of {part.Count} tiles gave {probs.Length} probabilities, expected {part.Count}×{classes}×{t}×{t}");
            for (int i = 0; i < part.Count; i++)
            {
                var (ox, oy) = part[i];
                for (int y = 0; y < t; y++)
                {
                    int row = (oy + y) * s + ox, wrow = y * t;
                    for (int x = 0; x < t; x++) norm[row + x] += _weight[wrow + x];
                    for (int k = 0; k < classes; k++)
                    {
                        int src = (i * classes + k) * plane + wrow, dst = k * square + row;
                        for (int x = 0; x < t; x++) sum[dst + x] += probs[src + x] * _weight[wrow + x];
                    }
                }
            }
        }
        for (int k = 0; k < classes; k++)
            for (int p = 0; p < square; p++) sum[k * square + p] /= norm[p];
        return sum;
    }
}
