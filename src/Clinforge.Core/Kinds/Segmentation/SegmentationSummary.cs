namespace Clinforge.Core;

/// <summary>One label of a segmentation dataset: how much of each image it covers (inside the region of interest when one is given).</summary>
/// <param name="Name">The label's name ("foreground" for a binary mask, "label V" for value V of a label map).</param>
/// <param name="Value">Its value in the mask files.</param>
/// <param name="MeanFraction">Mean share of an image's pixels it covers.</param>
/// <param name="MinFraction">Smallest share over the images.</param>
/// <param name="MaxFraction">Largest share over the images.</param>
/// <param name="Images">Images in which it appears at all.</param>
/// <param name="MeanWidth">
/// Its typical width in the masks' own pixels: twice its area over its edge pixels (a pixel with a
/// 4-neighbour of another value), pooled over the masks. A strand w pixels wide gives about w, a disc
/// of radius r a little more than r (fewer pixels of a digital circle touch the outside than 2πr). Null when the label has no edge (or in cards written before it was measured).
/// </param>
public sealed record SegmentationLabelStats(string Name, int Value, double MeanFraction, double MinFraction, double MaxFraction, int Images, double? MeanWidth = null);

/// <summary>What a segmentation dataset holds, for the data card: pairs, labels, the region of interest and coverage.</summary>
public sealed record SegmentationSummary
{
    /// <summary>Image/mask pairs.</summary>
    public int Pairs { get; init; }

    /// <summary>Where images, masks and regions of interest were found (folder names).</summary>
    public string Layout { get; init; } = "";

    /// <summary>"binary" (one foreground value) or "label map" (one integer value per label, 0 = background).</summary>
    public string MaskKind { get; init; } = "binary";

    /// <summary>Whether a region-of-interest mask (a field of view) limits what counts.</summary>
    public bool RegionOfInterest { get; init; }

    /// <summary>Each label's coverage.</summary>
    public IReadOnlyList<SegmentationLabelStats> Labels { get; init; } = [];

    /// <summary>Masks with no foreground at all.</summary>
    public int EmptyMasks { get; init; }

    /// <summary>Image volumes (NIfTI) read as 2-D slices with their label maps; 0 when every pair is a 2-D image.</summary>
    public int Volumes { get; init; }

    /// <summary>For volumes: the axis they are sliced along (0 sagittal, 1 coronal, 2 axial), which new volumes are sliced along too; null without volumes.</summary>
    public int? SliceAxis { get; init; }

    /// <summary>For volumes: the slicing axis and why, and how slices were kept together when splitting; null without volumes.</summary>
    public string? Slicing { get; init; }
}
