using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Reads a DICOM file through GDCM (see <see cref="GdcmRuntime"/>): every transfer syntax GDCM decodes
/// (implicit/explicit little endian, explicit big endian, deflated, RLE, JPEG baseline/extended/lossless,
/// JPEG-LS, JPEG 2000), all frames, the modality LUT (rescale slope and intercept), the header's first
/// VOI window, and the non-identifying header fields. Patient identifiers are never read into a value:
/// only whether they were present (<see cref="DicomPrivacy"/>).
/// </summary>
public static class DicomReader
{
    /// <summary>
    /// Largest decoded pixel buffer read by default: half of the memory the runtime may use, at most
    /// 2 GiB (one .NET array). A volume past it is refused before decoding, naming the file.
    /// </summary>
    public static long DefaultMaxBytes
    {
        get
        {
            var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return Math.Min(available > 0 ? available / 2 : long.MaxValue, 2L << 30);
        }
    }

    private const string PdfSopClass = "1.2.840.10008.5.1.4.1.1.104.1";
    private const string SrSopClassPrefix = "1.2.840.10008.5.1.4.1.1.88.";

    private static readonly Dictionary<string, string> s_transferSyntaxNames = new(StringComparer.Ordinal)
    {
        ["1.2.840.10008.1.2"] = "implicit VR little endian",
        ["1.2.840.10008.1.2.1"] = "explicit VR little endian",
        ["1.2.840.10008.1.2.1.99"] = "deflated explicit VR little endian",
        ["1.2.840.10008.1.2.2"] = "explicit VR big endian",
        ["1.2.840.10008.1.2.5"] = "RLE lossless",
        ["1.2.840.10008.1.2.4.50"] = "JPEG baseline",
        ["1.2.840.10008.1.2.4.51"] = "JPEG extended (12-bit)",
        ["1.2.840.10008.1.2.4.57"] = "JPEG lossless",
        ["1.2.840.10008.1.2.4.70"] = "JPEG lossless, first-order prediction",
        ["1.2.840.10008.1.2.4.80"] = "JPEG-LS lossless",
        ["1.2.840.10008.1.2.4.81"] = "JPEG-LS near-lossless",
        ["1.2.840.10008.1.2.4.90"] = "JPEG 2000 lossless",
        ["1.2.840.10008.1.2.4.91"] = "JPEG 2000",
    };

    /// <summary>Reads and decodes <paramref name="path"/> with <see cref="DefaultMaxBytes"/>.</summary>
    public static DicomImage Read(string path) => Read(path, DefaultMaxBytes);

    /// <summary>
    /// Reads and decodes <paramref name="path"/>; a file that is not a readable DICOM image (no pixel data,
    /// a report or a PDF, a damaged or unsupported stream, larger than <paramref name="maxBytes"/>
    /// decoded) gives a <see cref="ClinforgeException"/> naming the file and the problem.
    /// </summary>
    public static DicomImage Read(string path, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: file not found.");
        GdcmRuntime.Require(path);
        var reader = GdcmRuntime.New(path, "gdcm.ImageReader");
        try
        {
            reader.SetFileName(path);
            if (!(bool)reader.Read()) throw new ClinforgeException($"{path}: {WhyNoImage(path)}");
            var file = reader.GetFile();
            var strings = GdcmRuntime.New(path, "gdcm.StringFilter");
            strings.SetFile(file);
            var dataSet = file.GetDataSet();
            string Text(ushort group, ushort element)
            {
                var tag = GdcmRuntime.New(path, "gdcm.Tag", group, element);
                if (!(bool)dataSet.FindDataElement(tag)) return "";
                return ((string?)strings.ToString(tag) ?? "").Trim().TrimEnd('\0').Trim();
            }

            var image = reader.GetImage();
            int dims = (int)(uint)image.GetNumberOfDimensions();
            int width = (int)(uint)image.GetDimension(0), height = (int)(uint)image.GetDimension(1);
            int frames = dims > 2 ? (int)(uint)image.GetDimension(2) : 1;
            var format = image.GetPixelFormat();
            int samples = (ushort)format.GetSamplesPerPixel();
            int allocated = (ushort)format.GetBitsAllocated();
            int stored = (ushort)format.GetBitsStored();
            int highBit = (ushort)format.GetHighBit();
            bool signed = (ushort)format.GetPixelRepresentation() == 1;
            var photometric = ((string)image.GetPhotometricInterpretation().GetString() ?? "").Trim().TrimEnd('\0').Trim();
            var syntax = ((string?)image.GetTransferSyntax().GetString() ?? "").Trim().TrimEnd('\0').Trim();
            var syntaxName = s_transferSyntaxNames.GetValueOrDefault(syntax, syntax.Length > 0 ? syntax : "unknown");
            if (width <= 0 || height <= 0 || frames <= 0) throw new ClinforgeException($"{path}: invalid image size {width}x{height}x{frames} in the DICOM header.");
            if (samples is not (1 or 3)) throw new ClinforgeException($"{path}: {samples} samples per pixel; only grey (1) and colour (3) images are read.");
            if (allocated is not (8 or 16 or 32)) throw new ClinforgeException($"{path}: {allocated} bits allocated per sample; 8, 16 and 32 are read.");
            if (photometric.StartsWith("PALETTE", StringComparison.OrdinalIgnoreCase))
            {
                throw new ClinforgeException($"{path}: PALETTE COLOR images are not read. Convert the file to RGB (e.g. dcmconv or gdcmconv --raw) first.");
            }

            long length = (long)(uint)image.GetBufferLength();
            long expected = (long)width * height * frames * samples * (allocated / 8);
            long decodedFloats = samples == 1 ? (long)width * height * frames * sizeof(float) : 0;
            if (Math.Max(length, expected) + decodedFloats > maxBytes || Math.Max(length, expected) > Array.MaxLength)
            {
                throw new ClinforgeException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: the image is too large to read into memory ({width}x{height}, {frames} frame(s), {Math.Max(length, expected) / (1024.0 * 1024.0):0} MiB decoded; the limit here is {maxBytes / (1024.0 * 1024.0):0} MiB). Split the series or export fewer frames."));
            }
            if ((bool)image.GetTransferSyntax().IsEncapsulated() && !EncapsulatedPixelDataIsComplete(path))
            {
                // GDCM decodes a cut-off compressed stream without complaint, filling the rest; a half-blank image is worse than none.
                throw new ClinforgeException($"{path}: the file is cut short: its compressed pixel data ({syntaxName}) have no end (sequence delimiter). Re-copy or re-export the file.");
            }
            var buffer = new byte[Math.Max(length, expected)];
            if (!(bool)image.GetBuffer(buffer))
            {
                throw new ClinforgeException($"{path}: the pixel data cannot be decoded (transfer syntax: {syntaxName}); the compressed stream is damaged or not supported by GDCM. Re-export the image uncompressed.");
            }

            var header = ReadHeader(Text);
            var (slope, intercept) = ((double)image.GetSlope(), (double)image.GetIntercept());
            if (!double.IsFinite(slope) || slope == 0) slope = 1;
            if (!double.IsFinite(intercept)) intercept = 0;
            int planar = samples == 3 ? PlanarConfiguration(image) : 0;

            if (samples == 3)
            {
                if (allocated != 8) throw new ClinforgeException($"{path}: colour images with {allocated} bits per sample are not read; 8-bit RGB is.");
                var rgb = Interleave(buffer, width * height, frames, planar);
                if (photometric is "YBR_FULL" && !(bool)image.GetTransferSyntax().IsEncapsulated()) YbrFullToRgb(rgb);
                return new DicomImage(path, width, height, frames, 3, photometric, null, rgb, header, syntaxName, 1, 0, stored, signed);
            }

            var values = new float[(long)width * height * frames];
            Unpack(buffer, values, allocated, stored, highBit, signed, allocated > 8 && NeedsByteSwap(image));
            if (slope != 1 || intercept != 0)
            {
                for (long i = 0; i < values.LongLength; i++) values[i] = (float)(values[i] * slope + intercept);
            }
            return new DicomImage(path, width, height, frames, 1, photometric, values, null, header, syntaxName, slope, intercept, stored, signed);
        }
        catch (Exception e) when (e is not ClinforgeException && ImageDecoder.IsDecodeFailure(e))
        {
            throw new ClinforgeException($"{path}: cannot read the DICOM file ({e.Message.Split('\n')[0].Trim()}).");
        }
        finally
        {
            (reader as IDisposable)?.Dispose();
        }
    }

    /// <summary>The SOP Instance UID from the header alone (reading stops before the pixel data); null when absent or unreadable.</summary>
    public static string? ReadSopInstanceUid(string path)
    {
        if (!GdcmRuntime.Available) return null;
        var reader = GdcmRuntime.New(path, "gdcm.Reader");
        try
        {
            reader.SetFileName(path);
            if (!(bool)reader.ReadUpToTag(GdcmRuntime.New(path, "gdcm.Tag", (ushort)0x0008, (ushort)0x0019))) return null;
            var strings = GdcmRuntime.New(path, "gdcm.StringFilter");
            strings.SetFile(reader.GetFile());
            var tag = GdcmRuntime.New(path, "gdcm.Tag", (ushort)0x0008, (ushort)0x0018);
            if (!(bool)reader.GetFile().GetDataSet().FindDataElement(tag)) return null;
            var uid = ((string?)strings.ToString(tag) ?? "").Trim().TrimEnd('\0').Trim();
            return uid.Length > 0 ? uid : null;
        }
        catch (Exception e) when (ImageDecoder.IsDecodeFailure(e))
        {
            return null;
        }
        finally
        {
            (reader as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Encapsulated pixel data (PS3.5 A.4) are a sequence of items closed by a sequence delimitation item
    /// (FFFE,E0DD); a file cut inside the stream lacks it after the last Pixel Data tag (7FE0,0010).
    /// </summary>
    internal static bool EncapsulatedPixelDataIsComplete(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int tag = bytes.AsSpan().LastIndexOf(new byte[] { 0xE0, 0x7F, 0x10, 0x00 });
        if (tag < 0) return true; // deflated or otherwise not visible: trust the decoder
        return bytes.AsSpan(tag).IndexOf(new byte[] { 0xFE, 0xFF, 0xDD, 0xE0 }) >= 0;
    }

    /// <summary>Why GDCM's ImageReader found no image: a report, a PDF, no pixel data, or not DICOM at all.</summary>
    private static string WhyNoImage(string path)
    {
        var reader = GdcmRuntime.New(path, "gdcm.Reader");
        try
        {
            reader.SetFileName(path);
            if (!(bool)reader.Read()) return "not a DICOM file, or its header or pixel data structure is damaged or cut short.";
            var file = reader.GetFile();
            var strings = GdcmRuntime.New(path, "gdcm.StringFilter");
            strings.SetFile(file);
            var dataSet = file.GetDataSet();
            string Text(ushort g, ushort e)
            {
                var tag = GdcmRuntime.New(path, "gdcm.Tag", g, e);
                var holder = g == 0x0002 ? file.GetHeader() : dataSet;
                return (bool)holder.FindDataElement(tag) ? ((string?)strings.ToString(tag) ?? "").Trim().TrimEnd('\0').Trim() : "";
            }
            var sopClass = Text(0x0008, 0x0016);
            var modality = Text(0x0008, 0x0060);
            if (sopClass == PdfSopClass || modality == "DOC")
                return "an encapsulated PDF document, not an image. Keep only image files in the dataset folder.";
            if (sopClass.StartsWith(SrSopClassPrefix, StringComparison.Ordinal) || modality == "SR")
                return "a structured report (SR) with no pixel data, not an image. Keep only image files in the dataset folder.";
            var pixelData = GdcmRuntime.New(path, "gdcm.Tag", (ushort)0x7FE0, (ushort)0x0010);
            if (!(bool)dataSet.FindDataElement(pixelData))
                return $"a DICOM file without pixel data (SOP class {(sopClass.Length > 0 ? sopClass : "not stated")}, modality {(modality.Length > 0 ? modality : "not stated")}), not an image.";
            var syntax = Text(0x0002, 0x0010);
            return $"the image cannot be decoded (transfer syntax: {s_transferSyntaxNames.GetValueOrDefault(syntax, syntax)}); the pixel data are damaged or in a form GDCM does not read.";
        }
        finally
        {
            (reader as IDisposable)?.Dispose();
        }
    }

    private static DicomHeader ReadHeader(Func<ushort, ushort, string> text)
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, group, element) in DicomPrivacy.MetadataTags)
        {
            var value = text(group, element);
            if (name == DicomPrivacy.PixelSpacingColumn && value.Length == 0) value = text(0x0018, 0x1164); // imager pixel spacing (CR, DX)
            if (name == "age") value = NormaliseAge(value);
            if (value.Length > 0) metadata[name] = value;
        }
        var identifying = DicomPrivacy.IdentifyingTags.Where(t => text(t.Group, t.Element).Length > 0).Select(t => t.Name).ToList();
        var (center, width) = (FirstNumber(text(0x0028, 0x1050)), FirstNumber(text(0x0028, 0x1051)));
        var window = center is { } c && width is { } w && w >= 1 ? new DicomWindow(c, w, "the file's window centre/width") : null;
        return new DicomHeader(
            metadata,
            identifying,
            window,
            PatientKey: text(0x0010, 0x0020) is { Length: > 0 } pid ? pid : null,
            SeriesKey: text(0x0020, 0x000E) is { Length: > 0 } series ? series : null,
            SopInstanceUid: text(0x0008, 0x0018) is { Length: > 0 } sop ? sop : null,
            InstanceNumber: int.TryParse(text(0x0020, 0x0013), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null,
            SlicePosition: SlicePosition(text(0x0020, 0x0032), text(0x0020, 0x0037)));
    }

    /// <summary>"045Y" → "45"; weeks, months and days as a fraction of a year; anything else as given.</summary>
    internal static string NormaliseAge(string value)
    {
        if (value.Length == 4 && int.TryParse(value.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return char.ToUpperInvariant(value[3]) switch
            {
                'Y' => n.ToString(CultureInfo.InvariantCulture),
                'M' => (n / 12.0).ToString("0.##", CultureInfo.InvariantCulture),
                'W' => (n / 52.0).ToString("0.##", CultureInfo.InvariantCulture),
                'D' => (n / 365.0).ToString("0.##", CultureInfo.InvariantCulture),
                _ => value,
            };
        }
        return value;
    }

    private static double? FirstNumber(string multi) =>
        double.TryParse(multi.Split('\\')[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    /// <summary>The slice's position along its normal (image position · (row × column cosines)), the order of a series in space.</summary>
    private static double? SlicePosition(string position, string orientation)
    {
        var p = position.Split('\\').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
        var o = orientation.Split('\\').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
        if (p.Length != 3 || o.Length != 6 || p.Concat(o).Any(double.IsNaN)) return null;
        double nx = o[1] * o[5] - o[2] * o[4], ny = o[2] * o[3] - o[0] * o[5], nz = o[0] * o[4] - o[1] * o[3];
        return p[0] * nx + p[1] * ny + p[2] * nz;
    }

    private static int PlanarConfiguration(dynamic image)
    {
        try
        {
            return (int)(uint)image.GetPlanarConfiguration();
        }
        catch (Microsoft.CSharp.RuntimeBinder.RuntimeBinderException)
        {
            return 0;
        }
    }

    /// <summary>GDCM hands back big-endian data already swapped to the machine's order; it says when it did not.</summary>
    private static bool NeedsByteSwap(dynamic image)
    {
        try
        {
            return (bool)image.GetNeedByteSwap();
        }
        catch (Microsoft.CSharp.RuntimeBinder.RuntimeBinderException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stored values (PS3.5 8.1.1): the <paramref name="stored"/> bits ending at <paramref name="highBit"/>,
    /// sign-extended when the pixel representation is signed; bits outside them (overlays, garbage) are dropped.
    /// </summary>
    internal static void Unpack(byte[] buffer, float[] values, int allocated, int stored, int highBit, bool signed, bool swap)
    {
        int shift = highBit + 1 - stored;
        if (shift < 0 || stored <= 0 || stored > allocated) (shift, stored) = (0, allocated);
        long mask = stored >= 32 ? 0xFFFFFFFFL : (1L << stored) - 1;
        long sign = 1L << (stored - 1);
        int bytes = allocated / 8;
        for (long i = 0; i < values.LongLength; i++)
        {
            long o = i * bytes;
            long raw = bytes switch
            {
                1 => buffer[o],
                2 => swap ? (buffer[o] << 8) | buffer[o + 1] : buffer[o] | (buffer[o + 1] << 8),
                _ => swap
                    ? ((long)buffer[o] << 24) | ((long)buffer[o + 1] << 16) | ((long)buffer[o + 2] << 8) | buffer[o + 3]
                    : buffer[o] | ((long)buffer[o + 1] << 8) | ((long)buffer[o + 2] << 16) | ((long)buffer[o + 3] << 24),
            };
            long v = (raw >> shift) & mask;
            if (signed && (v & sign) != 0) v -= mask + 1;
            values[i] = v;
        }
    }

    private static byte[] Interleave(byte[] buffer, int pixels, int frames, int planar)
    {
        var rgb = new byte[(long)pixels * frames * 3];
        if (planar == 0)
        {
            Array.Copy(buffer, rgb, rgb.LongLength);
            return rgb;
        }
        for (int f = 0; f < frames; f++)
        {
            long start = (long)f * pixels * 3;
            for (int i = 0; i < pixels; i++)
            for (int c = 0; c < 3; c++)
                rgb[start + i * 3 + c] = buffer[start + (long)c * pixels + i];
        }
        return rgb;
    }

    /// <summary>YBR_FULL to RGB, PS3.3 C.7.6.3.1.2 (the inverse of its full-range BT.601 equations).</summary>
    private static void YbrFullToRgb(byte[] data)
    {
        for (long i = 0; i + 2 < data.LongLength; i += 3)
        {
            double y = data[i], cb = data[i + 1] - 128.0, cr = data[i + 2] - 128.0;
            data[i] = Clamp(y + 1.402 * cr);
            data[i + 1] = Clamp(y - 0.344136 * cb - 0.714136 * cr);
            data[i + 2] = Clamp(y + 1.772 * cb);
        }
    }

    private static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
