namespace Clinforge.Evaluation;

/// <summary>
/// Nonparametric bootstrap over cases (Efron &amp; Tibshirani 1993, "An Introduction to the Bootstrap"):
/// percentile and BCa confidence intervals and a paired test of two models on the same cases.
/// <para>
/// A statistic receives an array of case indices (0..n−1, with repeats) and returns a number; it is
/// first called once with the identity array for the point estimate. Each call gets a fresh array.
/// Replicates that are NaN (e.g. an AUC of a resample without positives) are skipped and the number
/// used is reported. With <c>strata</c> (e.g. the labels) each resample keeps every stratum's size by
/// resampling within it: position i of every index array holds a case of position i's stratum.
/// </para>
/// Resamples are drawn from an own xoshiro256** generator seeded by SplitMix64, so a seed gives the
/// same numbers on every platform and .NET version; the same seed gives the same resamples in
/// <see cref="Percentile"/>, <see cref="Bca"/>, <see cref="PairedTest"/> and <see cref="Replicates"/>.
/// </summary>
public static class Bootstrap
{
    /// <summary>A point estimate with a confidence interval; <see cref="Resamples"/> counts the replicates used.</summary>
    public sealed record Interval(double Estimate, double Lower, double Upper, int Resamples, string Method);

    /// <summary>
    /// Difference B − A of two statistics on the same cases, its percentile interval, and a two-sided
    /// bootstrap p-value for "no difference".
    /// </summary>
    public sealed record PairedTestResult(double Difference, Interval DifferenceInterval, double PValue, int Resamples);

    /// <summary>Method name of the percentile interval.</summary>
    public const string PercentileMethod = "percentile";

    /// <summary>Method name of the BCa interval.</summary>
    public const string BcaMethod = "bca";

    /// <summary>Method name used when BCa is undefined (every replicate on one side of the estimate) and the percentile interval is returned.</summary>
    public const string BcaFallbackMethod = "percentile (bca undefined)";

    /// <summary>Largest number of leave-one-out jackknife evaluations in <see cref="Bca"/>; above it a grouped jackknife is used.</summary>
    public const int MaxJackknifeGroups = 2000;

    /// <summary>
    /// Percentile interval (Efron &amp; Tibshirani 1993, §13.3): the (1−level)/2 and (1+level)/2
    /// quantiles of the bootstrap replicates, quantiles by linear interpolation between order
    /// statistics (Hyndman &amp; Fan 1996, type 7).
    /// </summary>
    public static Interval Percentile(int n, Func<int[], double> statistic, int resamples, int seed, IReadOnlyList<int>? strata = null, double level = 0.95)
    {
        CheckArguments(n, resamples, strata, level);
        ArgumentNullException.ThrowIfNull(statistic);
        var estimate = statistic(Identity(n));
        var replicates = Draw(n, statistic, resamples, seed, strata);
        return PercentileOf(estimate, replicates, level, PercentileMethod);
    }

    /// <summary>
    /// Bias-corrected and accelerated interval (Efron 1987; Efron &amp; Tibshirani 1993, §14.3):
    /// percentiles α₁ = Φ(ẑ₀ + (ẑ₀+z_α)/(1−â(ẑ₀+z_α))) and α₂ likewise with z_(1−α), where
    /// ẑ₀ = Φ⁻¹(share of replicates below the estimate, ties counted ½) and the acceleration â comes from
    /// the jackknife (eq. 14.15): â = Σ(θ̄−θ₍ᵢ₎)³ / (6·(Σ(θ̄−θ₍ᵢ₎)²)^{3/2}). The jackknife costs n
    /// statistic evaluations (grouped into <see cref="MaxJackknifeGroups"/> deletions above that).
    /// Falls back to the percentile interval when ẑ₀ is infinite.
    /// </summary>
    public static Interval Bca(int n, Func<int[], double> statistic, int resamples, int seed, IReadOnlyList<int>? strata = null, double level = 0.95)
    {
        CheckArguments(n, resamples, strata, level);
        ArgumentNullException.ThrowIfNull(statistic);
        var estimate = statistic(Identity(n));
        var replicates = Draw(n, statistic, resamples, seed, strata);
        if (replicates.Length == 0 || double.IsNaN(estimate))
            return new Interval(estimate, double.NaN, double.NaN, replicates.Length, BcaMethod);

        var z0 = BiasCorrection(replicates, estimate);
        if (double.IsInfinity(z0)) return PercentileOf(estimate, replicates, level, BcaFallbackMethod);
        var a = JackknifeAcceleration(n, statistic);
        if (double.IsNaN(a)) a = 0;
        var (lower, upper) = BcaPercentiles(z0, a, level);
        Array.Sort(replicates);
        return new Interval(estimate, Quantile(replicates, lower), Quantile(replicates, upper), replicates.Length, BcaMethod);
    }

    /// <summary>
    /// Paired bootstrap comparison: both statistics are evaluated on the same resampled cases, and
    /// Difference = B − A. The interval is the percentile interval of the replicate differences d*.
    /// The two-sided p-value uses the centred bootstrap distribution as the null (Hall &amp; Wilson 1991;
    /// Efron &amp; Tibshirani 1993, §16.4): p = (1 + #{|d* − d| ≥ |d|}) / (1 + B), B the replicates used,
    /// so p is never 0 and is 1 for identical models.
    /// </summary>
    public static PairedTestResult PairedTest(int n, Func<int[], double> statisticA, Func<int[], double> statisticB, int resamples, int seed, IReadOnlyList<int>? strata = null, double level = 0.95)
    {
        CheckArguments(n, resamples, strata, level);
        ArgumentNullException.ThrowIfNull(statisticA);
        ArgumentNullException.ThrowIfNull(statisticB);
        var all = Identity(n);
        var difference = statisticB(all) - statisticA(all);
        var diffs = Draw(n, idx => statisticB(idx) - statisticA(idx), resamples, seed, strata);
        var interval = PercentileOf(difference, diffs, level, PercentileMethod);
        var p = double.NaN;
        if (diffs.Length > 0 && !double.IsNaN(difference))
        {
            var extreme = 0;
            var observed = Math.Abs(difference);
            foreach (var d in diffs)
                if (Math.Abs(d - difference) >= observed) extreme++;
            p = (extreme + 1.0) / (diffs.Length + 1.0);
        }
        return new PairedTestResult(difference, interval, p, diffs.Length);
    }

    /// <summary>The non-NaN bootstrap replicates, in draw order (for histograms or custom intervals).</summary>
    public static double[] Replicates(int n, Func<int[], double> statistic, int resamples, int seed, IReadOnlyList<int>? strata = null)
    {
        CheckArguments(n, resamples, strata, 0.95);
        ArgumentNullException.ThrowIfNull(statistic);
        return Draw(n, statistic, resamples, seed, strata);
    }

    /// <summary>
    /// Jackknife estimate of the BCa acceleration (Efron &amp; Tibshirani 1993, eq. 14.15). Leave-one-out
    /// up to <see cref="MaxJackknifeGroups"/> cases; beyond, case i is deleted with the group i mod
    /// <see cref="MaxJackknifeGroups"/> (grouped jackknife, §11.6). NaN deletions are skipped; 0 when
    /// the jackknife values do not vary.
    /// </summary>
    public static double JackknifeAcceleration(int n, Func<int[], double> statistic)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "The jackknife needs at least 2 cases.");
        ArgumentNullException.ThrowIfNull(statistic);
        var groups = Math.Min(n, MaxJackknifeGroups);
        var values = new List<double>(groups);
        for (var g = 0; g < groups; g++)
        {
            var kept = new int[n - CountInGroup(n, groups, g)];
            var k = 0;
            for (var i = 0; i < n; i++)
                if (i % groups != g) kept[k++] = i;
            var v = statistic(kept);
            if (!double.IsNaN(v)) values.Add(v);
        }
        if (values.Count < 2) return double.NaN;
        var mean = 0.0;
        foreach (var v in values) mean += v;
        mean /= values.Count;
        double s2 = 0, s3 = 0;
        foreach (var v in values)
        {
            var d = mean - v;
            s2 += d * d;
            s3 += d * d * d;
        }
        return s2 == 0 ? 0.0 : s3 / (6.0 * Math.Pow(s2, 1.5));
    }

    /// <summary>
    /// The two percentile levels of the BCa interval for bias correction ẑ₀, acceleration â and
    /// confidence level (Efron &amp; Tibshirani 1993, eq. 14.10).
    /// </summary>
    public static (double Lower, double Upper) BcaPercentiles(double z0, double acceleration, double level)
    {
        var alpha = (1 - level) / 2;
        double Adjust(double z)
        {
            var w = z0 + z;
            return Normal.Cdf(z0 + w / (1 - acceleration * w));
        }
        return (Adjust(Normal.Quantile(alpha)), Adjust(Normal.Quantile(1 - alpha)));
    }

    /// <summary>Type-7 quantile (Hyndman &amp; Fan 1996) of an ascending array, p in [0, 1].</summary>
    internal static double Quantile(double[] sorted, double p)
    {
        if (sorted.Length == 0 || double.IsNaN(p)) return double.NaN;
        p = Math.Clamp(p, 0, 1);
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    private static double BiasCorrection(double[] replicates, double estimate)
    {
        double below = 0;
        foreach (var r in replicates)
        {
            if (r < estimate) below += 1;
            else if (r == estimate) below += 0.5;
        }
        return Normal.Quantile(below / replicates.Length);
    }

    private static Interval PercentileOf(double estimate, double[] replicates, double level, string method)
    {
        if (replicates.Length == 0) return new Interval(estimate, double.NaN, double.NaN, 0, method);
        var sorted = (double[])replicates.Clone();
        Array.Sort(sorted);
        var alpha = (1 - level) / 2;
        return new Interval(estimate, Quantile(sorted, alpha), Quantile(sorted, 1 - alpha), sorted.Length, method);
    }

    private static double[] Draw(int n, Func<int[], double> statistic, int resamples, int seed, IReadOnlyList<int>? strata)
    {
        var sampler = new Resampler(n, strata, seed);
        var values = new List<double>(resamples);
        for (var b = 0; b < resamples; b++)
        {
            var v = statistic(sampler.Next());
            if (!double.IsNaN(v)) values.Add(v);
        }
        return values.ToArray();
    }

    private static int[] Identity(int n)
    {
        var a = new int[n];
        for (var i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private static int CountInGroup(int n, int groups, int g) => n / groups + (g < n % groups ? 1 : 0);

    private static void CheckArguments(int n, int resamples, IReadOnlyList<int>? strata, double level)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "The bootstrap needs at least one case.");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "At least one resample is needed.");
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "The confidence level must lie strictly between 0 and 1.");
        if (strata is not null && strata.Count != n)
            throw new ArgumentException($"strata has {strata.Count} entries but n is {n}; give one stratum per case.", nameof(strata));
    }
}

/// <summary>Draws bootstrap index arrays, optionally within strata, from a seeded <see cref="Xoshiro256StarStar"/>.</summary>
internal sealed class Resampler
{
    private readonly int _n;
    private readonly int[]? _groupOf;
    private readonly int[][]? _members;
    private readonly Xoshiro256StarStar _random;

    public Resampler(int n, IReadOnlyList<int>? strata, int seed)
    {
        _n = n;
        _random = new Xoshiro256StarStar(unchecked((ulong)seed));
        if (strata is null) return;
        var groupIndex = new Dictionary<int, int>();
        var members = new List<List<int>>();
        _groupOf = new int[n];
        for (var i = 0; i < n; i++)
        {
            if (!groupIndex.TryGetValue(strata[i], out var g))
            {
                g = members.Count;
                groupIndex.Add(strata[i], g);
                members.Add([]);
            }
            members[g].Add(i);
            _groupOf[i] = g;
        }
        _members = members.Select(m => m.ToArray()).ToArray();
    }

    public int[] Next()
    {
        var idx = new int[_n];
        if (_members is null)
        {
            for (var i = 0; i < _n; i++) idx[i] = _random.NextInt(_n);
        }
        else
        {
            for (var i = 0; i < _n; i++)
            {
                var m = _members[_groupOf![i]];
                idx[i] = m[_random.NextInt(m.Length)];
            }
        }
        return idx;
    }
}

/// <summary>
/// xoshiro256** 1.0 (Blackman &amp; Vigna 2018), state seeded by SplitMix64 (Steele, Lea &amp; Flood 2014)
/// as its authors recommend; bounded integers by Lemire's multiply-and-reject method (Lemire 2019).
/// </summary>
internal sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256StarStar(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Starts from an explicit state (for the reference test vectors); not all zero.</summary>
    public Xoshiro256StarStar(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("The xoshiro state must not be all zero.");
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    public static ulong SplitMix64(ref ulong x)
    {
        x = unchecked(x + 0x9E3779B97F4A7C15UL);
        var z = x;
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        var result = unchecked(ulong.RotateLeft(_s1 * 5, 7) * 9);
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, bound), bound ≥ 1, without modulo bias.</summary>
    public int NextInt(int bound)
    {
        var range = (uint)bound;
        var m = (ulong)(uint)(NextUInt64() >> 32) * range;
        var low = (uint)m;
        if (low < range)
        {
            var threshold = unchecked((uint)-(int)range) % range; // 2³² mod range
            while (low < threshold)
            {
                m = (ulong)(uint)(NextUInt64() >> 32) * range;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }
}
