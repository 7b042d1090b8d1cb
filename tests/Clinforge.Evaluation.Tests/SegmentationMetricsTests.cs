using Clinforge.Core;

namespace Clinforge.Evaluation.Tests;

/// <summary>Segmentation measures pinned by hand-computed masks and by brute force written out independently.</summary>
public sealed class SegmentationMetricsTests
{
    /// <summary>A label map of <paramref name="width"/>×<paramref name="height"/> with the rectangles [x0, x1] × [y0, y1] (inclusive) set to their value.</summary>
    private static byte[] Mask(int width, int height, params (int X0, int Y0, int X1, int Y1, byte Value)[] rects)
    {
        var m = new byte[width * height];
        foreach (var (x0, y0, x1, y1, value) in rects)
            for (var y = y0; y <= y1; y++)
                for (var x = x0; x <= x1; x++)
                    m[y * width + x] = value;
        return m;
    }

    private static byte[] Disc(int width, int height, double cx, double cy, double radius)
    {
        var m = new byte[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) m[y * width + x] = 1;
        return m;
    }

    private static SegmentationImageScore Score(byte[] truth, byte[] predicted, int width, int height, byte[]? region = null, int label = 1) =>
        SegmentationMetrics.Score("img", truth, predicted, region ?? [], width, height, label);

    /// <summary>Foreground pixels with a 4-neighbour outside the image or background, written out without the library.</summary>
    private static List<(int X, int Y)> BruteBoundary(bool[] mask, int width, int height)
    {
        bool At(int x, int y) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x];
        var edge = new List<(int, int)>();
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                if (At(x, y) && (!At(x - 1, y) || !At(x + 1, y) || !At(x, y - 1) || !At(x, y + 1)))
                    edge.Add((x, y));
        return edge;
    }

    private static double Nearest((int X, int Y) p, List<(int X, int Y)> to) =>
        to.Min(q => Math.Sqrt((double)(p.X - q.X) * (p.X - q.X) + (double)(p.Y - q.Y) * (p.Y - q.Y)));

    /// <summary>Type-7 quantile (NumPy's default percentile) written out independently of the library.</summary>
    private static double Type7(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>HD95 by comparing every boundary pixel with every other: both directions pooled, 95th percentile.</summary>
    private static double BruteHd95(byte[] truth, byte[] predicted, int width, int height)
    {
        var a = BruteBoundary(truth.Select(v => v == 1).ToArray(), width, height);
        var b = BruteBoundary(predicted.Select(v => v == 1).ToArray(), width, height);
        return Type7(a.Select(p => Nearest(p, b)).Concat(b.Select(p => Nearest(p, a))), 0.95);
    }

    private static SegmentationImageScore ImageScore(string id, double dice, double? hd95 = null, int label = 1) =>
        new(id, label, dice, dice / (2 - dice), dice, dice, hd95, 100, 100);

    [Fact]
    public void Should_GiveExactOverlapMeasures_When_TwoRectanglesAreOffset()
    {
        // given: truth 4×4 at x 1..4, y 1..4 (16 px); prediction 5×3 at x 3..7, y 2..4 (15 px)
        // overlap x 3..4, y 2..4 = 6 px: TP 6, FP 9, FN 10
        var truth = Mask(10, 10, (1, 1, 4, 4, 1));
        var predicted = Mask(10, 10, (3, 2, 7, 4, 1));

        // when
        var s = Score(truth, predicted, 10, 10);

        // then: Dice 2·6/(12+9+10) = 12/31, IoU 6/25, sensitivity 6/16, precision 6/15
        Assert.Equal(12.0 / 31, s.Dice, 15);
        Assert.Equal(6.0 / 25, s.Iou, 15);
        Assert.Equal(6.0 / 16, s.Sensitivity, 15);
        Assert.Equal(6.0 / 15, s.Precision, 15);
        Assert.Equal(16, s.TruthPixels);
        Assert.Equal(15, s.PredictedPixels);
        Assert.Equal("img", s.Id);
        Assert.Equal(1, s.Label);
        Assert.NotNull(s.Hd95);
    }

    [Theory]
    [InlineData(false, false, 1.0, 1.0, 1.0, 1.0)]
    [InlineData(false, true, 0.0, 0.0, 1.0, 0.0)]
    [InlineData(true, false, 0.0, 0.0, 0.0, 1.0)]
    public void Should_FollowEmptyMaskConventions_When_TruthOrPredictionIsEmpty(bool truthHasForeground, bool predictionHasForeground, double dice, double iou, double sensitivity, double precision)
    {
        // given: a 3×3 square on either side or nothing
        var square = Mask(8, 8, (2, 2, 4, 4, 1));
        var empty = new byte[64];

        // when
        var s = Score(truthHasForeground ? square : empty, predictionHasForeground ? square : empty, 8, 8);

        // then: the stated conventions, and no HD95 because one side has no boundary
        Assert.Equal(dice, s.Dice);
        Assert.Equal(iou, s.Iou);
        Assert.Equal(sensitivity, s.Sensitivity);
        Assert.Equal(precision, s.Precision);
        Assert.Null(s.Hd95);
        Assert.Equal(truthHasForeground ? 9 : 0, s.TruthPixels);
        Assert.Equal(predictionHasForeground ? 9 : 0, s.PredictedPixels);
    }

    [Fact]
    public void Should_IgnoreFalseMarks_When_RegionExcludesThem()
    {
        // given: truth 4×4 at x,y 2..5; prediction the same plus a 2×2 blob at x,y 8..9; region excludes x ≥ 7
        var truth = Mask(10, 10, (2, 2, 5, 5, 1));
        var predicted = Mask(10, 10, (2, 2, 5, 5, 1), (8, 8, 9, 9, 1));
        var region = Mask(10, 10, (0, 0, 6, 9, 255));

        // when
        var whole = Score(truth, predicted, 10, 10);
        var inside = Score(truth, predicted, 10, 10, region);

        // then without region: TP 16, FP 4 → Dice 32/36, IoU 16/20, precision 16/20. Boundary
        // distances: 12 + 12 ring pixels at 0 and the blob's 4 pixels from corner (5,5) at √18, 5, 5, √32;
        // of 28 sorted, h = 27·0.95 = 25.65 lies between two 5s → HD95 = 5
        Assert.Equal(32.0 / 36, whole.Dice, 15);
        Assert.Equal(16.0 / 20, whole.Iou, 15);
        Assert.Equal(1.0, whole.Sensitivity);
        Assert.Equal(16.0 / 20, whole.Precision, 15);
        Assert.Equal(5.0, whole.Hd95!.Value, 12);
        Assert.Equal(20, whole.PredictedPixels);
        // with region: the blob is gone from every measure, HD95 included
        Assert.Equal(1.0, inside.Dice);
        Assert.Equal(1.0, inside.Precision);
        Assert.Equal(0.0, inside.Hd95);
        Assert.Equal(16, inside.PredictedPixels);
    }

    [Fact]
    public void Should_CountOnlyPixelsInside_When_RegionCutsTheTruth()
    {
        // given: truth x,y 2..5; prediction x 2..5, y 2..3 (the top half); region keeps x ≤ 3
        var truth = Mask(10, 10, (2, 2, 5, 5, 1));
        var predicted = Mask(10, 10, (2, 2, 5, 3, 1));
        var region = Mask(10, 10, (0, 0, 3, 9, 1));

        // when
        var s = Score(truth, predicted, 10, 10, region);

        // then: inside, truth is x 2..3, y 2..5 (8 px) and prediction x 2..3, y 2..3 (4 px): TP 4, FN 4
        Assert.Equal(8, s.TruthPixels);
        Assert.Equal(4, s.PredictedPixels);
        Assert.Equal(8.0 / 12, s.Dice, 15);
        Assert.Equal(0.5, s.Sensitivity, 15);
        Assert.Equal(1.0, s.Precision);
        // the cut leaves 2-wide strips whose every pixel is boundary: truth rows 4, 5 lie 1 and 2 from row 3
        Assert.Equal(BruteHd95(Mask(10, 10, (2, 2, 3, 5, 1)), Mask(10, 10, (2, 2, 3, 3, 1)), 10, 10), s.Hd95!.Value, 12);
        Assert.Equal(2.0, s.Hd95!.Value, 12);
    }

    [Fact]
    public void Should_ScoreOnlyTheGivenLabel_When_MaskIsALabelMap()
    {
        // given: label 1 at x 0..3 and label 2 at x 5..8 in the truth; the prediction swaps half of label 2 to 1
        var truth = Mask(10, 4, (0, 0, 3, 3, 1), (5, 0, 8, 3, 2));
        var predicted = Mask(10, 4, (0, 0, 3, 3, 1), (5, 0, 6, 3, 1), (7, 0, 8, 3, 2));

        // when
        var one = Score(truth, predicted, 10, 4, label: 1);
        var two = Score(truth, predicted, 10, 4, label: 2);

        // then: label 1 TP 16, FP 8 → Dice 32/40; label 2 TP 8, FN 8 → Dice 16/24
        Assert.Equal(32.0 / 40, one.Dice, 15);
        Assert.Equal(16.0 / 24, two.Dice, 15);
        Assert.Equal(2, two.Label);
        Assert.Equal(16, two.TruthPixels);
        Assert.Equal(8, two.PredictedPixels);
    }

    [Fact]
    public void Should_TreatTheImageEdgeAsBackground_When_FindingBoundaries()
    {
        // given: truth fills the 5×5 image, prediction is the centre 3×3
        var truth = Mask(5, 5, (0, 0, 4, 4, 1));
        var predicted = Mask(5, 5, (1, 1, 3, 3, 1));

        // when
        var s = Score(truth, predicted, 5, 5);

        // then: Dice 18/34. The truth's boundary is its outer ring (16 px: 4 corners √2 from the
        // prediction's ring, 12 at 1); the prediction's ring (8 px) is 1 from it. Of the 24 pooled
        // distances the top 4 are √2, and h = 23·0.95 = 21.85 falls among them → HD95 = √2
        Assert.Equal(18.0 / 34, s.Dice, 15);
        Assert.Equal(Math.Sqrt(2), s.Hd95!.Value, 12);
    }

    [Fact]
    public void Should_GiveThree_When_SquareIsShiftedByThreePixels()
    {
        // given: a 10×10 square and the same square 3 px to the right
        var truth = Mask(30, 30, (5, 5, 14, 14, 1));
        var predicted = Mask(30, 30, (8, 5, 17, 14, 1));

        // when
        var s = Score(truth, predicted, 30, 30);

        // then: the brute force, and by hand: no boundary pixel is more than 3 from the other boundary
        // and 28 of the 72 are exactly 3 (the side edges and the far inner rows), so the 95th percentile is 3
        Assert.Equal(BruteHd95(truth, predicted, 30, 30), s.Hd95!.Value, 12);
        Assert.Equal(3.0, s.Hd95!.Value, 12);
        Assert.Equal(2.0 * 70 / 200, s.Dice, 15);
    }

    [Fact]
    public void Should_MatchBruteForce_When_CirclesAreConcentric()
    {
        // given: discs of radius 8 and 11 around the same centre
        var truth = Disc(41, 41, 20, 20, 8);
        var predicted = Disc(41, 41, 20, 20, 11);

        // when
        var s = Score(truth, predicted, 41, 41);

        // then: the rings lie about 3 apart
        Assert.Equal(BruteHd95(truth, predicted, 41, 41), s.Hd95!.Value, 12);
        Assert.InRange(s.Hd95!.Value, 2.5, 3.7);
        Assert.Equal(1.0, s.Sensitivity);
    }

    [Fact]
    public void Should_MatchBruteForce_When_DistanceTransformOfRandomSet()
    {
        // given: a seeded random set on 40×30, about 3% of the pixels (so whole rows and columns are empty)
        const int width = 40, height = 30;
        var random = new Random(7);
        var set = new bool[width * height];
        for (var p = 0; p < set.Length; p++) set[p] = random.NextDouble() < 0.03;
        var points = Enumerable.Range(0, set.Length).Where(p => set[p]).Select(p => (X: p % width, Y: p / width)).ToList();
        Assert.True(points.Count > 10);

        // when
        var d = SegmentationMetrics.DistanceTransform(set, width, height);

        // then: every pixel, exactly (both are square roots of the same integer)
        for (var p = 0; p < set.Length; p++)
            Assert.Equal(Nearest((p % width, p / width), points), d[p]);
    }

    [Fact]
    public void Should_GiveDistancesFromOnePixel_When_SetIsASinglePixel()
    {
        // given: only (1, 2) of a 4×3 image
        var set = new bool[12];
        set[2 * 4 + 1] = true;

        // when
        var d = SegmentationMetrics.DistanceTransform(set, 4, 3);

        // then
        Assert.Equal(0.0, d[2 * 4 + 1]);
        Assert.Equal(Math.Sqrt(1 + 4), d[0]);        // (0, 0)
        Assert.Equal(Math.Sqrt(4 + 4), d[3]);        // (3, 0)
        Assert.Equal(2.0, d[2 * 4 + 3]);             // (3, 2)
        Assert.Equal(Math.Sqrt(1 + 1), d[1 * 4 + 2]); // (2, 1)
    }

    [Fact]
    public void Should_BeInfiniteEverywhere_When_SetIsEmpty()
    {
        var d = SegmentationMetrics.DistanceTransform(new bool[20], 5, 4);
        Assert.All(d, v => Assert.True(double.IsPositiveInfinity(v)));
    }

    [Fact]
    public void Should_ScoreFullSizeImage_When_MaskIsVesselLike()
    {
        // given: a fundus-sized (565×584) field of view with random-walk "vessels", and a prediction
        // that shifts them by (2, 1), misses some and adds others
        const int width = 565, height = 584;
        var region = Disc(width, height, 282, 292, 270);
        var truth = Vessels(width, height, seed: 11, walks: 90);
        var shifted = new byte[truth.Length];
        for (var y = 1; y < height; y++)
            for (var x = 2; x < width; x++)
                shifted[y * width + x] = truth[(y - 1) * width + x - 2];
        var extra = Vessels(width, height, seed: 12, walks: 15);
        var predicted = shifted.Select((v, p) => (byte)(v | extra[p])).ToArray();

        // when
        var s = SegmentationMetrics.Score("fundus", truth, predicted, region, width, height, 1);

        // then: a plausible overlap, and HD95 the type-7 percentile of boundary distances that agree with
        // brute force on a sample (all of them would take ~10⁹ steps)
        Assert.InRange(s.Dice, 0.05, 0.95);
        Assert.NotNull(s.Hd95);
        var a = truth.Select((v, p) => v == 1 && region[p] != 0).ToArray();
        var b = predicted.Select((v, p) => v == 1 && region[p] != 0).ToArray();
        var edgeA = BruteBoundary(a, width, height);
        var edgeB = BruteBoundary(b, width, height);
        Assert.True(edgeA.Count + edgeB.Count > 20000, $"{edgeA.Count} + {edgeB.Count} boundary pixels");
        var distances = SegmentationMetrics.BoundaryDistances(a, b, width, height);
        Assert.Equal(edgeA.Count + edgeB.Count, distances.Length);
        Assert.Equal(Type7(distances, 0.95), s.Hd95!.Value, 12);
        var random = new Random(3);
        for (var k = 0; k < 200; k++)
        {
            var i = random.Next(distances.Length);
            var expected = i < edgeA.Count ? Nearest(edgeA[i], edgeB) : Nearest(edgeB[i - edgeA.Count], edgeA);
            Assert.Equal(expected, distances[i]);
        }
    }

    /// <summary>Random walks of width 1–5 px that curve gently, like retinal vessels.</summary>
    private static byte[] Vessels(int width, int height, int seed, int walks)
    {
        var random = new Random(seed);
        var m = new byte[width * height];
        for (var w = 0; w < walks; w++)
        {
            double x = random.Next(width), y = random.Next(height), angle = random.NextDouble() * 2 * Math.PI;
            var r = random.Next(0, 3);
            for (var step = 0; step < 400 && x >= 0 && y >= 0 && x < width && y < height; step++)
            {
                for (var dy = -r; dy <= r; dy++)
                    for (var dx = -r; dx <= r; dx++)
                    {
                        int px = (int)x + dx, py = (int)y + dy;
                        if (px >= 0 && py >= 0 && px < width && py < height && dx * dx + dy * dy <= r * r) m[py * width + px] = 1;
                    }
                angle += (random.NextDouble() - 0.5) * 0.4;
                x += Math.Cos(angle);
                y += Math.Sin(angle);
            }
        }
        return m;
    }

    [Fact]
    public void Should_Throw_When_SizesDisagree()
    {
        var m = new byte[12];
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Score("x", m, new byte[11], [], 4, 3, 1));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Score("x", new byte[13], m, [], 4, 3, 1));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Score("x", m, m, new byte[5], 4, 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentationMetrics.Score("x", m, m, [], 4, 3, 256));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.DistanceTransform(new bool[11], 4, 3));
    }

    [Fact]
    public void Should_GiveMeansWithIntervalsAroundThem_When_ImagesVary()
    {
        // given: 30 images, Dice 0.50, 0.51, ..., 0.79; HD95 defined on the 20 with i mod 3 ≠ 0, equal to i
        var scores = Enumerable.Range(0, 30)
            .Select(i => ImageScore($"i{i}", 0.5 + 0.01 * i, i % 3 == 0 ? null : i))
            .ToList();

        // when
        var m = SegmentationMetrics.Summarise(scores, 1000, seed: 5);

        // then: mean Dice 0.645; mean HD95 over i mod 3 ≠ 0 = (435 − 135)/20 = 15
        Assert.Equal(1, m.Label);
        Assert.Equal(30, m.Images);
        Assert.Equal(0.645, m.Dice.Value, 12);
        Assert.True(m.Dice.Lower < 0.645 && 0.645 < m.Dice.Upper, $"[{m.Dice.Lower}, {m.Dice.Upper}]");
        Assert.Equal(scores.Average(s => s.Iou), m.Iou.Value, 12);
        Assert.True(m.Iou.Lower < m.Iou.Value && m.Iou.Value < m.Iou.Upper);
        Assert.Equal(m.Dice, m.Sensitivity);
        Assert.Equal(m.Dice, m.Precision);
        Assert.Equal(20, m.Hd95Images);
        Assert.NotNull(m.Hd95);
        Assert.Equal(15.0, m.Hd95!.Value, 12);
        Assert.True(m.Hd95.Lower < 15 && 15 < m.Hd95.Upper, $"[{m.Hd95.Lower}, {m.Hd95.Upper}]");
        // Dice values span 0.29 with SD ≈ 0.088: the SE of the mean is ≈ 0.016, so the 95% interval is ≈ 0.063 wide
        Assert.InRange(m.Dice.Upper - m.Dice.Lower, 0.04, 0.09);
    }

    [Fact]
    public void Should_GiveDegenerateInterval_When_AllImagesAreEqual()
    {
        // given
        var scores = Enumerable.Range(0, 12).Select(i => ImageScore($"i{i}", 0.8, 2.5)).ToList();

        // when
        var m = SegmentationMetrics.Summarise(scores, 200, seed: 1);

        // then
        Assert.Equal(0.8, m.Dice.Value, 12);
        Assert.Equal(m.Dice.Value, m.Dice.Lower);
        Assert.Equal(m.Dice.Value, m.Dice.Upper);
        Assert.Equal(new Estimate(m.Hd95!.Value, m.Hd95.Value, m.Hd95.Value), m.Hd95);
        Assert.Equal(2.5, m.Hd95.Value, 12);
        Assert.Equal(12, m.Hd95Images);
    }

    [Fact]
    public void Should_LeaveHd95Out_When_NoImageHasIt()
    {
        var scores = new[] { ImageScore("a", 0), ImageScore("b", 1) };
        var m = SegmentationMetrics.Summarise(scores, 100, seed: 1);
        Assert.Null(m.Hd95);
        Assert.Equal(0, m.Hd95Images);
        Assert.Equal(0.5, m.Dice.Value, 15);
    }

    [Fact]
    public void Should_Throw_When_SummarisingNothingOrMixedLabels()
    {
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Summarise([], 100, 1));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Summarise([ImageScore("a", 0.5), ImageScore("b", 0.5, label: 2)], 100, 1));
    }

    [Fact]
    public void Should_FindASmallPValue_When_FinalIsBetterOnEveryImage()
    {
        // given: 20 images, final better by 0.05 + 0.005·(i mod 3): mean difference 0.05 + 0.005·19/20 = 0.05475
        var initial = Enumerable.Range(0, 20).Select(i => ImageScore($"i{i}", 0.6 + 0.01 * (i % 5))).ToList();
        var final = initial.Select((s, i) => s with { Dice = s.Dice + 0.05 + 0.005 * (i % 3) }).ToList();

        // when
        var up = SegmentationMetrics.PairedDice(initial, final, 2000, seed: 9);
        var down = SegmentationMetrics.PairedDice(final, initial, 2000, seed: 9);

        // then
        Assert.Equal("dice", up.Metric);
        Assert.Equal(SegmentationMetrics.PairedMethod, up.Method);
        Assert.Equal(0.05475, up.Difference, 12);
        Assert.True(up.Lower > 0.05 && up.Upper < 0.06, $"[{up.Lower}, {up.Upper}]");
        Assert.True(up.PValue < 0.01, $"p = {up.PValue}");
        Assert.Equal(-0.05475, down.Difference, 12);
        Assert.True(down.Upper < 0);
        Assert.True(down.PValue < 0.01);
    }

    [Fact]
    public void Should_FindNoDifference_When_ChangesCancel()
    {
        // given: final up by 0.1 on even images and down by 0.1 on odd ones
        var initial = Enumerable.Range(0, 20).Select(i => ImageScore($"i{i}", 0.6)).ToList();
        var final = initial.Select((s, i) => s with { Dice = s.Dice + (i % 2 == 0 ? 0.1 : -0.1) }).ToList();

        // when
        var same = SegmentationMetrics.PairedDice(initial, initial, 500, seed: 2);
        var mixed = SegmentationMetrics.PairedDice(initial, final, 500, seed: 2);

        // then: identical models give p = 1 exactly; cancelling changes a large p and an interval around 0
        Assert.Equal(0.0, same.Difference);
        Assert.Equal(1.0, same.PValue);
        Assert.Equal(0.0, mixed.Difference, 12);
        Assert.True(mixed.PValue > 0.5, $"p = {mixed.PValue}");
        Assert.True(mixed.Lower < 0 && 0 < mixed.Upper);
    }

    [Fact]
    public void Should_Throw_When_PairedImagesDiffer()
    {
        var initial = new[] { ImageScore("a", 0.5), ImageScore("b", 0.6) };
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.PairedDice(initial, [ImageScore("a", 0.5), ImageScore("c", 0.6)], 100, 1));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.PairedDice(initial, [ImageScore("b", 0.6), ImageScore("a", 0.5)], 100, 1));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.PairedDice(initial, [ImageScore("a", 0.5)], 100, 1));
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.PairedDice(initial, [ImageScore("a", 0.5), ImageScore("b", 0.6, label: 2)], 100, 1));
    }

    [Fact]
    public void Should_AverageDicePerImage_When_ComputingTheObjective()
    {
        // given: a large well-segmented image and a small missed one weigh the same
        var scores = new[] { ImageScore("big", 0.9) with { TruthPixels = 100000 }, ImageScore("small", 0.1) with { TruthPixels = 10 } };

        // when / then
        Assert.Equal(0.5, SegmentationMetrics.ObjectiveDice(scores), 15);
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.ObjectiveDice([]));
    }

    [Fact]
    public void Should_RoundTripThroughJson_When_SerialisingScoresAndSummaries()
    {
        // given: one score with and one without HD95, and summaries with and without it
        var withHd = new SegmentationImageScore("a", 1, 0.8, 0.8 / 1.2, 0.75, 0.9, 2.5, 1234, 1100);
        var withoutHd = withHd with { Id = "b", Hd95 = null, PredictedPixels = 0 };
        var summary = SegmentationMetrics.Summarise([withHd, withoutHd], 100, 3);
        var noHd = SegmentationMetrics.Summarise([withoutHd], 100, 3);

        // when
        var json = Json.Serialize(summary);

        // then
        Assert.Equal(withHd, Json.Deserialize<SegmentationImageScore>(Json.Serialize(withHd), "test"));
        Assert.Equal(withoutHd, Json.Deserialize<SegmentationImageScore>(Json.Serialize(withoutHd), "test"));
        Assert.Equal(summary, Json.Deserialize<SegmentationSummaryMetrics>(json, "test"));
        Assert.Equal(noHd, Json.Deserialize<SegmentationSummaryMetrics>(Json.Serialize(noHd), "test"));
        Assert.Contains("\"hd95_images\": 1", json);
        Assert.Contains("\"hd95\": null", Json.Serialize(noHd));
    }
}
