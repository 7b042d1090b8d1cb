namespace Clinforge.Core;

/// <summary>The names <see cref="SegmentationRecipe.Contrast"/> accepts.</summary>
public static class ContrastModes
{
    /// <summary>Pixels as decoded.</summary>
    public const string None = "none";

    /// <summary>
    /// Contrast-limited adaptive histogram equalisation of each channel (Zuiderveld 1994), 8 × 8 tiles,
    /// clip limit 2, on the image's own pixels before it is letterboxed.
    /// </summary>
    public const string Clahe = "clahe";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> All { get; } = [None, Clahe];
}
