namespace Clinforge.Core;

/// <summary>
/// What the data card says about DICOM and NIfTI input: how many files of each, how their grey values
/// were windowed, how volumes were sliced, the header fields kept as metadata columns (value counts),
/// and which identifying header fields were present and dropped (names and file counts only).
/// </summary>
public sealed record ImagingSummary
{
    /// <summary>Format → files read ("DICOM", "NIfTI").</summary>
    public IReadOnlyDictionary<string, int> Files { get; init; } = new Dictionary<string, int>();
    /// <summary>Transfer syntax (or NIfTI version) → files.</summary>
    public IReadOnlyDictionary<string, int> Encodings { get; init; } = new Dictionary<string, int>();
    /// <summary>Where each window came from → files (header, chosen from the data...).</summary>
    public IReadOnlyDictionary<string, int> Windowing { get; init; } = new Dictionary<string, int>();
    /// <summary>MONOCHROME1 files, inverted so that high values are bright.</summary>
    public int InvertedMonochrome1 { get; init; }
    /// <summary>Files holding more than one 2-D image (multi-frame DICOM, 3-D NIfTI).</summary>
    public int MultiSliceFiles { get; init; }
    /// <summary>2-D images taken from all the files.</summary>
    public int Slices { get; init; }
    /// <summary>NIfTI slicing: "axial: why" → volumes.</summary>
    public IReadOnlyDictionary<string, int> SliceAxes { get; init; } = new Dictionary<string, int>();
    /// <summary>NIfTI orientation found → volumes (e.g. "LAS by sform, turned to RAS").</summary>
    public IReadOnlyDictionary<string, int> Orientations { get; init; } = new Dictionary<string, int>();
    /// <summary>Header metadata column → value → files (the ten most common values, the rest as "(other)").</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> HeaderColumns { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, int>>();
    /// <summary>Identifying DICOM field → files that had it; the values were dropped and never stored.</summary>
    public IReadOnlyDictionary<string, int> IdentifyingFieldsDropped { get; init; } = new Dictionary<string, int>();
}
