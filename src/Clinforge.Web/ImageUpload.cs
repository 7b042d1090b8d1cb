namespace Clinforge.Web;

/// <summary>What an uploaded file is, judged by its first bytes (never by its name or declared type).</summary>
public static class ImageUpload
{
    private static readonly byte[] _png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] _jpeg = [0xFF, 0xD8, 0xFF];

    /// <summary>".png" or ".jpg" for a PNG or JPEG file, else null.</summary>
    public static string? Extension(ReadOnlySpan<byte> head) =>
        head.StartsWith(_png) ? ".png" : head.StartsWith(_jpeg) ? ".jpg" : null;
}
