using System.Buffers.Binary;
using System.Globalization;
using Clinforge.Core;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Data;

/// <summary>
/// Decodes PNG, JPEG, BMP, TIFF, GIF (first frame) and WebP into a <see cref="RawImage"/>. Grey images
/// stay one channel: the pixel format says so (L8, L16, La16, La32), or every pixel has R = G = B (a grey
/// JPEG or BMP stored as RGB). Anything else becomes RGB; alpha is dropped, not composited, because
/// medical images use it for nothing but padding.
/// </summary>
/// <remarks>
/// ImageSharp decodes many truncated PNG and JPEG files without complaint, filling the missing rows;
/// a half-grey image is worse than no image for training, so truncation is checked from the file's
/// structure (PNG's IEND chunk, JPEG's end-of-image marker, BMP's declared size) and rejected.
/// </remarks>
public static class ImageDecoder
{
    private const string Unrecognised = "not a recognised image format (PNG, JPEG, BMP, TIFF, GIF, WebP)";

    /// <summary>Decodes a file; a missing, empty, oversized, corrupt, truncated or unsupported file gives a <see cref="ClinforgeException"/>.</summary>
    public static RawImage Decode(string path)
    {
        var (image, reason, missing) = TryDecode(path);
        if (image is not null) return image;
        if (missing) throw new ClinforgeException($"{Shown(path)}: {reason}. Check the path, or remove the entry that names it.");
        throw new ClinforgeException($"{Shown(path)}: cannot decode image ({reason}). Remove or replace the file.");
    }

    /// <summary>Decodes a file, or says why not (never throws for bad content): what <c>predict</c> uses to score a batch and skip the files it cannot read.</summary>
    public static bool TryDecode(string path, out RawImage? image, out string? reason)
    {
        // Scoring a file someone handed in: a 1x1 dot is refused like in a dataset (Probe).
        (image, reason, _) = TryDecode(path, usableSize: true);
        return image is not null;
    }

    /// <summary>A path as shown to a person: a file name that is not valid UTF-8 reads with '?' where the bytes could not be decoded.</summary>
    public static string Shown(string path) => path.Replace('\uFFFD', '?');

    /// <summary>Decodes a file, or says why not; never throws for bad content.</summary>
    internal static (RawImage? Image, string? Reason, bool Missing) TryDecode(string path, bool usableSize = false)
    {
        // The header first: size limits are checked before a single pixel is decoded.
        var (ok, reason, missing) = CheckHeader(path, usableSize);
        if (!ok) return (null, reason, missing);
        Image loaded;
        IImageFormat format;
        try
        {
            loaded = Image.Load(path, out format);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, "file not found", true);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            // A file cut short often fails inside the decoder first; its missing end is the clearer reason.
            return (null, TruncationOf(path) ?? Reason(e), false);
        }
        try
        {
            if (Truncation(path, format.Name) is { } truncated) return (null, truncated, false);
            return (ToRaw(loaded), null, false);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            return (null, Reason(e), false);
        }
        finally
        {
            loaded.Dispose();
        }
    }

    /// <summary>
    /// What can be told without decoding pixels: the file exists under a name that can be opened, is not
    /// empty, is not DICOM, has a header ImageSharp recognises (Identify reads no pixel data), and its
    /// size is at most <see cref="DataLimits.MaxPixels"/> and (with <paramref name="usableSize"/>) at least <see cref="DataLimits.MinSide"/> on a side.
    /// A PNG of a few hundred KB can declare 20000 × 20000 pixels and take gigabytes to decode.
    /// </summary>
    internal static (bool Ok, string? Reason, bool Missing) CheckHeader(string path, bool usableSize)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                // .NET reads a name whose bytes are not UTF-8 with U+FFFD in their place, and cannot open it by that name.
                return path.Contains('\uFFFD', StringComparison.Ordinal)
                    ? (false, "the file name is not valid UTF-8 (shown with '?'), so it cannot be opened; rename the file using UTF-8 (e.g. with convmv)", true)
                    : (false, "file not found", true);
            }
            if (info.Length == 0) return (false, "the file is empty (0 bytes)", false);
            if (IsDicom(path)) return (false, MedicalFiles.IsDicom(path) ? "a DICOM file; open it with MedicalFiles (the dataset readers and predict do)" : "a DICOM file without the .dcm extension; rename it to end in .dcm so that it is read as DICOM", false);
            var header = Image.Identify(path, out var format);
            if (header is null || format is null) return (false, Unrecognised, false);
            long pixels = (long)header.Width * header.Height;
            if (header.Width <= 0 || header.Height <= 0) return (false, $"invalid size {header.Width}x{header.Height}", false);
            if (pixels > DataLimits.MaxPixels)
                return (false, string.Create(CultureInfo.InvariantCulture,
                    $"{header.Width}x{header.Height} pixels ({pixels / 1e6:0.#} megapixels) is more than the limit of {DataLimits.MaxPixels / 1e6:0.#} megapixels; downsample the image, or raise the limit with --max-image-pixels {pixels}"), false);
            if (usableSize && (header.Width < DataLimits.MinSide || header.Height < DataLimits.MinSide))
                return (false, $"only {header.Width}x{header.Height} pixels; an image needs at least {DataLimits.MinSide}x{DataLimits.MinSide} (a single row or column of pixels holds no shape a model can learn)", false);
            return (true, null, false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (false, "file not found", true);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            return (false, Reason(e), false);
        }
    }

    /// <summary>Why a file of a recognised format is truncated, or null (also when that cannot be told).</summary>
    private static string? TruncationOf(string path)
    {
        try { return Image.DetectFormat(path) is { } format ? Truncation(path, format.Name) : null; }
        catch (Exception e) when (IsDecodeFailure(e)) { return null; }
    }

    /// <summary>DICOM Part 10: a 128-byte preamble, then "DICM"; or the .dcm extension.</summary>
    private static bool IsDicom(string path)
    {
        if (path.EndsWith(".dcm", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".dicom", StringComparison.OrdinalIgnoreCase)) return true;
        using var fs = File.OpenRead(path);
        if (fs.Length < 132) return false;
        Span<byte> magic = stackalloc byte[4];
        fs.Position = 128;
        fs.ReadExactly(magic);
        return magic.SequenceEqual("DICM"u8);
    }

    /// <summary>Converts a loaded image of any pixel format to 1 or 3 channels.</summary>
    internal static RawImage ToRaw(Image image)
    {
        int w = image.Width, h = image.Height;
        if (image is Image<L8> l8) return new RawImage(w, h, 1, CopyBytes(l8, w * h));
        if (image is Image<L16> or Image<La16> or Image<La32>)
        {
            // CloneAs scales 16-bit to 8-bit (v / 257) and drops alpha.
            using var grey = image.CloneAs<L8>();
            return new RawImage(w, h, 1, CopyBytes(grey, w * h));
        }

        byte[] rgb;
        if (image is Image<Rgb24> direct)
        {
            rgb = CopyBytes(direct, w * h * 3);
        }
        else
        {
            using var converted = image.CloneAs<Rgb24>();
            rgb = CopyBytes(converted, w * h * 3);
        }
        return IsGrey(rgb) ? new RawImage(w, h, 1, TakeFirstChannel(rgb, w * h)) : new RawImage(w, h, 3, rgb);
    }

    /// <summary>
    /// A cheap check that a file is a readable image: its header (ImageSharp's Identify, which reads no
    /// pixel data) and its structure's end (see the remarks on <see cref="ImageDecoder"/>). GIF files
    /// whose trailer is missing are decoded in full to decide. Returns null when the file looks fine,
    /// else the reason.
    /// </summary>
    internal static string? Probe(string path)
    {
        try
        {
            var (ok, reason, _) = CheckHeader(path, usableSize: true);
            if (!ok) return reason;
            var format = Image.DetectFormat(path);
            if (format is null) return Unrecognised;
            if (Truncation(path, format.Name) is { } truncated) return truncated;
            if (format.Name.Equals("GIF", StringComparison.OrdinalIgnoreCase) && !GifHasTrailer(path)) return TryDecode(path, usableSize: true).Reason;
            return null;
        }
        catch (Exception e) when (IsDecodeFailure(e) || e is FileNotFoundException or DirectoryNotFoundException)
        {
            return e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : Reason(e);
        }
    }

    internal static bool IsDecodeFailure(Exception e) =>
        e is not (OutOfMemoryException or OperationCanceledException or ClinforgeException or StackOverflowException);

    internal static string Reason(Exception e)
    {
        if (e is UnknownImageFormatException) return Unrecognised;
        if (e is UnauthorizedAccessException) return "permission denied";
        if (e is EndOfStreamException) return "the file ends early (truncated)";
        var first = e.Message.Split('\n', 2)[0].Trim();
        return first.Length == 0 ? e.GetType().Name : first.TrimEnd('.');
    }

    /// <summary>Why the file is truncated, or null when its structure is complete (or the format has no end marker to check).</summary>
    internal static string? Truncation(string path, string format)
    {
        switch (format.ToUpperInvariant())
        {
            case "PNG":
                // The IEND chunk must come last; the fast look at the tail covers nearly every file, the chunk walk the rest.
                return TailContains(path, 4096, "IEND"u8) || PngChunksReachIend(File.ReadAllBytes(path)) ? null : "truncated: the PNG has no IEND chunk";
            case "JPEG":
                // FF D9 (end of image) cannot occur inside entropy-coded data. Some cameras append trailers after
                // it, and an EXIF thumbnail carries its own FF D9 before the image data, hence the marker walk.
                return TailContains(path, 65536, [0xFF, 0xD9]) || JpegHasEndAfterScan(File.ReadAllBytes(path)) ? null : "truncated: the JPEG has no end-of-image marker";
            case "BMP":
            {
                // Bytes 2..5 hold the file size that the header promises.
                using var fs = File.OpenRead(path);
                if (fs.Length < 6) return "truncated: shorter than a BMP header";
                Span<byte> head = stackalloc byte[6];
                fs.ReadExactly(head);
                var declared = BinaryPrimitives.ReadUInt32LittleEndian(head[2..]);
                return declared == 0 || fs.Length >= declared ? null : $"truncated: {fs.Length} bytes of the {declared} its header declares";
            }
            default:
                return null;
        }
    }

    private static bool GifHasTrailer(string path) => TailContains(path, 16, [0x3B]);

    private static bool TailContains(string path, int window, ReadOnlySpan<byte> pattern)
    {
        using var fs = File.OpenRead(path);
        var n = (int)Math.Min(window, fs.Length);
        var buffer = new byte[n];
        fs.Position = fs.Length - n;
        fs.ReadExactly(buffer);
        return buffer.AsSpan().IndexOf(pattern) >= 0;
    }

    /// <summary>Walks PNG chunks (length, type, data, CRC) from the signature; true when IEND is reached inside the file.</summary>
    internal static bool PngChunksReachIend(byte[] b)
    {
        long pos = 8;
        while (pos + 8 <= b.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan((int)pos));
            if (b.AsSpan((int)pos + 4, 4).SequenceEqual("IEND"u8)) return pos + 12 <= b.Length;
            pos += 12L + length;
        }
        return false;
    }

    /// <summary>Skips marker segments (APPn with thumbnails included) to the first scan, then looks for FF D9 after it.</summary>
    internal static bool JpegHasEndAfterScan(byte[] b)
    {
        var pos = 2;
        while (pos + 4 <= b.Length)
        {
            if (b[pos] != 0xFF) return false;
            var marker = b[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker == 0xDA) return b.AsSpan(pos).IndexOf([(byte)0xFF, (byte)0xD9]) >= 0;
            if (marker is 0x01 or >= 0xD0 and <= 0xD7) { pos += 2; continue; }
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(pos + 2));
        }
        return false;
    }

    private static byte[] CopyBytes<TPixel>(Image<TPixel> image, int count) where TPixel : unmanaged, IPixel<TPixel>
    {
        var bytes = new byte[count];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    private static bool IsGrey(byte[] rgb)
    {
        for (var i = 0; i < rgb.Length; i += 3)
        {
            if (rgb[i] != rgb[i + 1] || rgb[i] != rgb[i + 2]) return false;
        }
        return true;
    }

    private static byte[] TakeFirstChannel(byte[] rgb, int pixels)
    {
        var grey = new byte[pixels];
        for (var i = 0; i < pixels; i++) grey[i] = rgb[3 * i];
        return grey;
    }
}
