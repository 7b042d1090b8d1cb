using Clinforge.Core;

namespace Clinforge.Evaluation.Tests;

/// <summary>COCO-style AP pinned by hand-computed cases.</summary>
public sealed class DetectionMetricsTests
{
    private static BoundingBox Box(double x1, double y1, double x2, double y2, double score = 1) => new(x1, y1, x2, y2, 0, score);

    [Fact]
    public void Should_GiveApOne_When_EveryFindingIsFoundFirst()
    {
        // given: one image, one finding, one exact prediction
        var images = new[] { new ImageDetections([Box(0.1, 0.1, 0.3, 0.3)], [Box(0.1, 0.1, 0.3, 0.3, 0.9)]) };

        // when / then
        Assert.Equal(1.0, DetectionMetrics.Map50(images), 12);
        Assert.Equal(1.0, DetectionMetrics.Map50To95(images), 12);
    }

    [Fact]
    public void Should_InterpolatePrecisionAt101RecallPoints_When_AFalsePositiveSitsBetweenHits()
    {
        // given: 2 findings; predictions TP (0.9), FP (0.8), TP (0.7)
        // recall 0.5, 0.5, 1.0; precision 1, 1/2, 2/3; envelope 1, 2/3, 2/3
        // recall points 0..0.50 (51 of them) read 1, points 0.51..1 (50) read 2/3: AP = (51 + 50·2/3) / 101
        var images = new[]
        {
            new ImageDetections([Box(0.0, 0.0, 0.2, 0.2), Box(0.5, 0.5, 0.7, 0.7)],
                [Box(0.0, 0.0, 0.2, 0.2, 0.9), Box(0.8, 0.8, 0.9, 0.9, 0.8), Box(0.5, 0.5, 0.7, 0.7, 0.7)]),
        };

        // when
        double ap = DetectionMetrics.Map50(images);

        // then
        Assert.Equal((51 + 50 * 2.0 / 3) / 101, ap, 12);
    }

    [Fact]
    public void Should_CapApAtReachedRecall_When_AFindingIsNeverPredicted()
    {
        // given: 2 findings on two images, only one found: recall stops at 0.5 → AP = 51/101
        var images = new[]
        {
            new ImageDetections([Box(0.1, 0.1, 0.3, 0.3)], [Box(0.1, 0.1, 0.3, 0.3, 0.6)]),
            new ImageDetections([Box(0.5, 0.5, 0.6, 0.6)], []),
        };

        // when / then
        Assert.Equal(51.0 / 101, DetectionMetrics.Map50(images), 12);
    }

    [Fact]
    public void Should_CountADuplicateAsFalsePositive_When_TwoPredictionsHitOneFinding()
    {
        // given: one finding, two predictions on it, and a negative image with one prediction
        var images = new[]
        {
            new ImageDetections([Box(0.1, 0.1, 0.3, 0.3)], [Box(0.1, 0.1, 0.3, 0.3, 0.9), Box(0.11, 0.1, 0.3, 0.3, 0.8)]),
            new ImageDetections([], [Box(0.5, 0.5, 0.6, 0.6, 0.95)]),
        };

        // when
        var at05 = DetectionMetrics.CountsAt(images, 0.5, 0.5);
        var at085 = DetectionMetrics.CountsAt(images, 0.5, 0.85);
        var at099 = DetectionMetrics.CountsAt(images, 0.5, 0.99);

        // then: TP 1, FP 2 (duplicate + negative image), FN 0 → P 1/3, R 1, F1 0.5
        Assert.Equal(new DetectionCounts(1, 2, 0), at05);
        Assert.Equal(1.0 / 3, at05.Precision, 12);
        Assert.Equal(0.5, at05.F1, 12);
        Assert.Equal(new DetectionCounts(1, 1, 0), at085);
        Assert.Equal(new DetectionCounts(0, 0, 1), at099);
        Assert.Equal(0, at099.Recall);
        // F2 = 5·TP / (5·TP + 4·FN + FP) = 5 / 7 at 0.5
        Assert.Equal(5.0 / 7, at05.FBeta(2), 12);
        // AP: FP (0.95), TP (0.9), FP (0.8) → recall reaches 1 at precision 1/2 → AP = 0.5
        Assert.Equal(0.5, DetectionMetrics.Map50(images), 12);
    }

    [Fact]
    public void Should_AverageOverTenIouThresholds_When_APredictionOverlapsBy62Percent()
    {
        // given: IoU = 0.155 / 0.25 = 0.62: a hit at 0.50, 0.55, 0.60 and a miss at 0.65..0.95
        var images = new[] { new ImageDetections([Box(0, 0, 0.5, 0.5)], [Box(0, 0, 0.5, 0.31, 0.9)]) };

        // when / then
        Assert.Equal(1.0, DetectionMetrics.Map50(images), 12);
        Assert.Equal(0.3, DetectionMetrics.Map50To95(images), 12);
    }

    [Fact]
    public void Should_ChooseTheThresholdMaximisingF2_When_LowScoresHoldHits()
    {
        // given: hits at 0.9 and 0.3, a false mark at 0.6; 2 findings
        var images = new[]
        {
            new ImageDetections([Box(0, 0, 0.2, 0.2), Box(0.5, 0.5, 0.7, 0.7)],
                [Box(0, 0, 0.2, 0.2, 0.9), Box(0.8, 0.8, 0.9, 0.9, 0.6), Box(0.5, 0.5, 0.7, 0.7, 0.3)]),
        };

        // when
        var (threshold, f2) = DetectionMetrics.BestThreshold(images, 2);

        // then: at 0.3 TP 2 FP 1 → F2 = 10/11 beats 0.9 (TP 1 FN 1 → 5/9)
        Assert.Equal(0.3, threshold, 12);
        Assert.Equal(10.0 / 11, f2, 12);
    }

    [Fact]
    public void Should_GiveSeededIntervalsContainingTheEstimate_When_Bootstrapping()
    {
        // given: 40 images, half found
        var images = Enumerable.Range(0, 40).Select(i => new ImageDetections([Box(0.1, 0.1, 0.3, 0.3)],
            i % 2 == 0 ? [Box(0.1, 0.1, 0.3, 0.3, 0.5 + i / 100.0)] : [Box(0.6, 0.6, 0.8, 0.8, 0.4)])).ToList();

        // when
        var a = DetectionMetrics.Evaluate(images, 0.45, 300, 7);
        var b = DetectionMetrics.Evaluate(images, 0.45, 300, 7);

        // then
        Assert.Equal(a["map50"], b["map50"]);
        Assert.Equal(0.5, a["recall"].Value, 12);
        Assert.Equal(1.0, a["precision"].Value, 12);
        foreach (var e in a.Values) Assert.True(e.Lower <= e.Value + 1e-12 && e.Value <= e.Upper + 1e-12);
        Assert.True(a["recall"].Upper - a["recall"].Lower > 0.1);
    }
}
