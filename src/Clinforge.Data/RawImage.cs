namespace Clinforge.Data;

/// <summary>
/// A decoded image as plain bytes: interleaved height × width × channels (HWC), row-major, 8 bits per
/// sample. <see cref="Channels"/> is 1 (grey) or 3 (RGB).
/// </summary>
public sealed record RawImage(int Width, int Height, int Channels, byte[] Pixels)
{
    /// <summary>Width in pixels (positive).</summary>
    public int Width { get; } = Width > 0 ? Width : throw new ArgumentOutOfRangeException(nameof(Width), Width, "width must be positive");

    /// <summary>Height in pixels (positive).</summary>
    public int Height { get; } = Height > 0 ? Height : throw new ArgumentOutOfRangeException(nameof(Height), Height, "height must be positive");

    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; } = Channels is 1 or 3 ? Channels : throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "channels must be 1 or 3");

    /// <summary>Width × Height × Channels bytes.</summary>
    public byte[] Pixels { get; } = Pixels is not null && Pixels.LongLength == (long)Width * Height * Channels
        ? Pixels
        : throw new ArgumentException($"expected {(long)Width * Height * Channels} bytes for {Width}x{Height}x{Channels}, got {Pixels?.LongLength}", nameof(Pixels));
}
