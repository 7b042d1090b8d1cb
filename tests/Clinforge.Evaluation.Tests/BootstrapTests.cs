namespace Clinforge.Evaluation.Tests;

public sealed class BootstrapTests
{
    private static Func<int[], double> MeanOf(double[] x) => idx =>
    {
        var s = 0.0;
        foreach (var i in idx) s += x[i];
        return s / idx.Length;
    };

    /// <summary>Type-7 quantile written out independently of the library.</summary>
    private static double Type7(double[] values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    // 200 values 0..9 repeated: mean 4.5, population variance (10²−1)/12 = 8.25,
    // bootstrap SE of the mean √(8.25/200) = 0.2031, normal-theory 95% width 2·1.96·0.2031 = 0.796.
    private static readonly double[] Digits = Enumerable.Range(0, 200).Select(i => (double)(i % 10)).ToArray();

    [Fact]
    public void Should_GiveSameInterval_When_SeedRepeated()
    {
        var a = Bootstrap.Percentile(Digits.Length, MeanOf(Digits), 500, seed: 42);
        var b = Bootstrap.Percentile(Digits.Length, MeanOf(Digits), 500, seed: 42);
        var c = Bootstrap.Percentile(Digits.Length, MeanOf(Digits), 500, seed: 43);
        Assert.Equal(a, b);
        Assert.True(a.Lower != c.Lower || a.Upper != c.Upper);
        Assert.Equal(Bootstrap.Bca(Digits.Length, MeanOf(Digits), 300, 5), Bootstrap.Bca(Digits.Length, MeanOf(Digits), 300, 5));
    }

    [Fact]
    public void Should_CoverMeanWithNormalTheoryWidth_When_SampleKnown()
    {
        var ci = Bootstrap.Percentile(Digits.Length, MeanOf(Digits), 2000, seed: 1);
        Assert.Equal(4.5, ci.Estimate, 15);
        Assert.True(ci.Lower < 4.5 && 4.5 < ci.Upper, $"[{ci.Lower}, {ci.Upper}]");
        var width = ci.Upper - ci.Lower;
        Assert.InRange(width, 0.796 * 0.85, 0.796 * 1.15);
        Assert.Equal(2000, ci.Resamples);
        Assert.Equal("percentile", ci.Method);
    }

    [Fact]
    public void Should_BeDegenerateAtOne_When_AucOfSeparableSet()
    {
        // given 400 perfectly separated cases, resampled within class
        var labels = Enumerable.Range(0, 400).Select(i => i % 2).ToArray();
        var scores = labels.Select((l, i) => l + i * 1e-4).ToArray();
        double Auc(int[] idx) => BinaryMetrics.Auc(idx.Select(i => labels[i]).ToArray(), idx.Select(i => scores[i]).ToArray());

        var ci = Bootstrap.Percentile(labels.Length, Auc, 200, seed: 3, strata: labels);
        Assert.Equal(new Bootstrap.Interval(1, 1, 1, 200, "percentile"), ci);
    }

    [Fact]
    public void Should_BeNarrow_When_AucOfLargeWellSeparatedSet()
    {
        // given 1000 cases whose scores overlap only slightly (AUC near 0.99)
        var random = new Random(11);
        var labels = Enumerable.Range(0, 1000).Select(i => i % 4 == 0 ? 1 : 0).ToArray();
        var scores = labels.Select(l => l * 2.5 + random.NextDouble()).Select((s, i) => s + (i % 7) * 0.3).ToArray();
        double Auc(int[] idx) => BinaryMetrics.Auc(idx.Select(i => labels[i]).ToArray(), idx.Select(i => scores[i]).ToArray());

        var ci = Bootstrap.Percentile(labels.Length, Auc, 300, seed: 9, strata: labels);
        Assert.True(ci.Lower <= ci.Estimate && ci.Estimate <= ci.Upper);
        Assert.True(ci.Upper - ci.Lower < 0.03, $"width {ci.Upper - ci.Lower}");
    }

    [Fact]
    public void Should_KeepClassCounts_When_Stratified()
    {
        // given 30 positives and 70 negatives
        var labels = Enumerable.Range(0, 100).Select(i => i % 10 < 3 ? 1 : 0).ToArray();
        var calls = 0;
        double Statistic(int[] idx)
        {
            calls++;
            Assert.Equal(100, idx.Length);
            Assert.Equal(30, idx.Count(i => labels[i] == 1));
            for (var k = 0; k < idx.Length; k++) Assert.Equal(labels[k], labels[idx[k]]);
            return idx.Average(i => (double)i);
        }

        Bootstrap.Percentile(100, Statistic, 100, seed: 4, strata: labels);
        Bootstrap.PairedTest(100, Statistic, Statistic, 20, seed: 4, strata: labels);
        Assert.Equal(101 + 42, calls);

        // and without strata the count does vary
        var counts = new HashSet<int>();
        Bootstrap.Percentile(100, idx =>
        {
            counts.Add(idx.Count(i => labels[i] == 1));
            return 0;
        }, 50, seed: 4);
        Assert.True(counts.Count > 1);
    }

    [Fact]
    public void Should_SkipAndCountNaNReplicates_When_StatisticUndefined()
    {
        // given a statistic undefined on about half of the resamples
        var seen = 0;
        var defined = 0;
        double Statistic(int[] idx)
        {
            seen++;
            if (idx[0] % 2 == 0) return double.NaN;
            defined++;
            return idx[0];
        }

        var ci = Bootstrap.Percentile(10, Statistic, 400, seed: 8);
        // the estimate call (idx[0] = 0) is NaN and is not a replicate
        Assert.Equal(401, seen);
        Assert.Equal(defined, ci.Resamples);
        Assert.InRange(ci.Resamples, 150, 250);
    }

    [Fact]
    public void Should_ApproximatePercentile_When_StatisticSymmetric()
    {
        // given symmetric data (−50..50): the mean's acceleration is exactly 0 and the bias correction ≈ 0
        var x = Enumerable.Range(-50, 101).Select(i => (double)i).ToArray();
        var p = Bootstrap.Percentile(x.Length, MeanOf(x), 2000, seed: 12);
        var bca = Bootstrap.Bca(x.Length, MeanOf(x), 2000, seed: 12);
        Assert.Equal(0.0, Bootstrap.JackknifeAcceleration(x.Length, MeanOf(x)), 12);
        var width = p.Upper - p.Lower;
        Assert.Equal("bca", bca.Method);
        Assert.True(Math.Abs(bca.Lower - p.Lower) < 0.1 * width, $"{bca.Lower} vs {p.Lower}");
        Assert.True(Math.Abs(bca.Upper - p.Upper) < 0.1 * width, $"{bca.Upper} vs {p.Upper}");
    }

    [Fact]
    public void Should_MatchClosedFormAcceleration_When_StatisticIsMean()
    {
        // For the mean, θ̄ − θ₍ᵢ₎ = (xᵢ − x̄)/(n−1), so â = Σdᵢ³ / (6(Σdᵢ²)^{3/2}) with dᵢ = xᵢ − x̄
        // (Efron & Tibshirani 1993, §14.3).
        var x = SkewedSample(60);
        var mean = x.Average();
        var s2 = x.Sum(v => Math.Pow(v - mean, 2));
        var s3 = x.Sum(v => Math.Pow(v - mean, 3));
        Assert.Equal(s3 / (6 * Math.Pow(s2, 1.5)), Bootstrap.JackknifeAcceleration(x.Length, MeanOf(x)), 12);
    }

    [Fact]
    public void Should_FollowEfronFormula_When_ComputingBca()
    {
        // given right-skewed data and the same resamples as Bca draws (same seed)
        var x = SkewedSample(80);
        const int B = 1500;
        const int Seed = 21;
        var reps = Bootstrap.Replicates(x.Length, MeanOf(x), B, Seed);
        var estimate = x.Average();

        // ẑ₀ (ties ½), â in closed form, α₁,₂ (Efron & Tibshirani 1993, eq. 14.10)
        var below = reps.Count(r => r < estimate) + 0.5 * reps.Count(r => r == estimate);
        var z0 = Normal.Quantile(below / B);
        var mean = x.Average();
        var a = x.Sum(v => Math.Pow(v - mean, 3)) / (6 * Math.Pow(x.Sum(v => Math.Pow(v - mean, 2)), 1.5));
        var zLo = -1.9599639845400538;
        var zHi = 1.9599639845400536;
        var a1 = Normal.Cdf(z0 + (z0 + zLo) / (1 - a * (z0 + zLo)));
        var a2 = Normal.Cdf(z0 + (z0 + zHi) / (1 - a * (z0 + zHi)));

        // when
        var bca = Bootstrap.Bca(x.Length, MeanOf(x), B, Seed);
        var pct = Bootstrap.Percentile(x.Length, MeanOf(x), B, Seed);

        // then
        Assert.Equal(Type7(reps, a1), bca.Lower, 12);
        Assert.Equal(Type7(reps, a2), bca.Upper, 12);
        Assert.Equal(Type7(reps, 0.025), pct.Lower, 12);
        Assert.Equal(Type7(reps, 0.975), pct.Upper, 12);
        // and for right skew BCa moves both ends up (Efron & Tibshirani 1993, §14.3)
        Assert.True(a > 0);
        Assert.True(bca.Lower > pct.Lower && bca.Upper > pct.Upper);
    }

    [Fact]
    public void Should_GivePOneAndZeroDifference_When_ModelsIdentical()
    {
        var labels = Enumerable.Range(0, 120).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        var random = new Random(2);
        var scores = labels.Select(l => l * 0.3 + random.NextDouble()).ToArray();
        double Auc(int[] idx) => BinaryMetrics.Auc(idx.Select(i => labels[i]).ToArray(), idx.Select(i => scores[i]).ToArray());

        var r = Bootstrap.PairedTest(labels.Length, Auc, Auc, 400, seed: 6, strata: labels);
        Assert.Equal(0.0, r.Difference);
        Assert.Equal(1.0, r.PValue);
        Assert.Equal(0.0, r.DifferenceInterval.Lower);
        Assert.Equal(0.0, r.DifferenceInterval.Upper);
        Assert.Equal(400, r.Resamples);
    }

    [Fact]
    public void Should_GiveSmallP_When_ModelBClearlyBetter()
    {
        // given A near chance and B near perfect on the same 200 cases
        var labels = Enumerable.Range(0, 200).Select(i => i % 2).ToArray();
        var random = new Random(5);
        var a = labels.Select(l => 0.1 * l + random.NextDouble()).ToArray();
        var b = labels.Select(l => 1.0 * l + 0.5 * random.NextDouble()).ToArray();
        double AucA(int[] idx) => BinaryMetrics.Auc(idx.Select(i => labels[i]).ToArray(), idx.Select(i => a[i]).ToArray());
        double AucB(int[] idx) => BinaryMetrics.Auc(idx.Select(i => labels[i]).ToArray(), idx.Select(i => b[i]).ToArray());

        // when
        const int B = 999;
        var r = Bootstrap.PairedTest(labels.Length, AucA, AucB, B, seed: 7, strata: labels);

        // then: B − A is positive, its interval excludes 0, and p hits its floor 1/(B+1)
        Assert.Equal(AucB(Enumerable.Range(0, 200).ToArray()) - AucA(Enumerable.Range(0, 200).ToArray()), r.Difference, 15);
        Assert.True(r.Difference > 0.3);
        Assert.True(r.DifferenceInterval.Lower > 0);
        Assert.True(r.PValue < 0.01);
        Assert.Equal(1.0 / (B + 1), r.PValue, 15);

        // and reversing the roles flips the sign but not p
        var reversed = Bootstrap.PairedTest(labels.Length, AucB, AucA, B, seed: 7, strata: labels);
        Assert.Equal(-r.Difference, reversed.Difference, 15);
        Assert.Equal(r.PValue, reversed.PValue);
    }

    [Fact]
    public void Should_CountCentredExceedances_When_ComputingPairedP()
    {
        // given statistics whose difference on a resample is known: B − A = mean of x over idx
        var x = new[] { -1.0, 0.0, 1.0, 2.0 };
        var diffs = Bootstrap.Replicates(x.Length, MeanOf(x), 300, seed: 13);
        var observed = x.Average(); // 0.5
        var extreme = diffs.Count(d => Math.Abs(d - observed) >= Math.Abs(observed));

        var r = Bootstrap.PairedTest(x.Length, _ => 0.0, MeanOf(x), 300, seed: 13);

        Assert.Equal(0.5, r.Difference);
        Assert.Equal((extreme + 1.0) / 301, r.PValue, 15);
    }

    [Fact]
    public void Should_Throw_When_ArgumentsInvalid()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Percentile(0, _ => 0, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Percentile(5, _ => 0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Percentile(5, _ => 0, 10, 1, level: 1));
        Assert.Throws<ArgumentException>(() => Bootstrap.Percentile(5, _ => 0, 10, 1, strata: [0, 1]));
    }

    /// <summary>Exponential quantiles −ln(1 − (i + ½)/n): a right-skewed sample.</summary>
    private static double[] SkewedSample(int n) =>
        Enumerable.Range(0, n).Select(i => -Math.Log(1 - (i + 0.5) / n)).ToArray();
}
