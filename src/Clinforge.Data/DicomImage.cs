using System.Globalization;

namespace Clinforge.Data;

/// <summary>A VOI window (PS3.3 C.11.2.1.2): centre and width in modality-LUT units, and where it came from.</summary>
public sealed record DicomWindow(double Center, double Width, string Source)
{
    /// <summary>"c=40 w=400".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"c={Center:0.###} w={Width:0.###} ({Source})");
}

/// <summary>
/// What a DICOM header says that may leave the reader: non-identifying fields as metadata columns, the
/// names (never the values) of identifying fields found, the window, and keys used only in memory to
/// group and order slices (<see cref="PatientKey"/>, <see cref="SeriesKey"/>: never written anywhere;
/// readers turn them into pseudonyms).
/// </summary>
public sealed record DicomHeader(
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> IdentifyingFieldsPresent,
    DicomWindow? Window,
    string? PatientKey,
    string? SeriesKey,
    string? SopInstanceUid,
    int? InstanceNumber,
    double? SlicePosition)
{
    /// <summary>Only the non-identifying part: the keys are left out so that a log of this record cannot leak them.</summary>
    public override string ToString() => $"DicomHeader {{ {string.Join(", ", Metadata.Select(kv => $"{kv.Key} = {kv.Value}"))} }}";
}

/// <summary>
/// A decoded DICOM image: all frames, grey values after the modality LUT (still at full precision, e.g.
/// Hounsfield units for CT: the 12/16-bit range is kept until <see cref="ToRaw"/> applies a window), or
/// 8-bit RGB for colour images.
/// </summary>
public sealed class DicomImage
{
    private readonly float[]? _values;
    private readonly byte[]? _rgb;

    internal DicomImage(string path, int width, int height, int frames, int samples, string photometric, float[]? values, byte[]? rgb,
        DicomHeader header, string transferSyntax, double slope, double intercept, int bitsStored, bool signed)
    {
        Path = path;
        Width = width;
        Height = height;
        Frames = frames;
        Samples = samples;
        Photometric = photometric;
        _values = values;
        _rgb = rgb;
        Header = header;
        TransferSyntax = transferSyntax;
        Slope = slope;
        Intercept = intercept;
        BitsStored = bitsStored;
        Signed = signed;
    }

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>Columns.</summary>
    public int Width { get; }
    /// <summary>Rows.</summary>
    public int Height { get; }
    /// <summary>Number of frames (1 for a single image).</summary>
    public int Frames { get; }
    /// <summary>1 (grey) or 3 (colour).</summary>
    public int Samples { get; }
    /// <summary>MONOCHROME1, MONOCHROME2, RGB, YBR_FULL...</summary>
    public string Photometric { get; }
    /// <summary>Header fields that may leave the reader.</summary>
    public DicomHeader Header { get; }
    /// <summary>The transfer syntax, in words.</summary>
    public string TransferSyntax { get; }
    /// <summary>Rescale slope applied.</summary>
    public double Slope { get; }
    /// <summary>Rescale intercept applied.</summary>
    public double Intercept { get; }
    /// <summary>Bits stored per sample.</summary>
    public int BitsStored { get; }
    /// <summary>Whether stored values are signed.</summary>
    public bool Signed { get; }

    /// <summary>MONOCHROME1: low values are white, so the windowed image is inverted to read like every other.</summary>
    public bool Inverted => Photometric.Equals("MONOCHROME1", StringComparison.OrdinalIgnoreCase);

    /// <summary>One frame's grey values after the modality LUT; null for colour images.</summary>
    public ReadOnlySpan<float> FrameValues(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, Frames);
        if (_values is null) return default;
        long n = (long)Width * Height;
        return _values.AsSpan((int)(frame * n), (int)n);
    }

    /// <summary>
    /// The window every frame of this file is shown with: the header's first window when it has a valid
    /// one; for 8-bit data without one, the identity (0..255 unchanged); otherwise the minimum to maximum
    /// of the file's values, which is what dcmtk's min-max window computes too.
    /// </summary>
    public DicomWindow Window
    {
        get
        {
            if (Samples == 3) return new DicomWindow(127.5, 256, "colour: no window");
            if (Header.Window is { } w) return w;
            if (BitsStored <= 8 && !Signed && Slope == 1 && Intercept == 0) return new DicomWindow(128, 256, "8-bit data without a window: shown as stored");
            float min = float.MaxValue, max = float.MinValue;
            foreach (var v in _values!)
            {
                if (v < min) min = v;
                if (v > max) max = v;
            }
            return new DicomWindow((min + max + 1) / 2.0, Math.Max(1, max - min + 1), "chosen from the data: minimum to maximum of the file's values");
        }
    }

    /// <summary>One frame as 8-bit pixels: grey through <paramref name="window"/> (default <see cref="Window"/>), inverted for MONOCHROME1.</summary>
    public RawImage ToRaw(int frame, DicomWindow? window = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, Frames);
        long n = (long)Width * Height;
        if (_rgb is not null)
        {
            var rgb = new byte[n * 3];
            Array.Copy(_rgb, frame * n * 3, rgb, 0, n * 3);
            return new RawImage(Width, Height, 3, rgb);
        }
        var w = window ?? Window;
        var grey = new byte[n];
        VoiWindow.Apply(FrameValues(frame), grey, w.Center, w.Width, Inverted);
        return new RawImage(Width, Height, 1, grey);
    }
}
