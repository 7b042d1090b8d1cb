namespace Clinforge.Evaluation.Tests;

public sealed class SubgroupsTests
{
    private static readonly string[] Groups = ["A", "A", "A", "A", "B", "B", "B", "B", "C", "C"];
    private static readonly int[] Labels = [1, 1, 0, 0, 1, 0, 1, 0, 0, 0];
    private static readonly double[] Scores = [0.9, 0.4, 0.5, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.4];

    [Fact]
    public void Should_GiveHandComputedAucPerGroup_When_GroupsGiven()
    {
        // given group A where 3 of 4 positive–negative pairs are ordered (0.9>0.5, 0.9>0.1, 0.4>0.1; 0.4<0.5),
        // group B perfectly separated, and group C without positives

        // when the AUC subgroup table is computed
        var rows = Subgroups.Table(Groups, Labels, Scores, BinaryMetrics.Auc, resamples: 500, seed: 17);

        // then A = 0.75 with an interval around it, B = 1 with [1, 1] (every stratified resample stays separated), C undefined
        Assert.Equal(["A", "B", "C"], rows.Select(r => r.Group));
        Assert.Equal((4, 2, 0.75), (rows[0].Count, rows[0].Positives, rows[0].Value));
        Assert.True(rows[0].Lower <= 0.75 && rows[0].Upper >= 0.75 && rows[0].Upper <= 1 && rows[0].Lower >= 0, $"{rows[0]}");
        Assert.True(rows[0].Upper > rows[0].Lower);
        Assert.Equal((1.0, 1.0, 1.0), (rows[1].Value, rows[1].Lower, rows[1].Upper));
        Assert.Equal((2, 0), (rows[2].Count, rows[2].Positives));
        Assert.True(double.IsNaN(rows[2].Value) && double.IsNaN(rows[2].Lower));
    }

    [Fact]
    public void Should_BeReproducible_When_SeedRepeated()
    {
        var a = Subgroups.Table(Groups, Labels, Scores, BinaryMetrics.Auc, 300, 5);
        var b = Subgroups.Table(Groups, Labels, Scores, BinaryMetrics.Auc, 300, 5);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Should_Throw_When_GroupsMisaligned()
    {
        var e = Assert.Throws<ArgumentException>(() => Subgroups.Table(["A"], Labels, Scores, BinaryMetrics.Auc, 10, 1));
        Assert.Contains("groups", e.Message);
    }
}
