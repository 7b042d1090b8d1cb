using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Clinforge.Data;

/// <summary>
/// Turns a decoded image into a model input, and fingerprints pixels for duplicate detection.
/// </summary>
/// <remarks>
/// Aspect ratio: the shorter side is resized to the target size and the longer side is centre-cropped
/// (the centre square of the image is kept). Medical images keep their subject near the centre, and
/// squashing would distort shapes (lesion borders, bone outlines) that the model must learn from, while
/// padding would spend input pixels on nothing. Shrinking averages the covered source area (an exact box
/// filter with fractional edges), so thin structures are not aliased away; enlarging is bilinear with
/// half-pixel centres.
/// </remarks>
public static class ImageOps
{
    /// <summary>Resizes and centre-crops to size × size, converts to <paramref name="channels"/>, and returns float CHW in [0, 1].</summary>
    public static float[] ToTensorChw(RawImage img, int size, int channels)
    {
        ArgumentNullException.ThrowIfNull(img);
        CheckTarget(size, channels);
        var result = new float[channels * size * size];
        ToTensorChw(img, size, channels, result);
        return result;
    }

    /// <summary>As <see cref="ToTensorChw(RawImage,int,int)"/>, writing into <paramref name="destination"/> (length channels × size × size).</summary>
    public static void ToTensorChw(RawImage img, int size, int channels, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(img);
        CheckTarget(size, channels);
        if (destination.Length != channels * size * size)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, expected {channels * size * size}", nameof(destination));
        }

        int w = img.Width, h = img.Height, cin = img.Channels;
        var side = Math.Min(w, h);
        // Integer offsets: a half-pixel shift of the crop is invisible, a half-pixel blur of every image is not.
        var xTaps = Taps.Build(w, (w - side) / 2, side, size);
        var yTaps = Taps.Build(h, (h - side) / 2, side, size);

        // Horizontal pass over just the source rows the vertical taps touch.
        int rowFirst = yTaps.MinSource, rowCount = yTaps.MaxSource - yTaps.MinSource + 1;
        var rows = new float[rowCount * size * cin];
        var px = img.Pixels;
        for (var r = 0; r < rowCount; r++)
        {
            var srcRow = (rowFirst + r) * w * cin;
            var dstRow = r * size * cin;
            for (var ox = 0; ox < size; ox++)
            {
                int start = xTaps.Start[ox], count = xTaps.Count[ox], wBase = ox * xTaps.Stride;
                for (var ch = 0; ch < cin; ch++)
                {
                    var sum = 0f;
                    for (var k = 0; k < count; k++) sum += px[srcRow + (start + k) * cin + ch] * xTaps.Weights[wBase + k];
                    rows[dstRow + ox * cin + ch] = sum;
                }
            }
        }

        // Vertical pass, then channel conversion (both linear, so converting after resizing is exact and cheaper).
        const float scale = 1f / 255f;
        var plane = size * size;
        Span<float> v = stackalloc float[3];
        for (var oy = 0; oy < size; oy++)
        {
            int start = yTaps.Start[oy] - rowFirst, count = yTaps.Count[oy], wBase = oy * yTaps.Stride;
            for (var ox = 0; ox < size; ox++)
            {
                for (var ch = 0; ch < cin; ch++)
                {
                    var sum = 0f;
                    for (var k = 0; k < count; k++) sum += rows[((start + k) * size + ox) * cin + ch] * yTaps.Weights[wBase + k];
                    v[ch] = sum;
                }
                var o = oy * size + ox;
                if (channels == cin)
                {
                    for (var ch = 0; ch < cin; ch++) destination[ch * plane + o] = Clamp01(v[ch] * scale);
                }
                else if (channels == 3)
                {
                    var g = Clamp01(v[0] * scale);
                    destination[o] = g;
                    destination[plane + o] = g;
                    destination[2 * plane + o] = g;
                }
                else
                {
                    destination[o] = Clamp01((0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2]) * scale);
                }
            }
        }
    }

    /// <summary>SHA-256 (lowercase hex) of width, height, channels and pixels: equal only for identical images.</summary>
    public static string PixelHash(RawImage img)
    {
        ArgumentNullException.ThrowIfNull(img);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, img.Width);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], img.Height);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], img.Channels);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(img.Pixels);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void CheckTarget(int size, int channels)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "size must be positive");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
    }

    private static float Clamp01(float x) => x < 0f ? 0f : x > 1f ? 1f : x;

    /// <summary>For each output index, the source indices it reads and their weights (summing to 1).</summary>
    private sealed class Taps
    {
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required float[] Weights { get; init; }
        public required int Stride { get; init; }
        public int MinSource { get; private set; }
        public int MaxSource { get; private set; }

        /// <summary>Taps mapping source range [offset, offset + span) of a length-<paramref name="length"/> axis onto <paramref name="outSize"/> outputs.</summary>
        public static Taps Build(int length, int offset, int span, int outSize)
        {
            var ratio = (double)span / outSize;
            var shrinking = ratio > 1.0;
            var stride = shrinking ? (int)Math.Ceiling(ratio) + 2 : 2;
            var taps = new Taps { Start = new int[outSize], Count = new int[outSize], Weights = new float[outSize * stride], Stride = stride };
            int min = int.MaxValue, max = int.MinValue;
            for (var o = 0; o < outSize; o++)
            {
                int first, count = 0;
                var wBase = o * stride;
                if (shrinking)
                {
                    // Box filter: each source pixel weighs by how much of it the output pixel covers.
                    var a = offset + o * ratio;
                    var b = offset + (o + 1) * ratio;
                    first = Math.Clamp((int)Math.Floor(a), 0, length - 1);
                    var last = Math.Clamp((int)Math.Ceiling(b) - 1, first, length - 1);
                    var total = 0.0;
                    for (var i = first; i <= last; i++)
                    {
                        var overlap = Math.Min(b, i + 1) - Math.Max(a, i);
                        if (overlap < 0) overlap = 0;
                        taps.Weights[wBase + count++] = (float)overlap;
                        total += overlap;
                    }
                    for (var k = 0; k < count; k++) taps.Weights[wBase + k] = (float)(taps.Weights[wBase + k] / total);
                }
                else
                {
                    var centre = offset + (o + 0.5) * ratio - 0.5;
                    var i0 = (int)Math.Floor(centre);
                    var f = centre - i0;
                    var lo = Math.Clamp(i0, 0, length - 1);
                    var hi = Math.Clamp(i0 + 1, 0, length - 1);
                    first = lo;
                    if (hi == lo || f <= 0)
                    {
                        taps.Weights[wBase + count++] = 1f;
                    }
                    else
                    {
                        taps.Weights[wBase + count++] = (float)(1 - f);
                        taps.Weights[wBase + count++] = (float)f;
                    }
                }
                taps.Start[o] = first;
                taps.Count[o] = count;
                min = Math.Min(min, first);
                max = Math.Max(max, first + count - 1);
            }
            taps.MinSource = min;
            taps.MaxSource = max;
            return taps;
        }
    }
}

/// <summary>Encodes images for people to look at (report examples), never for training.</summary>
public static class ImageExport
{
    /// <summary>PNG bytes of <paramref name="img"/>, shrunk (never enlarged beyond 4x) so its longer side is about <paramref name="side"/> px.</summary>
    public static byte[] ToPng(RawImage img, int side)
    {
        using var image = img.Channels == 1
            ? (SixLabors.ImageSharp.Image)SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.L8>(img.Pixels, img.Width, img.Height)
            : SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgb24>(img.Pixels, img.Width, img.Height);
        double scale = Math.Min((double)side / Math.Max(img.Width, img.Height), 4.0);
        int w = Math.Max(1, (int)Math.Round(img.Width * scale)), h = Math.Max(1, (int)Math.Round(img.Height * scale));
        // Nearest neighbour when enlarging keeps small images (28 px MedMNIST) crisp instead of blurred.
        var sampler = scale > 1 ? SixLabors.ImageSharp.Processing.KnownResamplers.NearestNeighbor : SixLabors.ImageSharp.Processing.KnownResamplers.Bicubic;
        SixLabors.ImageSharp.Processing.ProcessingExtensions.Mutate(image, x => SixLabors.ImageSharp.Processing.ResizeExtensions.Resize(x, w, h, sampler));
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, ms);
        return ms.ToArray();
    }
}
