namespace Clinforge.Evaluation.Tests;

public sealed class ExamplesTests
{
    [Fact]
    public void Should_PickTheMostConfidentCasesOfEachOutcome_When_SelectingExamples()
    {
        // Given 8 cases at threshold 0.5:
        //   positives 0.9 (TP), 0.7 (TP), 0.4 (FN), 0.1 (FN); negatives 0.8 (FP), 0.6 (FP), 0.3 (TN), 0.2 (TN)
        int[] labels = [1, 1, 1, 1, 0, 0, 0, 0];
        double[] scores = [0.7, 0.9, 0.4, 0.1, 0.6, 0.8, 0.3, 0.2];

        // When one example per outcome is selected
        var picks = Examples.Select(labels, scores, 0.5, perKind: 1);

        // Then: the surest hit (0.9), the worst miss (0.1), the surest false alarm (0.8), the surest negative (0.2)
        Assert.Equal(
            [("true positive", 1), ("false negative", 3), ("false positive", 5), ("true negative", 7)],
            picks);
        Assert.Equal(8, Examples.Select(labels, scores, 0.5, perKind: 5).Count);
    }
}
