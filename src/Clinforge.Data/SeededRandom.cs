namespace Clinforge.Data;

/// <summary>
/// SplitMix64: a tiny, fully specified generator. Splits and synthetic images must be the same on every
/// .NET version and machine for a seed; <see cref="Random"/>'s algorithm is an implementation detail
/// that has changed before, so seeded results are not tied to it.
/// </summary>
internal sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator whose stream depends on a seed and a stream index (e.g. the image number).</summary>
    public static SeededRandom ForStream(int seed, long stream) =>
        new(Mix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ Mix(unchecked((ulong)stream + 0x632BE59BD9B4E019UL))));

    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [0, n); the modulo bias is below 2^-32 for any n that fits an int.</summary>
    public int Next(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)(NextUInt64() % (ulong)n);

    /// <summary>Standard normal (Box–Muller).</summary>
    public double Gaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
