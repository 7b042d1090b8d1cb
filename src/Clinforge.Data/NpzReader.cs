using System.IO.Compression;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// MedMNIST-style .npz (a zip of .npy arrays): train_images/train_labels, val_*, test_*. Images are
/// uint8 (N,H,W), (N,H,W,1) or (N,H,W,3); labels are integers (N,) or (N,1). The file's split is the
/// official split, and item ids are "train/12" style.
/// </summary>
internal static class NpzReader
{
    private static readonly string[] SplitOrder = [SplitNames.Train, SplitNames.Val, SplitNames.Test];

    // MedMNIST v2 label names (INFO in the medmnist package), written as identifiers.
    private static readonly Dictionary<string, string[]> KnownClasses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["breastmnist"] = ["malignant", "normal_or_benign"],
        ["pneumoniamnist"] = ["normal", "pneumonia"],
        ["dermamnist"] = ["actinic_keratoses_and_intraepithelial_carcinoma", "basal_cell_carcinoma", "benign_keratosis_like_lesions", "dermatofibroma", "melanoma", "melanocytic_nevi", "vascular_lesions"],
        ["octmnist"] = ["choroidal_neovascularization", "diabetic_macular_edema", "drusen", "normal"],
    };

    private sealed record Part(string Split, byte[] Pixels, int Count, int Height, int Width, int Channels, int[] Labels);

    public static Dataset Read(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new ClinforgeException($"{path}: not a valid .npz (zip) file ({e.Message}). Download or save it again with numpy.savez.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinforgeException($"{path}: cannot read the file ({e.Message}).");
        }

        var parts = new List<Part>();
        using (zip)
        {
            var entries = zip.Entries
                .Where(e => e.FullName.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(e => e.FullName[..^4], e => e, StringComparer.Ordinal);
            var keys = string.Join(", ", entries.Keys.Order(StringComparer.Ordinal));
            foreach (var split in SplitOrder)
            {
                var hasImages = entries.TryGetValue($"{split}_images", out var imagesEntry);
                var hasLabels = entries.TryGetValue($"{split}_labels", out var labelsEntry);
                if (hasImages != hasLabels)
                {
                    var missingKey = hasImages ? $"{split}_labels" : $"{split}_images";
                    throw new ClinforgeException($"{path}: has '{(hasImages ? $"{split}_images" : $"{split}_labels")}' but no '{missingKey}' (keys: {keys}). Each split needs both images and labels.");
                }
                if (hasImages) parts.Add(ReadPart(path, split, imagesEntry!, labelsEntry!));
            }
            if (parts.Count == 0 || parts.All(p => p.Split != SplitNames.Train))
            {
                throw new ClinforgeException($"{path}: missing keys: expected train_images and train_labels (and val_*, test_*), found {(keys.Length == 0 ? "no arrays" : keys)}. Save the arrays with numpy.savez(path, train_images=..., train_labels=..., ...).");
            }
        }

        var maxLabel = parts.SelectMany(p => p.Labels).DefaultIfEmpty(0).Max();
        CheckLabelSpace(path, parts);
        var stem = Path.GetFileNameWithoutExtension(path);
        // MedMNIST+ files carry the size ("breastmnist_224"); the class names are the same.
        var baseName = stem.Split('_')[0];
        var classes = KnownClasses.TryGetValue(baseName, out var known) && known.Length > maxLabel
            ? known.ToList()
            : Enumerable.Range(0, Math.Max(2, maxLabel + 1)).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

        var items = new List<DataItem>(parts.Sum(p => p.Count));
        var official = new Dictionary<string, string>(StringComparer.Ordinal);
        var bySplit = parts.ToDictionary(p => p.Split, StringComparer.Ordinal);
        foreach (var part in parts)
        {
            for (var i = 0; i < part.Count; i++)
            {
                var id = $"{part.Split}/{i}";
                items.Add(new DataItem(id, part.Labels[i]));
                official[id] = part.Split;
            }
        }
        var notes = new List<string>();
        var present = parts.Select(p => p.Labels.ToHashSet()).Aggregate((a, b) => { a.UnionWith(b); return a; });
        var absent = Enumerable.Range(0, classes.Count).Where(c => !present.Contains(c)).Select(c => classes[c]).ToList();
        if (absent.Count > 0) notes.Add($"classes with no images in the file: {string.Join(", ", absent)}.");

        RawImage Load(string id)
        {
            var slash = id.IndexOf('/');
            var part = bySplit[id[..slash]];
            var index = int.Parse(id.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture);
            var size = part.Height * part.Width * part.Channels;
            var pixels = new byte[size];
            Buffer.BlockCopy(part.Pixels, index * size, pixels, 0, size);
            return new RawImage(part.Width, part.Height, part.Channels, pixels);
        }

        return new Dataset("npz", path, classes, items, Load, officialSplit: official, notes: notes);
    }

    /// <summary>
    /// Labels must be class indices 0..K-1. Negative values, or a space mostly empty ({0, 255} is a mask's
    /// values, not 256 classes), mean the array holds something else: say so rather than train a model
    /// with hundreds of classes that have no image.
    /// </summary>
    private static void CheckLabelSpace(string path, List<Part> parts)
    {
        var all = parts.SelectMany(p => p.Labels).ToList();
        if (all.Count == 0) return;
        var distinct = all.Distinct().Order().ToList();
        string Values() => "{" + string.Join(", ", distinct.Take(10)) + (distinct.Count > 10 ? ", …" : "") + "}";
        if (distinct[0] < 0)
            throw new ClinforgeException($"{path}: labels hold negative values ({Values()}); labels must be class indices 0, 1, 2, … Remap them before saving.");
        int span = distinct[^1] + 1;
        if (span > 2 && (distinct.Count * 2 < span || span > 1000))
            throw new ClinforgeException($"{path}: labels hold {distinct.Count} distinct values {Values()}, which as class indices would make {span} classes, {span - distinct.Count} of them without a single image. " +
                "Labels must be class indices 0..K-1 (values such as 0/255 are a mask's, not classes): remap them, e.g. numpy.unique(labels, return_inverse=True)[1], and save again.");
        foreach (var part in parts.Where(p => p.Height < DataLimits.MinSide || p.Width < DataLimits.MinSide))
            throw new ClinforgeException($"{path}: the {part.Split} images are only {part.Width}x{part.Height} pixels; an image needs at least {DataLimits.MinSide}x{DataLimits.MinSide} (a single row or column of pixels holds no shape a model can learn).");
    }

    private static Part ReadPart(string path, string split, ZipArchiveEntry imagesEntry, ZipArchiveEntry labelsEntry)
    {
        var imagesName = $"{path}:{split}_images";
        var labelsName = $"{path}:{split}_labels";
        NpyArray images, labels;
        try
        {
            using (var s = imagesEntry.Open()) images = Npy.Read(s, imagesName);
            using (var s = labelsEntry.Open()) labels = Npy.Read(s, labelsName);
        }
        catch (InvalidDataException e)
        {
            throw new ClinforgeException($"{path}: the zip entry for '{split}' is damaged ({e.Message}). Download or save the file again.");
        }

        if (images.Kind != 'u' || images.ItemSize != 1)
        {
            throw new ClinforgeException($"{imagesName}: images must be uint8, found dtype '{images.Descr}'. Convert with images.astype(numpy.uint8) (scaled to 0..255).");
        }
        var shape = images.Shape;
        var channels = shape.Length switch
        {
            3 => 1,
            4 when shape[3] is 1 or 3 => (int)shape[3],
            _ => throw new ClinforgeException($"{imagesName}: image array shape ({string.Join(", ", shape)}) is not (N, H, W), (N, H, W, 1) or (N, H, W, 3). 3D volumes and channel-first arrays are not supported here."),
        };
        if (shape[1] <= 0 || shape[2] <= 0) throw new ClinforgeException($"{imagesName}: images of size {shape[1]}x{shape[2]}.");
        var n = checked((int)shape[0]);
        var labelShape = labels.Shape;
        if (!(labelShape.Length == 1 || (labelShape.Length == 2 && labelShape[1] == 1)))
        {
            throw new ClinforgeException($"{labelsName}: label shape ({string.Join(", ", labelShape)}) is not (N,) or (N, 1); multi-label arrays are not supported.");
        }
        if (labelShape[0] != n)
        {
            throw new ClinforgeException($"{path}: {split}_images has {n} images but {split}_labels has {labelShape[0]} labels. They must match.");
        }
        return new Part(split, images.Data, n, (int)shape[1], (int)shape[2], channels, Npy.ToInt32(labels, labelsName));
    }
}
