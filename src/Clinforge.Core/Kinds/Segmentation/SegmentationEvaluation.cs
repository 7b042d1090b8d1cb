namespace Clinforge.Core;

/// <summary>One model's result on the test images: per label, the means with CIs over images, and every image's scores.</summary>
/// <param name="Trial">The trial whose model was scored.</param>
/// <param name="Labels">Per label, means with bootstrap CIs over images.</param>
/// <param name="Images">Every test image's scores, per label.</param>
public sealed record SegmentationModelResult(int Trial, IReadOnlyList<SegmentationSummaryMetrics> Labels, IReadOnlyList<SegmentationImageScore> Images);

/// <summary>An example test image with its outlines drawn (the report's gallery).</summary>
/// <param name="Kind">Why it was chosen: best, median or worst Dice.</param>
/// <param name="Id">The image.</param>
/// <param name="Dice">Its Dice (first label).</param>
/// <param name="File">The overlay PNG, relative to the report folder.</param>
public sealed record SegmentationExample(string Kind, string Id, double Dice, string File);

/// <summary>
/// The one look at the test split of a segmentation run (final/segmentation_evaluation.json): the
/// initial and final models on the same test images, measured at the images' own resolution inside
/// the region of interest, with the paired comparison of their Dice.
/// </summary>
public sealed record SegmentationEvaluation
{
    /// <summary>When the test split was looked at.</summary>
    public required DateTimeOffset LookedAt { get; init; }
    /// <summary>Test images.</summary>
    public required int TestImages { get; init; }
    /// <summary>The label names, in label order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>The validation objective the loop maximised.</summary>
    public required string ObjectiveName { get; init; }
    /// <summary>Whether a region-of-interest mask limited what counts.</summary>
    public required bool RegionOfInterest { get; init; }
    /// <summary>Recipe v0's model.</summary>
    public required SegmentationModelResult Initial { get; init; }
    /// <summary>The model the loop kept.</summary>
    public required SegmentationModelResult Final { get; init; }
    /// <summary>Final − initial mean per-image Dice (first label), paired over test images; null when the final model is the initial one.</summary>
    public PairedComparison? DiceChange { get; init; }
    /// <summary>Bootstrap resamples behind every interval.</summary>
    public required int BootstrapResamples { get; init; }
    /// <summary>Seed of the bootstrap.</summary>
    public required int BootstrapSeed { get; init; }
    /// <summary>Overlays of example test images (final model).</summary>
    public IReadOnlyList<SegmentationExample> Examples { get; init; } = [];
}
