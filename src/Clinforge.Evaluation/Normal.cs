namespace Clinforge.Evaluation;

/// <summary>
/// The standard normal distribution: complementary error function, CDF and quantile, in plain C# so
/// that p-values and bootstrap corrections do not depend on a numerics package.
/// </summary>
public static class Normal
{
    private const double TwoOverSqrtPi = 1.1283791670955126; // 2/√π
    private const double OneOverSqrtPi = 0.56418958354775628; // 1/√π
    private const double Sqrt2 = 1.4142135623730951;
    private const double SqrtTwoPi = 2.5066282746310002;

    /// <summary>
    /// erfc(x) = 1 − erf(x), with relative error near 1e-15 over the whole line (far below the 1e-7
    /// that p-values need). For 0 ≤ x &lt; 1 (where erfc ≥ 0.157, so 1 − erf loses little) the
    /// everywhere-positive series
    /// erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3···(2n+1)) (Abramowitz &amp; Stegun 1964, 7.1.6);
    /// for x ≥ 1 the Laplace continued fraction erfc(x) = e^(−x²)/√π · 1/(x+½/(x+1/(x+³⁄₂/(x+…))))
    /// (A&amp;S 7.1.14) evaluated by the modified Lentz method (Press et al., Numerical Recipes, 3rd ed., §5.2).
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2.0 - Erfc(-x);
        if (x > 27.3) return 0.0; // e^(−x²) underflows
        if (x < 1.0)
        {
            var x2 = x * x;
            double term = x, sum = x;
            for (var n = 1; n < 200; n++)
            {
                term *= 2.0 * x2 / (2 * n + 1);
                sum += term;
                if (term < 1e-17 * sum) break;
            }
            return 1.0 - TwoOverSqrtPi * Math.Exp(-x2) * sum;
        }

        // Modified Lentz for f = x + a1/(x + a2/(x + …)), a_k = k/2; under 200 terms for x ≥ 1.
        const double tiny = 1e-300;
        double f = x, c = x, d = 0.0;
        for (var k = 1; k < 1000; k++)
        {
            var a = 0.5 * k;
            d = x + a * d;
            if (d == 0) d = tiny;
            c = x + a / c;
            if (c == 0) c = tiny;
            d = 1.0 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16) break;
        }
        return OneOverSqrtPi * Math.Exp(-x * x) / f;
    }

    /// <summary>Φ(z), the standard normal CDF: ½·erfc(−z/√2).</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Sqrt2);

    /// <summary>Two-sided p-value of a standard normal statistic: 2·Φ(−|z|) = erfc(|z|/√2).</summary>
    public static double TwoSidedP(double z) => double.IsNaN(z) ? double.NaN : Erfc(Math.Abs(z) / Sqrt2);

    /// <summary>
    /// Φ⁻¹(p). P. J. Acklam's rational approximation (2003; relative error 1.15e-9) followed by one
    /// Halley step on <see cref="Cdf"/>, giving near double precision. Returns ∓∞ at 0 and 1 and NaN
    /// outside [0, 1].
    /// </summary>
    public static double Quantile(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1) return double.NaN;
        if (p == 0) return double.NegativeInfinity;
        if (p == 1) return double.PositiveInfinity;
        if (p > 0.5) return -Quantile(1.0 - p); // 1 − p is exact here (Sterbenz)

        double x;
        if (p < 0.02425)
        {
            var q = Math.Sqrt(-2.0 * Math.Log(p));
            x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                   - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                    + 3.754408661907416e+00) * q + 1.0);
        }
        else
        {
            var q = p - 0.5;
            var r = q * q;
            x = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                   + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
                / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                     + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0);
        }

        // Halley refinement (Acklam): e = Φ(x) − p, u = e·√(2π)·e^(x²/2).
        var e = Cdf(x) - p;
        var u = e * SqrtTwoPi * Math.Exp(0.5 * x * x);
        return x - u / (1.0 + 0.5 * x * u);
    }
}
