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

    private static BoundingBox Of(int cls, double x1, double y1, double x2, double y2, double score = 1) => new(x1, y1, x2, y2, cls, score);

    // Two classes, A = 0 and B = 1; every prediction sits exactly on a ground-truth box (IoU 1), some of the wrong class.
    //   image 1: truth A a1, B b1;  predicted A on a1 (0.9, hit), B on a1 (0.8: wrong class → false mark for B; b1 is never found)
    //   image 2: truth B b2;        predicted B on b2 (0.7, hit), A on b2 (0.6: wrong class → false mark for A)
    private static ImageDetections[] TwoClassImages() =>
    [
        new([Of(0, 0.0, 0.0, 0.2, 0.2), Of(1, 0.5, 0.5, 0.7, 0.7)], [Of(0, 0.0, 0.0, 0.2, 0.2, 0.9), Of(1, 0.0, 0.0, 0.2, 0.2, 0.8)]),
        new([Of(1, 0.1, 0.1, 0.3, 0.3)], [Of(1, 0.1, 0.1, 0.3, 0.3, 0.7), Of(0, 0.1, 0.1, 0.3, 0.3, 0.6)]),
    ];

    [Fact]
    public void Should_AverageApOverClasses_When_BoxesOfTheWrongClassOverlapFindings()
    {
        // given: the two-class images above
        var images = TwoClassImages();

        // when
        double map50 = DetectionMetrics.Map50(images);
        double map5095 = DetectionMetrics.Map50To95(images);

        // then: class A, 1 finding: hit (0.9), false (0.6) → recall 1 at precision 1 → AP_A = 1
        //       class B, 2 findings: false (0.8), hit (0.7) → precision 0, 1/2; recall 0, 1/2; envelope 1/2, 1/2
        //       → the 51 recall points 0..0.50 read 1/2, the rest 0 → AP_B = 25.5/101
        //       mAP = (1 + 25.5/101) / 2; exact boxes, so the same at every IoU of 0.50:0.95
        double apB = 25.5 / 101;
        Assert.Equal((1 + apB) / 2, map50, 12);
        Assert.Equal((1 + apB) / 2, map5095, 12);
        Assert.Equal(1.0, DetectionMetrics.AveragePrecision(DetectionMetrics.OfClass(images, 0), 0.5), 12);
        Assert.Equal(apB, DetectionMetrics.AveragePrecision(DetectionMetrics.OfClass(images, 1), 0.5), 12);
        // class-blind, the wrong-class boxes would all be hits or duplicates: the class check is what makes them false
        Assert.NotEqual(map50, DetectionMetrics.Map50(images.Select(i => new ImageDetections(i.Truth.Select(b => b with { Class = 0 }).ToList(), i.Predicted.Select(b => b with { Class = 0 }).ToList())).ToList()), 6);
    }

    [Fact]
    public void Should_CountAWrongClassBoxAsFalseMarkAndItsFindingAsMissed_When_ScoringPerClassAtTheThreshold()
    {
        // given: the two-class images, operating threshold 0.65 (keeps A 0.9, B 0.8, B 0.7; drops A 0.6)
        var images = TwoClassImages();

        // when
        var overall = DetectionMetrics.Evaluate(images, 0.65, 200, 3);
        var perClass = DetectionMetrics.EvaluateByClass(images, ["A", "B"], 0.65, 200, 3);

        // then: A: TP 1, FP 0, FN 0 → P 1, R 1, F1 1
        //       B: TP 1 (b2), FP 1 (the B box on a1), FN 1 (b1) → P 1/2, R 1/2, F1 1/2
        //       overall (summed): TP 2, FP 1, FN 1 → P 2/3, R 2/3, F1 2/3
        Assert.Equal(["A", "B"], perClass.Select(c => c.Class));
        Assert.Equal([1, 2], perClass.Select(c => c.Boxes));
        var a = perClass[0].Metrics;
        var b = perClass[1].Metrics;
        Assert.Equal(1.0, a["precision"].Value, 12);
        Assert.Equal(1.0, a["recall"].Value, 12);
        Assert.Equal(1.0, a["f1"].Value, 12);
        Assert.Equal(0.5, b["precision"].Value, 12);
        Assert.Equal(0.5, b["recall"].Value, 12);
        Assert.Equal(0.5, b["f1"].Value, 12);
        Assert.Equal(1.0, a["map50"].Value, 12);
        Assert.Equal(25.5 / 101, b["map50"].Value, 12);
        Assert.Equal(2.0 / 3, overall["precision"].Value, 12);
        Assert.Equal(2.0 / 3, overall["recall"].Value, 12);
        Assert.Equal(2.0 / 3, overall["f1"].Value, 12);
        Assert.Equal((1 + 25.5 / 101) / 2, overall["map50"].Value, 12);
        foreach (var e in perClass.SelectMany(c => c.Metrics.Values).Concat(overall.Values))
            Assert.True(e.Lower <= e.Value + 1e-12 && e.Value <= e.Upper + 1e-12);
    }

    [Fact]
    public void Should_LeaveAClassWithoutFindingsOutOfTheMean_When_ItOnlyHasFalseMarks()
    {
        // given: the two-class images plus a false mark of a third class C (no C finding anywhere)
        var images = TwoClassImages();
        images[1] = images[1] with { Predicted = [.. images[1].Predicted, Of(2, 0.6, 0.6, 0.9, 0.9, 0.95)] };

        // when
        var overall = DetectionMetrics.Evaluate(images, 0.65, 200, 3);
        var c = DetectionMetrics.EvaluateByClass(images, ["A", "B", "C"], 0.65, 200, 3)[2];

        // then: mAP is still the mean of A and B (COCO skips a class without ground truth); C's AP and recall are
        // undefined, its precision 0 (one false mark), and the false mark lowers overall precision to 2/4
        Assert.Equal((1 + 25.5 / 101) / 2, overall["map50"].Value, 12);
        Assert.Equal(0, c.Boxes);
        Assert.True(double.IsNaN(c.Metrics["map50"].Value));
        Assert.True(double.IsNaN(c.Metrics["recall"].Value));
        Assert.Equal(0.0, c.Metrics["precision"].Value, 12);
        Assert.Equal(0.5, overall["precision"].Value, 12);
    }

    [Fact]
    public void Should_GiveTheSameNumbersAsOneClass_When_PerClassEvaluationHasOneClass()
    {
        // given: single-class images (all class 0)
        var images = Enumerable.Range(0, 20).Select(i => new ImageDetections([Box(0.1, 0.1, 0.3, 0.3)],
            i % 3 == 0 ? [Box(0.1, 0.1, 0.3, 0.3, 0.5 + i / 100.0)] : [Box(0.6, 0.6, 0.8, 0.8, 0.4 + i / 100.0)])).ToList();

        // when
        var overall = DetectionMetrics.Evaluate(images, 0.45, 200, 5);
        var only = Assert.Single(DetectionMetrics.EvaluateByClass(images, ["finding"], 0.45, 200, 5));

        // then: the class's AP, recall, precision, F1 (with their intervals) are the overall ones
        foreach (var name in new[] { "map50", "map50_95", "recall", "precision", "f1" })
            Assert.Equal(overall[name], only.Metrics[name]);
    }
}

/// <summary>Per-class operating thresholds for a detector that keeps classes apart, pinned by hand-computed cases.</summary>
public sealed class DetectionClassThresholdTests
{
    private static BoundingBox Box(double x, int cls, double score = 1) => new(x, 0.1, x + 0.2, 0.3, cls, score);

    /// <summary>
    /// Ten images of class 0 each with a hit at 0.9 and a false mark at 0.3, and ten of class 1 each with
    /// a hit at 0.2. Pooled F1: at 0.9 P 1 R 0.5 (F1 2/3); at 0.3 P 1/2 R 1/2; at 0.2 P 2/3 R 1 (F1 0.8) → 0.2,
    /// which keeps class 0's ten false marks. Per class: class 0 → 0.9 (F1 1), class 1 → 0.2 (F1 1).
    /// </summary>
    private static List<ImageDetections> TwoClasses(int perClass)
    {
        var images = new List<ImageDetections>();
        for (int i = 0; i < perClass; i++)
        {
            images.Add(new ImageDetections([Box(0.1, 0)], [Box(0.1, 0, 0.9), Box(0.6, 0, 0.3)]));
            images.Add(new ImageDetections([Box(0.1, 1)], [Box(0.1, 1, 0.2)]));
        }
        return images;
    }

    [Fact]
    public void Should_GiveEachClassTheThresholdThatMaximisesItsOwnF1_When_ItHasEnoughValidationBoxes()
    {
        // given
        var images = TwoClasses(DetectionMetrics.MinBoxesForClassThreshold);
        var (pooled, pooledF1) = DetectionMetrics.BestThreshold(images, 1);

        // when
        var perClass = DetectionMetrics.BestClassThresholds(images, 2, 1, pooled);

        // then: the pooled threshold keeps class 0's false marks; per class, none is kept and every finding is
        Assert.Equal(0.2, pooled, 9);
        Assert.Equal(0.8, pooledF1, 9);
        Assert.Equal([0.9, 0.2], perClass.Select(t => Math.Round(t, 9)));
        var counts = DetectionMetrics.CountsAt(images, 0.5, new DetectionOperatingPoint(pooled, perClass));
        Assert.Equal(new DetectionCounts(20, 0, 0), counts);
        Assert.Equal(new DetectionCounts(20, 10, 0), DetectionMetrics.CountsAt(images, 0.5, pooled));
    }

    [Fact]
    public void Should_KeepThePooledThreshold_When_AClassHasTooFewValidationBoxes()
    {
        // given: one box fewer than the minimum per class
        var images = TwoClasses(DetectionMetrics.MinBoxesForClassThreshold - 1);

        // when
        var perClass = DetectionMetrics.BestClassThresholds(images, 3, 1, 0.42);

        // then: every class (and the class with no box at all) keeps the pooled threshold
        Assert.Equal([0.42, 0.42, 0.42], perClass);
    }

    [Fact]
    public void Should_ScoreTheObjectiveAtPerClassThresholds_When_TheDetectorKeepsClassesApart()
    {
        // given
        var images = TwoClasses(DetectionMetrics.MinBoxesForClassThreshold);

        // when: the validation objective with two classes, and as if one class
        var two = DetectionObjective.Score(DetectionMetricNames.F2, images.Select(i => i.Truth).ToList(), images.Select(i => i.Predicted).ToList(), classes: 2);
        var one = DetectionObjective.Score(DetectionMetricNames.F2, images.Select(i => i.Truth).ToList(), images.Select(i => i.Predicted).ToList());

        // then: recall 1 and precision 1 at the per-class operating point; one class has no per-class thresholds
        Assert.Equal([0.9, 0.2], two.ClassThresholds!.Select(t => Math.Round(t, 9)));
        Assert.Equal(1.0, two.Specificity, 9);
        Assert.Equal(1.0, two.Objective, 9);
        Assert.Null(one.ClassThresholds);
        Assert.Equal(2.0 / 3, one.Specificity, 9);
    }

    [Fact]
    public void Should_CountAtTheGivenOperatingPoint_When_ItWasChosenOnOtherImages()
    {
        // given: the two-class images, whose own best operating point gives F2 1
        var images = TwoClasses(DetectionMetrics.MinBoxesForClassThreshold);
        var truth = images.Select(i => i.Truth).ToList();
        var predicted = images.Select(i => i.Predicted).ToList();

        // when: scored at a pooled 0.95 (as if chosen on another half of validation), which keeps no box
        var given = DetectionObjective.Score(DetectionMetricNames.F2, truth, predicted, classes: 2, at: DetectionOperatingPoint.Pooled(0.95));

        // then: the threshold is the given one, not re-chosen, and nothing is found at it
        Assert.Equal(0.95, given.Threshold, 9);
        Assert.Empty(given.ClassThresholds!);
        Assert.Equal(0.0, given.Sensitivity, 9);
        Assert.Equal(0.0, given.Objective, 9);
    }

    [Fact]
    public void Should_EvaluateEachClassAtItsThreshold_When_AnOperatingPointHasClassThresholds()
    {
        // given
        var images = TwoClasses(DetectionMetrics.MinBoxesForClassThreshold);
        var operating = new DetectionOperatingPoint(0.2, [0.9, 0.2]);

        // when
        var overall = DetectionMetrics.Evaluate(images, operating, 100, 1);
        var byClass = DetectionMetrics.EvaluateByClass(images, ["elbow", "wrist"], operating, 100, 1);

        // then: class 0's false marks at 0.3 are not kept
        Assert.Equal(1.0, overall["precision"].Value, 9);
        Assert.Equal(1.0, byClass[0].Metrics["precision"].Value, 9);
        Assert.Equal(0.5, DetectionMetrics.EvaluateByClass(images, ["elbow", "wrist"], 0.2, 100, 1)[0].Metrics["precision"].Value, 9);
    }
}
