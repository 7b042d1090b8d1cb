namespace Clinforge.Data;

/// <summary>
/// The DICOM linear VOI function (PS3.3 C.11.2.1.2.1) to 8 bits:
/// x ≤ c − 0.5 − (w − 1)/2 → 0; x &gt; c − 0.5 + (w − 1)/2 → 255; else ((x − (c − 0.5))/(w − 1) + 0.5) · 255,
/// rounded. MONOCHROME1 images are inverted afterwards (255 − y), as PS3.3 C.7.6.3.1.2 describes them.
/// </summary>
public static class VoiWindow
{
    /// <summary>Maps <paramref name="values"/> into <paramref name="output"/>.</summary>
    public static void Apply(ReadOnlySpan<float> values, Span<byte> output, double center, double width, bool invert)
    {
        if (output.Length < values.Length) throw new ArgumentException("output is shorter than the values", nameof(output));
        if (!(width >= 1)) throw new ArgumentOutOfRangeException(nameof(width), width, "window width must be at least 1");
        double low = center - 0.5 - (width - 1) / 2, high = center - 0.5 + (width - 1) / 2;
        for (int i = 0; i < values.Length; i++)
        {
            double x = values[i];
            double y = x <= low ? 0 : x > high ? 255 : Math.Round(((x - (center - 0.5)) / (width - 1) + 0.5) * 255, MidpointRounding.AwayFromZero);
            if (width == 1) y = x <= low ? 0 : 255;
            var b = (byte)Math.Clamp(y, 0, 255);
            output[i] = invert ? (byte)(255 - b) : b;
        }
    }
}
