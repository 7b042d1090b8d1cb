namespace Clinforge.Core;

/// <summary>Manifest of a detection model package: which trial, the operating threshold chosen on validation, the finding's name.</summary>
public sealed record DetectionPackageManifest(string Run, int Trial, double Threshold, string Finding, int InputSize, string Objective, DateTimeOffset Created,
    IReadOnlyDictionary<string, Estimate>? TestMetrics)
{
    /// <summary>The manifest's file name in a package: its presence marks a detection package.</summary>
    public const string FileName = "detection_manifest.json";

    /// <summary>The classes the model keeps apart, in index order; empty for one class (<see cref="Finding"/>). Packages made before multi-class detection have none.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>Per-class score thresholds chosen on validation (index = class); empty: every box uses <see cref="Threshold"/>.</summary>
    public IReadOnlyList<double> ClassThresholds { get; init; } = [];

    /// <summary>The operating point: a box is shown when its score reaches its class's threshold.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DetectionOperatingPoint Operating => new(Threshold, ClassThresholds);

    /// <summary>The name of class index <paramref name="k"/> of a box: its class, or the finding for a single-class model.</summary>
    public string ClassName(int k) => Classes.Count > 1 && k >= 0 && k < Classes.Count ? Classes[k] : Finding;
}
