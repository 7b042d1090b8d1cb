using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Segmentation datasets that come split: a root holding <c>train/</c> (<c>training/</c>), <c>val/</c>
/// (<c>valid/</c>, <c>validation/</c>, <c>dev/</c>) and <c>test/</c> (<c>testing/</c>) folders, each
/// holding one of <see cref="SegmentationReader"/>'s layouts (they may differ from folder to folder).
/// Each folder is read by <see cref="SegmentationReader.Read"/> as it would be on its own; the pairs
/// are then joined with ids relative to the root (<c>train/images/01.png</c>) and the folder each came
/// from recorded as the official split, which <see cref="Splitter"/> keeps.
/// </summary>
/// <remarks>
/// A train folder is required. Without a val or test folder the missing split is drawn (seeded) from
/// the train folder by <see cref="Splitter"/>, as for classification and detection data; a val folder is
/// kept as it is. A label value found only outside the train folder is refused: no model can learn it,
/// and scoring one on it would turn a binary request into a multi-label one (the rule the splitter
/// applies to classes). A label missing from a val or test folder is only noted, because its metric
/// there is simply not measured.
/// </remarks>
internal static class SegmentationSplitReader
{
    /// <summary>Whether <paramref name="root"/> holds at least one split folder that holds a pair layout.</summary>
    public static bool Looks(string root) =>
        Directory.Exists(root)
        && ImageFiles.VisibleSubfolders(root).Any(d => FolderReader.SplitOf(Path.GetFileName(d)) is not null && SegmentationReader.LooksUnsplit(d));

    /// <summary>Reads every split folder under <paramref name="root"/> (an absolute path) and joins them.</summary>
    public static Dataset Read(string root)
    {
        var folders = SplitFolders(root);
        var parts = folders.Select(f => (f.Name, f.Split, Data: SegmentationReader.Read(f.Dir))).ToList();

        // Every split is scored the way it is trained: with a region of interest in all of them or in none.
        var withRegion = parts.Where(p => p.Data.Segmentation!.Summary.RegionOfInterest).Select(p => p.Name).ToList();
        if (withRegion.Count > 0 && withRegion.Count < parts.Count)
        {
            var without = parts.First(p => !p.Data.Segmentation!.Summary.RegionOfInterest);
            throw new ClinforgeException(
                $"{Path.Combine(root, without.Name)}: has no region-of-interest masks (roi/, fov/, or DRIVE's mask/ beside the label masks) while {string.Join(", ", withRegion.Select(n => n + "/"))} {(withRegion.Count == 1 ? "has" : "have")} them. " +
                $"Give every split folder its regions of interest, or remove them everywhere to count every pixel (found here: {without.Data.Segmentation!.Summary.Layout}).");
        }

        var values = parts.SelectMany(p => p.Data.Segmentation!.Values).Distinct().Order().ToList();
        if (values.Count > SegmentationReader.MaxLabels)
            throw new ClinforgeException($"{root}: the masks of the split folders hold {values.Count} different values together, more than {SegmentationReader.MaxLabels}: this reads as pictures, not label maps. Save masks as PNG with 0 for background and one integer (or 255) per label.");
        var train = parts.Single(p => p.Split == SplitNames.Train);
        var untrained = values.Where(v => !train.Data.Segmentation!.Values.Contains(v)).ToList();
        if (untrained.Count > 0)
        {
            string Where(int v) => string.Join(", ", parts.Where(p => p.Data.Segmentation!.Values.Contains(v)).Select(p => p.Name + "/"));
            throw new ClinforgeException(
                $"{Path.Combine(root, train.Name)}: no training mask holds {string.Join("; ", untrained.Select(v => $"value {v.ToString(CultureInfo.InvariantCulture)} (found in {Where(v)})"))}, so no model can learn that label. " +
                "Add training masks with it, or set those pixels to 0 in the other split folders.");
        }

        var notes = new List<string>
        {
            $"the data come split into {string.Join(", ", parts.Select(p => $"{p.Name}/ ({p.Data.Items.Count} pairs)"))}: that split is kept.",
        };
        foreach (var missing in new[] { SplitNames.Val, SplitNames.Test }.Where(s => parts.All(p => p.Split != s)))
            notes.Add($"no '{missing}' folder: the {missing} split is drawn (seeded) from {train.Name}/.");
        foreach (var p in parts.Where(p => p.Split != SplitNames.Train))
        {
            var absent = values.Where(v => !p.Data.Segmentation!.Values.Contains(v)).ToList();
            if (absent.Count > 0)
                notes.Add($"no mask in {p.Name}/ holds {(values.Count == 1 ? "the foreground" : string.Join(", ", absent.Select(v => $"label {v.ToString(CultureInfo.InvariantCulture)}")))}: its {p.Split} metrics cannot be measured there.");
        }
        foreach (var p in parts)
            foreach (var note in p.Data.Notes) notes.Add($"{p.Name}/: {note}");

        var items = new List<DataItem>();
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var official = new Dictionary<string, string>(StringComparer.Ordinal);
        var masks = new Dictionary<string, MaskLocation>(StringComparer.Ordinal);
        var regions = withRegion.Count > 0 ? new Dictionary<string, MaskLocation>(StringComparer.Ordinal) : null;
        var partOf = new Dictionary<string, (Dataset Data, DataItem Item)>(StringComparer.Ordinal);
        foreach (var (name, split, data) in parts)
        {
            foreach (var item in data.Items)
            {
                // Ids stay relative to the root, so later steps (which load an image by id) need not know of split folders.
                var id = name + "/" + item.Id;
                items.Add(item with { Id = id, Group = item.Group is null ? null : name + "/" + item.Group });
                files[id] = data.FilePath(item) ?? Path.Combine(root, name, item.Id);
                official[id] = split;
                partOf[id] = (data, item);
                masks[id] = data.Segmentation!.Location(item.Id);
                if (regions is not null) regions[id] = data.Segmentation!.RegionLocation(item.Id)!;
            }
        }
        items.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));

        if (parts.Select(p => p.Data.Segmentation!.Summary.SliceAxis).OfType<int>().Distinct().Count() > 1)
            throw new ClinforgeException($"{root}: the split folders' volumes would be cut along different axes ({string.Join(", ", parts.Where(p => p.Data.Segmentation!.Summary.SliceAxis is not null).Select(p => $"{p.Name}/: {NiftiVolume.AxisName(p.Data.Segmentation!.Summary.SliceAxis!.Value)}"))}), because their voxel sizes differ. Resample them to one voxel size and orientation.");
        var summary = Join(parts.Select(p => (p.Name, p.Data.Segmentation!.Summary)).ToList(), values, regions is not null);
        // Each split folder's own loader: it knows which ids are slices of a volume.
        return new Dataset("segmentation", root, ["image"], items, id => partOf[id].Data.Load(partOf[id].Item), files, official, notes: notes)
        {
            Segmentation = new SegmentationMasks(masks, regions, values, summary),
        };
    }

    /// <summary>The split folders under <paramref name="root"/>, checked: nothing else beside them, one folder per split, a train folder, each holding a pair layout.</summary>
    private static List<(string Dir, string Name, string Split)> SplitFolders(string root)
    {
        var subfolders = ImageFiles.VisibleSubfolders(root);
        var splitNames = subfolders.Select(d => Path.GetFileName(d)).Where(n => FolderReader.SplitOf(n) is not null).ToList();
        var others = subfolders.Where(d => FolderReader.SplitOf(Path.GetFileName(d)) is null).ToList();
        if (others.Count > 0)
        {
            // A stray folder beside split folders is most often a split under another name (or a second copy):
            // guessing where its pairs belong could leak test images into training.
            throw new ClinforgeException(
                $"{others[0]}: '{Path.GetFileName(others[0])}' is not a split folder, yet it sits beside {string.Join(", ", splitNames.Select(n => n + "/"))}{(others.Count > 1 ? $" (so do {string.Join(", ", others.Skip(1).Select(d => Path.GetFileName(d) + "/"))})" : "")}. " +
                "A dataset split into folders holds only train/ (training/), val/ (valid/, validation/) and test/ (testing/); rename the folder to one of those, or move it out.");
        }
        // Train, val, test: the order people read them in, for the notes and the summary.
        string[] order = [SplitNames.Train, SplitNames.Val, SplitNames.Test];
        var folders = subfolders.Select(d => (Dir: d, Name: Path.GetFileName(d), Split: FolderReader.SplitOf(Path.GetFileName(d))!))
            .OrderBy(f => Array.IndexOf(order, f.Split)).ThenBy(f => f.Name, StringComparer.Ordinal).ToList();
        foreach (var twice in folders.GroupBy(f => f.Split).Where(g => g.Count() > 1))
            throw new ClinforgeException($"{root}: two folders stand for the '{twice.Key}' split ({string.Join(", ", twice.Select(f => f.Name + "/"))}). Keep one.");
        if (folders.All(f => f.Split != SplitNames.Train))
            throw new ClinforgeException($"{root}: split folders {string.Join(", ", folders.Select(f => f.Name + "/"))} but no train/ (training/) folder: a model needs training pairs. Add one, or put all pairs in one folder to have them split.");
        foreach (var f in folders.Where(f => !SegmentationReader.LooksUnsplit(f.Dir)))
            throw new ClinforgeException(WhyNotPairs(f.Dir));
        return folders;
    }

    /// <summary>What is wrong with a split folder that holds none of the pair layouts, in words that say what to add.</summary>
    private static string WhyNotPairs(string dir)
    {
        var images = Path.Combine(dir, "images");
        if (!Directory.Exists(images))
        {
            return ImageFiles.EnumerateImages(dir).Count == 0
                ? $"{dir}: this split folder holds no images. Put its pairs in images/ beside masks/ (or one folder per case with an image and a mask), or remove it."
                : $"{dir}: no images/ folder beside a folder of masks, nor one folder per case with an image and a mask (named like image.png and mask.png). Every split folder needs one of these layouts.";
        }
        var labels = Path.Combine(dir, "labels");
        if (Directory.Exists(labels) && Directory.EnumerateFiles(labels, "*.txt").Any())
            return $"{labels}: holds text files (boxes, the detection layout) where a segmentation split needs mask images. Give {Path.GetFileName(dir)}/ a folder of masks like the other split folders.";
        var emptyMaskFolder = SegmentationReader.MaskFolders.Select(n => Path.Combine(dir, n)).FirstOrDefault(Directory.Exists);
        if (emptyMaskFolder is not null)
            return $"{emptyMaskFolder}: holds no mask images, so the images in {images} have no masks. Every split folder needs the masks of its images.";
        return $"{dir}: images/ but no folder of masks beside it ({string.Join(", ", SegmentationReader.MaskFolders.Take(5).Select(n => n + "/"))}, …). Every split folder needs the masks of its images, the test folder included: they are what the model is scored on.";
    }

    /// <summary>One summary for the joined splits, computed from each split's own (means weighted by pairs; a label a split lacks covers 0% of its images).</summary>
    private static SegmentationSummary Join(List<(string Name, SegmentationSummary Summary)> parts, List<int> values, bool regionOfInterest)
    {
        int pairs = parts.Sum(p => p.Summary.Pairs);
        var labels = values.Select(v =>
        {
            var found = parts.Select(p => (p.Summary.Pairs, Stats: p.Summary.Labels.FirstOrDefault(l => l.Value == v))).ToList();
            string name = values.Count == 1 ? "foreground" : $"label {v.ToString(CultureInfo.InvariantCulture)}";
            return new SegmentationLabelStats(name, v,
                found.Sum(f => (f.Stats?.MeanFraction ?? 0) * f.Pairs) / pairs,
                found.Min(f => f.Stats?.MinFraction ?? 0),
                found.Max(f => f.Stats?.MaxFraction ?? 0),
                found.Sum(f => f.Stats?.Images ?? 0),
                // Pairs-weighted over the splits that measured it (each split pools its own masks).
                found.Where(f => f.Stats?.MeanWidth is not null).Sum(f => f.Pairs) is int measured and > 0
                    ? found.Where(f => f.Stats?.MeanWidth is not null).Sum(f => f.Stats!.MeanWidth!.Value * f.Pairs) / measured
                    : null);
        }).ToList();
        var layouts = parts.Select(p => p.Summary.Layout).Distinct(StringComparer.Ordinal).ToList();
        var layout = layouts.Count == 1
            ? $"{string.Join(", ", parts.Select(p => p.Name + "/"))}, each holding {layouts[0]}"
            : string.Join("; ", parts.Select(p => $"{p.Name}/ holding {p.Summary.Layout}"));
        return new SegmentationSummary
        {
            Pairs = pairs, Layout = layout, MaskKind = values.Count == 1 ? "binary" : "label map", RegionOfInterest = regionOfInterest, Labels = labels,
            EmptyMasks = parts.Sum(p => p.Summary.EmptyMasks),
            Volumes = parts.Sum(p => p.Summary.Volumes),
            Slicing = parts.Select(p => p.Summary.Slicing).OfType<string>().FirstOrDefault(),
            SliceAxis = parts.Select(p => p.Summary.SliceAxis).FirstOrDefault(a => a is not null),
        };
    }
}
