namespace Clinforge.Core;

/// <summary>Split names. The test split is sealed (see DESIGN.md).</summary>
public static class SplitNames
{
    public const string Train = "train";
    public const string Val = "val";
    public const string Test = "test";
}

/// <summary>Range and most common value of image sizes.</summary>
public sealed record SizeSummary(int MinWidth, int MaxWidth, int MinHeight, int MaxHeight, int CommonWidth, int CommonHeight);

/// <summary>A group of items with identical pixels that fall in more than one split.</summary>
public sealed record DuplicateGroup(string PixelHash, IReadOnlyList<string> ItemIds, IReadOnlyList<string> Splits);

/// <summary>A file that could not be decoded, and why.</summary>
public sealed record UnreadableFile(string Path, string Reason);

/// <summary>
/// What inspection found in the dataset: format, counts, class balance, sizes, duplicates across
/// splits, unreadable files and how the splits were made.
/// </summary>
public sealed record DataCard
{
    public int SchemaVersion { get; init; } = 1;
    /// <summary>folder | csv | npz | synthetic.</summary>
    public required string Format { get; init; }
    /// <summary>Absolute path of the dataset (folder, CSV or .npz file).</summary>
    public required string Source { get; init; }
    /// <summary>Class names; the label index is the position in this list.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    public required int TotalItems { get; init; }
    /// <summary>split → class → count.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Counts { get; init; }
    public required SizeSummary ImageSizes { get; init; }
    /// <summary>1 (grey) or 3 (RGB): the channel count every image is converted to.</summary>
    public required int Channels { get; init; }
    public IReadOnlyList<DuplicateGroup> CrossSplitDuplicates { get; init; } = [];
    public IReadOnlyList<UnreadableFile> Unreadable { get; init; } = [];
    /// <summary>official | stratified_grouped.</summary>
    public required string SplitMethod { get; init; }
    public int SplitSeed { get; init; }
    /// <summary>CSV column used for grouping (patient/lesion), if any.</summary>
    public string? GroupColumn { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>For detection datasets: the supervision structure (boxed vs image-level positives); else null.</summary>
    public DetectionSummary? Detection { get; init; }

    /// <summary>For a segmentation dataset: pairs, labels, region of interest and coverage; null otherwise.</summary>
    public SegmentationSummary? Segmentation { get; init; }
    /// <summary>For DICOM and NIfTI input: formats, windowing, slicing, header columns, identifying fields dropped; else null.</summary>
    public ImagingSummary? Imaging { get; init; }
    /// <summary>How development judges trials (hold-out or k folds) and why; null in cards written before protocols were chosen (hold-out).</summary>
    public DevelopmentProtocol? Protocol { get; init; }
}

/// <summary>One labelled image; <see cref="Id"/> is stable (relative path, or "split/index" for arrays).</summary>
public sealed record DataItem(string Id, int Label, string? Group = null);

/// <summary>
/// splits.json: item ids per split. The training process only ever receives train and val; the test
/// ids are read by the final evaluation alone. Under cross-validation <see cref="Folds"/> partitions the
/// development pool (train and val together) into k folds of item ids; val is then fold 0 and train the
/// other folds, so a reader that knows nothing of folds still sees a valid hold-out split.
/// </summary>
public sealed record Splits(
    IReadOnlyList<DataItem> Train,
    IReadOnlyList<DataItem> Val,
    IReadOnlyList<DataItem> Test,
    string Method,
    int Seed,
    IReadOnlyList<IReadOnlyList<string>>? Folds = null)
{
    /// <summary>The development pool (train then val), the items folds are drawn from.</summary>
    public IReadOnlyList<DataItem> Pool() => [.. Train, .. Val];
}
