using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// The masks of a segmentation dataset: for each image its mask file (and region-of-interest file when
/// there is one), the label values the masks use, and the coverage summary the data card shows.
/// </summary>
public sealed class SegmentationMasks
{
    private readonly IReadOnlyDictionary<string, string> _masks;
    private readonly IReadOnlyDictionary<string, string>? _regions;
    private readonly Dictionary<int, byte> _index;

    internal SegmentationMasks(IReadOnlyDictionary<string, string> masks, IReadOnlyDictionary<string, string>? regions, IReadOnlyList<int> values, SegmentationSummary summary)
    {
        _masks = masks;
        _regions = regions;
        Values = values;
        Summary = summary;
        _index = new Dictionary<int, byte> { [0] = 0 };
        for (int i = 0; i < values.Count; i++) _index[values[i]] = (byte)(i + 1);
    }

    /// <summary>The mask values that are labels (background 0 excluded), in label order 1..K.</summary>
    public IReadOnlyList<int> Values { get; }

    /// <summary>What the data card says.</summary>
    public SegmentationSummary Summary { get; }

    /// <summary>The mask file of an image.</summary>
    public string MaskFile(string id) => _masks[id];

    /// <summary>The region-of-interest file of an image, or null.</summary>
    public string? RegionFile(string id) => _regions is not null && _regions.TryGetValue(id, out var f) ? f : null;

    /// <summary>The label of every pixel (0 = background, k = <see cref="Values"/>[k − 1]), row-major.</summary>
    public byte[] Labels(string id)
    {
        var mask = SegmentationReader.ReadMask(MaskFile(id));
        var labels = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++)
            labels[i] = _index.TryGetValue(mask[i], out var k) ? k : throw new ClinforgeException($"{MaskFile(id)}: value {mask[i]} is not one of the dataset's labels (0, {string.Join(", ", Values)}).");
        return labels;
    }

    /// <summary>Whether each pixel counts (1) or lies outside the region of interest (0); null when every pixel counts.</summary>
    public byte[]? Region(string id) => RegionFile(id) is { } file ? SegmentationReader.ReadMask(file).Select(v => (byte)(v > 0 ? 1 : 0)).ToArray() : null;
}
