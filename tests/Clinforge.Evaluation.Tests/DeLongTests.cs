namespace Clinforge.Evaluation.Tests;

/// <summary>
/// Hand-worked DeLong et al. (1988) example, 3 positives and 3 negatives (ψ = 1 if X &gt; Y, ½ if tied):
/// <code>
/// A: X = 0.9 0.6 0.35, Y = 0.7 0.3 0.2
///    V10 = (3/3, 2/3, 2/3), V01 = (1/3, 3/3, 3/3), AUC_A = 7/9
/// B: X = 0.8 0.4 0.5,  Y = 0.4 0.1 0.6      (0.4 vs 0.4 is a tie)
///    V10 = (3/3, 1.5/3, 2/3), V01 = (2.5/3, 3/3, 1/3), AUC_B = 13/18
/// deviations: V10_A − 7/9 = (2, −1, −1)/9,   V10_B − 13/18 = (5, −4, −1)/18
///             V01_A − 7/9 = (−4, 2, 2)/9,    V01_B − 13/18 = (2, 5, −7)/18
/// S10: AA = (6/81)/2 = 1/27, BB = (42/324)/2 = 7/108, AB = (15/162)/2 = 5/108
/// S01: AA = (24/81)/2 = 4/27, BB = (78/324)/2 = 13/108, AB = (−12/162)/2 = −1/27
/// Var(B − A) = (4 + 7 − 10)/108/3 + (16 + 13 + 8)/108/3 = 38/324 = 19/162
/// Z = (13/18 − 14/18)/√(19/162) = −0.162221421…,  p = erfc(|Z|/√2) = 0.871131491…
/// Var(AUC_A) = S10_AA/3 + S01_AA/3 = 5/81,  SE_A = 0.248451997…
/// </code>
/// </summary>
public sealed class DeLongTests
{
    private static readonly int[] Labels = [1, 1, 1, 0, 0, 0];
    private static readonly double[] A = [0.9, 0.6, 0.35, 0.7, 0.3, 0.2];
    private static readonly double[] B = [0.8, 0.4, 0.5, 0.4, 0.1, 0.6];

    [Fact]
    public void Should_MatchHandComputation_When_ComparingTwoModels()
    {
        var (aucA, aucB, z, p) = DeLong.Compare(Labels, A, B);
        Assert.Equal(7.0 / 9, aucA, 15);
        Assert.Equal(13.0 / 18, aucB, 15);
        Assert.Equal(-(1.0 / 18) / Math.Sqrt(19.0 / 162), z, 12);
        Assert.Equal(-0.16222142113076254, z, 12);
        Assert.Equal(0.8711314915971583, p, 12);
    }

    [Fact]
    public void Should_MatchHandComponents_When_ComputedFromRanks()
    {
        var (v10, v01, auc) = DeLong.Components(Labels, B)!.Value;
        Assert.Equal(1.0, v10[0], 12);
        Assert.Equal(0.5, v10[1], 12);
        Assert.Equal(2.0 / 3, v10[2], 12);
        Assert.Equal(5.0 / 6, v01[0], 12);
        Assert.Equal(1.0, v01[1], 12);
        Assert.Equal(1.0 / 3, v01[2], 12);
        Assert.Equal(13.0 / 18, auc, 15);
    }

    [Fact]
    public void Should_GiveZeroZAndPOne_When_ScoresIdentical()
    {
        var (aucA, aucB, z, p) = DeLong.Compare(Labels, A, A);
        Assert.Equal(aucA, aucB);
        Assert.Equal(0.0, z);
        Assert.Equal(1.0, p);
    }

    [Fact]
    public void Should_FlipSignOnly_When_ModelsSwapped()
    {
        var ab = DeLong.Compare(Labels, A, B);
        var ba = DeLong.Compare(Labels, B, A);
        Assert.Equal(-ab.Z, ba.Z, 15);
        Assert.Equal(ab.PValue, ba.PValue, 15);
    }

    [Fact]
    public void Should_MatchHandStandardError_When_SingleModel()
    {
        var (auc, se, lower, upper) = DeLong.AucConfidenceInterval(Labels, A);
        Assert.Equal(7.0 / 9, auc, 15);
        Assert.Equal(Math.Sqrt(5.0 / 81), se, 14);
        Assert.Equal(7.0 / 9 - 1.9599639845400536 * Math.Sqrt(5.0 / 81), lower, 12);
        Assert.Equal(1.0, upper); // clipped
    }

    [Fact]
    public void Should_AgreeWithBootstrapSpread_When_SampleModerate()
    {
        // given 300 cases and two correlated models
        var random = new Random(31);
        var labels = Enumerable.Range(0, 300).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        var shared = labels.Select(_ => random.NextDouble()).ToArray();
        var a = labels.Select((l, i) => 0.6 * l + shared[i] + 0.5 * random.NextDouble()).ToArray();
        var b = labels.Select((l, i) => 0.9 * l + shared[i] + 0.5 * random.NextDouble()).ToArray();
        double Diff(int[] idx)
        {
            var l = idx.Select(i => labels[i]).ToArray();
            return BinaryMetrics.Auc(l, idx.Select(i => b[i]).ToArray()) - BinaryMetrics.Auc(l, idx.Select(i => a[i]).ToArray());
        }

        // when
        var (aucA, aucB, z, _) = DeLong.Compare(labels, a, b);
        var reps = Bootstrap.Replicates(labels.Length, Diff, 1000, seed: 1, strata: labels);
        var mean = reps.Average();
        var bootSe = Math.Sqrt(reps.Sum(r => (r - mean) * (r - mean)) / (reps.Length - 1));

        // then the DeLong SE is within 20% of the bootstrap SE (two estimators of the same quantity)
        var deLongSe = (aucB - aucA) / z;
        Assert.InRange(deLongSe / bootSe, 0.8, 1.25);
        Assert.True(z > 0);
    }

    [Fact]
    public void Should_ReturnNaNZ_When_ClassTooSmall()
    {
        var (_, _, z, p) = DeLong.Compare([1, 0, 0], [0.9, 0.1, 0.2], [0.8, 0.3, 0.1]);
        Assert.True(double.IsNaN(z));
        Assert.True(double.IsNaN(p));
    }
}
