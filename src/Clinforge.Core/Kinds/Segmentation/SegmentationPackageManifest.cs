namespace Clinforge.Core;

/// <summary>Manifest of a segmentation model package: which trial, the labels it outlines, the input size and its test Dice.</summary>
public sealed record SegmentationPackageManifest(string Run, int Trial, IReadOnlyList<string> Labels, IReadOnlyList<int> LabelValues, int InputSize, string Objective, DateTimeOffset Created,
    IReadOnlyDictionary<string, Estimate>? TestMetrics)
{
    /// <summary>The manifest's file name in a package: its presence marks a segmentation package.</summary>
    public const string FileName = "segmentation_manifest.json";

    /// <summary>The package's ONNX export (model.onnx: letterboxed pixels in, per-pixel class probabilities out), or null.</summary>
    public OnnxModelInfo? Onnx { get; init; }

    /// <summary>For a model trained on slices of volumes: the axis new volumes are sliced along (0 sagittal, 1 coronal, 2 axial, in RAS); null for 2-D images.</summary>
    public int? SliceAxis { get; init; }

    /// <summary>Why there is no ONNX export, when there is none.</summary>
    public string? OnnxUnavailable { get; init; }
}
