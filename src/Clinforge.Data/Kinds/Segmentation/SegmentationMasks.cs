using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// The masks of a segmentation dataset: for each image where its mask (and region of interest, when
/// there is one) is read from, a mask image or a slice of a label-map volume; the label values the
/// masks use, and the coverage summary the data card shows.
/// </summary>
public sealed class SegmentationMasks
{
    private readonly IReadOnlyDictionary<string, MaskLocation> _masks;
    private readonly IReadOnlyDictionary<string, MaskLocation>? _regions;
    private readonly Dictionary<int, byte> _index;
    private readonly Lock _lock = new();
    // The label-map volumes read last, most recent first: slices are asked for volume by volume (the
    // trainer loads its images in id order), so a few volumes kept decoded serve nearly every request,
    // while a dataset of hundreds of volumes never holds them all (4 bytes per voxel once decoded).
    private readonly LinkedList<NiftiVolume> _volumes = new();
    private const int KeptVolumes = 4;

    internal SegmentationMasks(IReadOnlyDictionary<string, MaskLocation> masks, IReadOnlyDictionary<string, MaskLocation>? regions, IReadOnlyList<int> values, SegmentationSummary summary)
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

    /// <summary>The mask file of an image (for a slice, the label-map volume it is cut from).</summary>
    public string MaskFile(string id) => _masks[id].File;

    /// <summary>The region-of-interest file of an image, or null.</summary>
    public string? RegionFile(string id) => _regions is not null && _regions.TryGetValue(id, out var f) ? f.File : null;

    /// <summary>Where an image's mask is read from.</summary>
    internal MaskLocation Location(string id) => _masks[id];

    /// <summary>Where an image's region of interest is read from, or null.</summary>
    internal MaskLocation? RegionLocation(string id) => _regions is not null && _regions.TryGetValue(id, out var r) ? r : null;

    /// <summary>The label of every pixel (0 = background, k = <see cref="Values"/>[k − 1]), row-major.</summary>
    public byte[] Labels(string id)
    {
        var location = _masks[id];
        var mask = RawValues(location);
        var labels = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++)
            labels[i] = _index.TryGetValue(mask[i], out var k) ? k : throw new ClinforgeException($"{location}: value {mask[i].ToString(CultureInfo.InvariantCulture)} is not one of the dataset's labels (0, {string.Join(", ", Values)}).");
        return labels;
    }

    /// <summary>Whether each pixel counts (1) or lies outside the region of interest (0); null when every pixel counts.</summary>
    public byte[]? Region(string id) =>
        _regions is not null && _regions.TryGetValue(id, out var location) ? RawValues(location).Select(v => (byte)(v != 0 ? 1 : 0)).ToArray() : null;

    /// <summary>The mask's values as stored, row-major, in the layout of its image.</summary>
    internal int[] RawValues(MaskLocation location)
    {
        if (!location.IsSlice) return SegmentationReader.ReadMask(location.File).Select(b => (int)b).ToArray();
        NiftiVolume volume;
        lock (_lock)
        {
            var kept = _volumes.First;
            while (kept is not null && kept.Value.Path != location.File) kept = kept.Next;
            if (kept is not null) _volumes.Remove(kept);
            volume = kept?.Value ?? NiftiReader.Read(location.File);
            _volumes.AddFirst(volume);
            while (_volumes.Count > KeptVolumes) _volumes.RemoveLast();
        }
        return volume.LabelSlice(location.Axis, location.Slice);
    }
}
