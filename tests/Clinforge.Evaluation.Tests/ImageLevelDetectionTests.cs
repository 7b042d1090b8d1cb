using Clinforge.Core;

namespace Clinforge.Evaluation.Tests;

/// <summary>The image-level reading of a detector, pinned by hand-computed cases.</summary>
public sealed class ImageLevelDetectionTests
{
    private static BoundingBox Box(double score) => new(0.1, 0.1, 0.2, 0.2, 0, score);

    [Fact]
    public void Should_ScoreAnImageByItsMostConfidentBox_When_ItHasBoxes()
    {
        // given / when / then: the highest score, and 0 when the detector returned nothing
        Assert.Equal(0.7, ImageLevelDetection.ImageScore([Box(0.2), Box(0.7), Box(0.5)]), 12);
        Assert.Equal(0.0, ImageLevelDetection.ImageScore([]), 12);
    }

    [Fact]
    public void Should_GiveHandComputedAucSensitivityAndSpecificity_When_ThreePositivesAndThreeNegatives()
    {
        // given: positives score 0.9, 0.4, 0 (no box); negatives 0.5, 0.1, 0; threshold 0.45
        // AUC: 0.9 beats all 3 negatives (3); 0.4 beats 0.1 and 0 (2); 0 ties the 0 negative (0.5): 5.5 / 9
        // flagged: positive 0.9 only (sensitivity 1/3); negative 0.5 (specificity 2/3)
        bool[] positive = [true, true, true, false, false, false];
        double[] scores = [0.9, 0.4, 0.0, 0.5, 0.1, 0.0];

        // when
        var r = ImageLevelDetection.Evaluate(positive, scores, 0.45, 200, 3);

        // then
        Assert.Equal(5.5 / 9, r.Auc.Value, 12);
        Assert.Equal(1.0 / 3, r.Sensitivity.Value, 12);
        Assert.Equal(2.0 / 3, r.Specificity.Value, 12);
        Assert.Equal((3, 3, 1, 1), (r.Positives, r.Negatives, r.TruePositives, r.FalsePositives));
        Assert.True(r.Sensitivity.Lower <= r.Sensitivity.Value && r.Sensitivity.Value <= r.Sensitivity.Upper);
        Assert.True(r.Auc.Lower < r.Auc.Value && r.Auc.Value < r.Auc.Upper);
    }

    [Fact]
    public void Should_FlagAnImage_When_ItsBestBoxScoresExactlyTheThreshold()
    {
        // given: one positive at exactly the threshold, one negative just below
        var r = ImageLevelDetection.Evaluate([true, false], [0.3, 0.2999], 0.3, 50, 1);

        // then: "at least one mark at the threshold" includes equality, as the marked image does
        Assert.Equal(1.0, r.Sensitivity.Value, 12);
        Assert.Equal(1.0, r.Specificity.Value, 12);
    }

    [Fact]
    public void Should_ReportNaNAucAndSpecificity_When_NoNegativeImageIsPresent()
    {
        // given: positives only
        var r = ImageLevelDetection.Evaluate([true, true], [0.9, 0.1], 0.5, 50, 1);

        // then: what needs negatives is not invented
        Assert.True(double.IsNaN(r.Auc.Value));
        Assert.True(double.IsNaN(r.Specificity.Value));
        Assert.Equal(0.5, r.Sensitivity.Value, 12);
        Assert.Null(ImageLevelDetection.Compare([true, true], [0.9, 0.1], [0.8, 0.2]));
    }

    [Fact]
    public void Should_GiveTheAucDifference_When_TheFinalModelRanksImagesBetter()
    {
        // given: the initial model ranks one negative above one positive (AUC 3/4); the final ranks all correctly (AUC 1)
        bool[] positive = [true, true, false, false];
        double[] initial = [0.9, 0.3, 0.5, 0.1];
        double[] final = [0.9, 0.6, 0.5, 0.1];

        // when
        var c = ImageLevelDetection.Compare(positive, initial, final);

        // then
        Assert.NotNull(c);
        Assert.Equal(0.25, c.AucDifference, 12);
        Assert.InRange(c.PValue, 0, 1);
    }
}
