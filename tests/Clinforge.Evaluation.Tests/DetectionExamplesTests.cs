using Clinforge.Core;

namespace Clinforge.Evaluation.Tests;

/// <summary>Which test images the detection report draws, and how each box is sorted for the drawing.</summary>
public sealed class DetectionExamplesTests
{
    private static BoundingBox Box(double x1, double y1, double x2, double y2, double score = 1) => new(x1, y1, x2, y2, 0, score);

    private static readonly BoundingBox s_left = Box(0.1, 0.1, 0.3, 0.3), s_right = Box(0.6, 0.6, 0.8, 0.8), s_bottom = Box(0.1, 0.7, 0.3, 0.9);

    private static BoundingBox On(BoundingBox b, double score) => b with { Score = score };

    [Fact]
    public void Should_PickTheSurestMarksTheWorstMissesAndTheSurestFalseAlarms_When_SelectingDetectionExamples()
    {
        // given: eleven test images at threshold 0.3 (IoU ≥ 0.5 to match)
        string[] ids = ["k", "a", "b", "c", "d", "e", "j", "f", "g", "h", "i"];
        ImageDetections[] images =
        [
            new([s_left, s_right, s_bottom], [On(s_left, 0.99)]),                 // k: surest true mark, but 2 missed too
            new([s_left], [On(s_left, 0.9)]),                                     // a: true mark 0.9
            new([s_left], [On(s_left, 0.6), On(s_right, 0.5)]),                   // b: true mark 0.6 and a false mark on a positive
            new([s_left, s_right], [On(s_left, 0.1)]),                            // c: 2 missed (its one box is below threshold), highest score 0.1
            new([s_left], []),                                                    // d: 1 missed, nothing predicted
            new([s_left], [On(s_left, 0.2)]),                                     // e: 1 missed, highest score 0.2
            new([s_left], [On(Box(0.1, 0.1, 0.3, 0.18), 0.7)]),                   // j: a mark at IoU 0.4: 1 missed and 1 false, highest score 0.7
            new([], [On(s_right, 0.8)]),                                          // f: false mark 0.8 on an image without a finding
            new([], [On(s_right, 0.4), On(s_left, 0.35)]),                        // g: two false marks, highest 0.4
            new([], [On(s_right, 0.2)]),                                          // h: below threshold: nothing shown
            new([], [On(s_left, 0.95)]),                                          // i: the surest false alarm
        ];
        var operating = DetectionOperatingPoint.Pooled(0.3);

        // when
        var picks = DetectionExamples.Select(ids, images, operating, perKind: 2);

        // then: true marks by their highest score (k, a); misses by the most missed boxes, then the least suspicious
        // image, skipping k already shown (c, d); false marks on images without a finding by score (i, f)
        Assert.Equal(
            [("true mark", "k"), ("true mark", "a"), ("miss", "c"), ("miss", "d"), ("false mark", "i"), ("false mark", "f")],
            picks.Select(p => (p.Kind, ids[p.Index])));
        // and each pick's counts per category
        Assert.Equal(
            [(1, 2, 0), (1, 0, 0), (0, 2, 0), (0, 1, 0), (0, 0, 1), (0, 0, 1)],
            picks.Select(p => (p.Marks.TrueMarks.Count, p.Marks.Missed.Count, p.Marks.FalseMarks.Count)));
        Assert.Equal([s_right, s_bottom], picks[0].Marks.Missed);
        Assert.Equal(0.99, Assert.Single(picks[0].Marks.TrueMarks).Score);
        // and over every image the marks add up to the counts the metrics report at the same operating point
        var marks = images.Select(i => DetectionMarks.Of(i, operating)).ToList();
        var counts = DetectionMetrics.CountsAt(images, 0.5, operating);
        Assert.Equal(counts.TruePositives, marks.Sum(m => m.TrueMarks.Count));
        Assert.Equal(counts.FalsePositives, marks.Sum(m => m.FalseMarks.Count));
        Assert.Equal(counts.FalseNegatives, marks.Sum(m => m.Missed.Count));
        // and the same inputs give the same picks
        Assert.Equal(picks.Select(p => p.Index), DetectionExamples.Select(ids, images, operating, perKind: 2).Select(p => p.Index));
    }

    [Fact]
    public void Should_CountAMarkBelowIouHalfAsFalseAndItsBoxAsMissed_When_SortingMarks()
    {
        // given: a mark overlapping the true box at IoU 0.4 (the top 40% of it), and the same image marked at IoU 0.6
        var low = new ImageDetections([s_left], [On(Box(0.1, 0.1, 0.3, 0.18), 0.7)]);
        var high = new ImageDetections([s_left], [On(Box(0.1, 0.1, 0.3, 0.22), 0.7)]);

        // when
        var lowMarks = DetectionMarks.Of(low, DetectionOperatingPoint.Pooled(0.3));
        var highMarks = DetectionMarks.Of(high, DetectionOperatingPoint.Pooled(0.3));

        // then
        Assert.Equal((0, 1, 1), (lowMarks.TrueMarks.Count, lowMarks.Missed.Count, lowMarks.FalseMarks.Count));
        Assert.Equal((1, 0, 0), (highMarks.TrueMarks.Count, highMarks.Missed.Count, highMarks.FalseMarks.Count));
    }

    [Fact]
    public void Should_BreakTiesByImageId_When_ScoresAreEqual()
    {
        // given: two images with equally scored true marks, the later id first
        string[] ids = ["z", "y"];
        ImageDetections[] images = [new([s_left], [On(s_left, 0.9)]), new([s_left], [On(s_left, 0.9)])];

        // when
        var pick = Assert.Single(DetectionExamples.Select(ids, images, DetectionOperatingPoint.Pooled(0.3), perKind: 1));

        // then
        Assert.Equal(("true mark", 1), (pick.Kind, pick.Index));
    }
}
