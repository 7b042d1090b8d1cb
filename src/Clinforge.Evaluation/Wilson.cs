namespace Clinforge.Evaluation;

/// <summary>
/// The Wilson score interval for a proportion (Wilson 1927): unlike the normal ("Wald") interval it
/// stays inside [0, 1] and keeps its coverage near 0 and 1 and for small counts (Brown, Cai and
/// DasGupta 2001), which is where sensitivities measured on a few dozen positives live.
/// </summary>
public static class Wilson
{
    /// <summary>The interval of <paramref name="successes"/> out of <paramref name="n"/> at <paramref name="level"/> (two-sided); (NaN, NaN) for n = 0.</summary>
    public static (double Lower, double Upper) Interval(int successes, int n, double level = 0.95)
    {
        if (n < 0 || successes < 0 || successes > n) throw new ArgumentOutOfRangeException(nameof(successes), $"need 0 ≤ successes ≤ n (got {successes} of {n})");
        if (n == 0) return (double.NaN, double.NaN);
        double z = Normal.Quantile(0.5 + level / 2);
        double p = (double)successes / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        // Exact at the ends: 0 of n has lower bound 0, n of n upper bound 1.
        return (successes == 0 ? 0 : Math.Max(0, centre - half), successes == n ? 1 : Math.Min(1, centre + half));
    }

    /// <summary>Half the width of the interval of a rate <paramref name="rate"/> measured on <paramref name="n"/> cases: how precisely n cases can tell.</summary>
    public static double HalfWidth(double rate, int n, double level = 0.95)
    {
        if (n <= 0) return double.NaN;
        var (lo, hi) = Interval((int)Math.Round(rate * n), n, level);
        return (hi - lo) / 2;
    }
}
