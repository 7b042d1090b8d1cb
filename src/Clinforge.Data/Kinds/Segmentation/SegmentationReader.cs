using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Reads image/mask pairs for segmentation: a folder of images beside a folder of masks
/// (<c>images/</c> + <c>masks/</c>, <c>labels/</c> of images, <c>annotations/</c>, <c>gt/</c>, DRIVE's
/// <c>1st_manual/</c>), optionally with a folder of region-of-interest masks (<c>roi/</c>, <c>fov/</c>, or
/// DRIVE's <c>mask/</c> beside another mask folder). A mask is found by its image's name, with or
/// without the usual suffixes (<c>_mask</c>, <c>_manual1</c>, <c>_segmentation</c>, <c>_training</c> …).
/// Masks are binary (0 and one value) or label maps (0 = background, one small integer per label), one
/// grey channel, the size of their image. Every mask is read once here: a wrong size, a colour mask, a
/// value outside the label set or an image without a mask is refused with the file named. A root of
/// train/val/test folders, each holding one of these layouts, is read as the data's own split.
/// </summary>
public static class SegmentationReader
{
    /// <summary>Folder names that hold masks (labels).</summary>
    public static readonly IReadOnlyList<string> MaskFolders = ["masks", "mask_images", "1st_manual", "manual", "annotations", "gt", "ground_truth", "groundtruth", "segmentations", "labels"];

    /// <summary>Folder names that hold region-of-interest masks ("mask" counts only beside another mask folder, as in DRIVE).</summary>
    public static readonly IReadOnlyList<string> RegionFolders = ["roi", "fov", "field_of_view", "mask"];

    /// <summary>Most label values a label map may hold; more means the file is a picture, not a label map.</summary>
    public const int MaxLabels = 32;

    private static readonly string[] s_suffixes = ["_training", "_train", "_test", "_manual1", "_manual2", "_manual", "_masks", "_mask", "_segmentation", "_seg", "_labels", "_label", "_gt", "_fov", "_roi"];

    /// <summary>
    /// Whether <paramref name="folder"/> holds images beside a folder of mask images, or one folder per case with an image and a mask,
    /// or train/val/test folders each holding one of those (see <see cref="SegmentationSplitReader"/>).
    /// </summary>
    public static bool Looks(string folder) => LooksUnsplit(folder) || SegmentationSplitReader.Looks(folder);

    /// <summary>Whether <paramref name="folder"/> itself holds one of the pair layouts (not split folders).</summary>
    internal static bool LooksUnsplit(string folder) => Layout(folder) is not null || LooksPerCase(folder);

    private static (string Images, string Masks, string? Regions)? Layout(string folder)
    {
        var images = Path.Combine(folder, "images");
        if (!Directory.Exists(images)) return null;
        var subfolders = ImageFiles.VisibleSubfolders(folder).Select(Path.GetFileName).OfType<string>().ToList();
        string? Find(IEnumerable<string> names) => names.FirstOrDefault(n => subfolders.Contains(n, StringComparer.OrdinalIgnoreCase)) is { } n
            ? subfolders.First(s => s.Equals(n, StringComparison.OrdinalIgnoreCase)) : null;
        // labels/ of YOLO text files is detection, not segmentation.
        var maskName = Find(MaskFolders.Where(n => n != "labels" || HoldsImagesOnly(Path.Combine(folder, n))));
        var regionName = Find(RegionFolders);
        if (maskName is null)
        {
            // DRIVE's layout without 1st_manual, or images/ + mask/ alone: mask/ holds the labels.
            if (regionName is null || !regionName.Equals("mask", StringComparison.OrdinalIgnoreCase)) return null;
            return (images, Path.Combine(folder, regionName), null);
        }
        if (ImageFiles.EnumerateImages(Path.Combine(folder, maskName)).Count == 0) return null;
        return (images, Path.Combine(folder, maskName), regionName is null ? null : Path.Combine(folder, regionName));
    }

    private static bool HoldsImagesOnly(string dir) =>
        Directory.Exists(dir) && !Directory.EnumerateFiles(dir, "*.txt").Any() && ImageFiles.EnumerateImages(dir).Count > 0;

    /// <summary>
    /// Fewest image volumes for which slices are split volume by volume (a patient-level split). With
    /// fewer, whole volumes cannot fill train, validation and test, so neighbouring slices are kept
    /// together in slabs instead and the data card says that test slices come from the same subjects.
    /// </summary>
    public const int MinVolumesForVolumeSplit = 8;

    /// <summary>About this many slabs are cut from each volume when slices are split by slab.</summary>
    private const int SlabsPerVolume = 12;

    /// <summary>One image (a 2-D file, or one slice of a volume) with where its mask and region come from.</summary>
    private sealed record Entry(string Id, string Image, int Slice, MaskLocation Mask, MaskLocation? Region, string? Volume);

    /// <summary>Reads the pairs at <paramref name="root"/>; every mask is checked.</summary>
    public static Dataset Read(string root)
    {
        root = Path.GetFullPath(root);
        if (!LooksUnsplit(root) && SegmentationSplitReader.Looks(root)) return SegmentationSplitReader.Read(root);
        var (images, maskOfImage, regionOfImage, masksDir, _, layout, orphans) = Layout(root) is { } folders
            ? FolderPairs(root, folders.Images, folders.Masks, folders.Regions)
            : CasePairs(root);
        var notes = new List<string>();
        if (orphans > 0) notes.Add($"{orphans} mask(s) in {Path.GetFileName(masksDir)}/ have no image and are ignored.");
        var volumes = new Dictionary<string, NiftiVolume>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        string? slicing = null;
        int? sliceAxis = null;
        var maskOf = new Dictionary<string, MaskLocation>(StringComparer.Ordinal);
        var regionOf = regionOfImage is null ? null : new Dictionary<string, MaskLocation>(StringComparer.Ordinal);
        // Per image only what the card needs (pixels counted, pixels of each value, empty or not), so a
        // folder of large volumes never holds every mask at once.
        var read = new List<MaskCounts>();
        var values = new SortedSet<int>();
        for (int i = 0; i < images.Count; i++)
        {
            var id = Path.GetRelativePath(root, images[i]).Replace('\\', '/');
            var pair = Pair(id, images[i], maskOfImage[i], regionOfImage?[i], volumes, ref slicing, ref sliceAxis);
            foreach (var e in pair.Entries)
            {
                var mask = Values(e.Mask, pair.Size, e.Image, volumes);
                int[]? region = null;
                if (e.Region is { } r)
                {
                    region = Values(r, pair.Size, e.Image, volumes);
                    regionOf![e.Id] = r;
                }
                maskOf[e.Id] = e.Mask;
                var counts = MaskCounts.Of(mask, region, pair.Size.Width);
                foreach (var v in counts.Hits.Keys) if (v != 0) values.Add(v);
                if (values.Count > MaxLabels)
                    throw new ClinforgeException(e.Mask.IsSlice
                        ? $"{e.Mask.File}: the label map holds more than {MaxLabels} different values ({string.Join(", ", values.Take(8))} …); at most {MaxLabels} labels are outlined. Merge labels into the structures you want outlined first."
                        : $"{e.Mask.File}: the masks hold more than {MaxLabels} different values ({string.Join(", ", values.Take(8))} …): this reads as a picture, not a label map. Save masks as PNG with 0 for background and one integer (or 255) per label; JPEG blurs the values.");
                read.Add(counts);
            }
            entries.AddRange(pair.Entries);
            // This pair's decoded label map (and region) is done with: the masks object reads slices again when asked.
            volumes.Clear();
        }
        if (values.Count == 0) throw new ClinforgeException($"{masksDir}: every mask is empty (all 0): there is nothing to outline.");
        var labelValues = values.ToList();
        int volumeCount = entries.Select(e => e.Volume).OfType<string>().Distinct(StringComparer.Ordinal).Count();
        var groups = Groups(entries, volumeCount, notes);
        var summary = Summarise(read, labelValues, regionOfImage is not null, layout) with
        {
            Volumes = volumeCount,
            SliceAxis = sliceAxis,
            Slicing = volumeCount == 0 ? null : slicing + "; " + (volumeCount >= MinVolumesForVolumeSplit
                ? "slices of one volume stay in one split"
                : $"only {volumeCount} volume(s), so slices are split in slabs of neighbouring slices"),
        };
        if (summary.EmptyMasks > 0) notes.Add($"{summary.EmptyMasks} mask(s) are empty (no foreground): images without the structure, which teach the model where it is absent.");
        string[] classes = ["image"];
        var sliceOf = entries.Where(e => e.Slice >= 0).ToDictionary(e => e.Id, e => (e.Image, e.Slice), StringComparer.Ordinal);
        var fileOf = entries.ToDictionary(e => e.Id, e => e.Image, StringComparer.Ordinal);
        RawImage Load(string id) => sliceOf.TryGetValue(id, out var at) ? MedicalFiles.LoadSlice(at.Image, at.Slice) : ImageDecoder.Decode(fileOf[id]);
        var ds = new Dataset("segmentation", root, classes, entries.Select(e => new DataItem(e.Id, 0, groups.GetValueOrDefault(e.Id))).ToList(),
            Load, fileOf, notes: notes);
        ds.Segmentation = new SegmentationMasks(maskOf, regionOf, labelValues, summary);
        return ds;
    }

    /// <summary>
    /// The entries of one image/mask pair with the size of each image: one entry for a 2-D image (or a
    /// one-frame DICOM), one per slice for a NIfTI volume with a NIfTI label map on the same voxel grid.
    /// </summary>
    private static (List<Entry> Entries, (int Width, int Height) Size) Pair(string id, string image, string mask, string? region,
        Dictionary<string, NiftiVolume> volumes, ref string? slicing, ref int? sliceAxis)
    {
        if (NiftiReader.IsNiftiName(image))
        {
            if (!NiftiReader.IsNiftiName(mask))
                throw new ClinforgeException($"{mask}: its image {image} is a NIfTI volume, so its mask must be a NIfTI label map (.nii or .nii.gz) on the same voxel grid.");
            if (region is not null && !NiftiReader.IsNiftiName(region))
                throw new ClinforgeException($"{region}: its image {image} is a NIfTI volume, so its region of interest must be a NIfTI volume (.nii or .nii.gz) on the same voxel grid.");
            var volume = NiftiReader.Read(image);
            if (volume.IsColour) throw new ClinforgeException($"{image}: a colour (RGB) volume; segmentation reads grey-value volumes.");
            var (axis, reason) = volume.ChooseSliceAxis();
            // One model sees one kind of slice: volumes whose voxel sizes point to different slicing axes would mix them.
            if (sliceAxis is { } first && first != axis)
                throw new ClinforgeException($"{image}: this volume would be cut into {NiftiVolume.AxisName(axis)} slices ({reason}) but the volumes before it into {NiftiVolume.AxisName(first)} slices. Resample the volumes to one voxel size and orientation so that every slice is of one kind.");
            sliceAxis = axis;
            volumes[mask] = LabelVolume(mask, volume);
            if (region is not null) volumes[region] = LabelVolume(region, volume);
            int count = volume.SliceCount(axis);
            slicing ??= $"{NiftiVolume.AxisName(axis)} slices: {reason}";
            int digits = Math.Max(3, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
            var entries = Enumerable.Range(0, count).Select(s => new Entry($"{id}#{s.ToString(new string('0', digits), CultureInfo.InvariantCulture)}", image, s,
                new MaskLocation(mask, axis, s), region is null ? null : new MaskLocation(region, axis, s), id)).ToList();
            return (entries, volume.PlaneSize(axis));
        }
        foreach (var other in new[] { mask, region }.OfType<string>())
        {
            if (MedicalFiles.IsMedical(other))
                throw new ClinforgeException($"{other}: a DICOM or NIfTI mask for the 2-D image {image}; save the mask as a PNG (0 for background, one value per label), or give the image as a NIfTI volume with a NIfTI label map.");
        }
        if (MedicalFiles.IsDicom(image))
        {
            var source = MedicalFiles.Open(image);
            if (source.Slices != 1)
                throw new ClinforgeException($"{image}: a DICOM file with {source.Slices} frames; segmentation reads one-frame DICOM images with a 2-D mask image (PNG), or NIfTI volumes with NIfTI label maps.");
            return ([new Entry(id, image, 0, new MaskLocation(mask), region is null ? null : new MaskLocation(region), null)], (source.Width, source.Height));
        }
        return ([new Entry(id, image, -1, new MaskLocation(mask), region is null ? null : new MaskLocation(region), null)], ImageSize(image));
    }

    /// <summary>Reads a label map (or region) volume and checks that it lies on its image's voxel grid and holds whole, non-negative numbers.</summary>
    private static NiftiVolume LabelVolume(string path, NiftiVolume image)
    {
        var labels = NiftiReader.Read(path);
        if (labels.IsColour) throw new ClinforgeException($"{path}: a colour (RGB) volume, not a label map.");
        if (!labels.Dims.SequenceEqual(image.Dims) || labels.OriginalOrientation != image.OriginalOrientation)
            throw new ClinforgeException($"{path}: the label map is {string.Join("x", labels.Dims)} voxels ({labels.OriginalOrientation}) but its image {image.Path} is {string.Join("x", image.Dims)} ({image.OriginalOrientation}); a label map must lie on its image's voxel grid.");
        for (int s = 0; s < labels.Dims[2]; s++)
            for (int a = 0; a < labels.Dims[1]; a++)
                for (int r = 0; r < labels.Dims[0]; r++)
                {
                    float v = labels[r, a, s];
                    if (v < 0 || v != MathF.Round(v))
                        throw new ClinforgeException(string.Create(CultureInfo.InvariantCulture,
                            $"{path}: voxel ({r}, {a}, {s}) holds {v}: a label map holds whole numbers from 0 (0 = background); this looks like an image or a probability map."));
                }
        return labels;
    }

    /// <summary>A mask's values, checked against its image's size.</summary>
    private static int[] Values(MaskLocation location, (int Width, int Height) size, string image, Dictionary<string, NiftiVolume> volumes) =>
        location.IsSlice
            ? volumes[location.File].LabelSlice(location.Axis, location.Slice)
            : ReadMask(location.File, size, image).Select(b => (int)b).ToArray();

    /// <summary>
    /// The split group of each slice: its volume when there are enough volumes for a split by volume,
    /// else a slab of neighbouring slices (neighbours are nearly the same picture, so one on each side
    /// of a split would let test measure memory, not outlining). Notes say which and what it means.
    /// </summary>
    private static Dictionary<string, string> Groups(List<Entry> entries, int volumeCount, List<string> notes)
    {
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        if (volumeCount == 0) return groups;
        if (volumeCount >= MinVolumesForVolumeSplit)
        {
            foreach (var e in entries.Where(e => e.Volume is not null)) groups[e.Id] = e.Volume!;
            notes.Add($"{volumeCount} volumes read as 2-D slices; the slices of one volume stay in one split, so test volumes are unseen in training.");
            return groups;
        }
        foreach (var volume in entries.Where(e => e.Volume is not null).GroupBy(e => e.Volume!, StringComparer.Ordinal))
        {
            var slices = volume.OrderBy(e => e.Slice).ToList();
            int slab = Math.Max(3, (int)Math.Ceiling(slices.Count / (double)SlabsPerVolume));
            foreach (var e in slices) groups[e.Id] = string.Create(CultureInfo.InvariantCulture, $"{volume.Key} slab {e.Slice / slab}");
        }
        notes.Add($"Only {volumeCount} volume(s) (fewer than {MinVolumesForVolumeSplit}): slices are split in slabs of neighbouring slices, so the test slices come from the same subject(s) as the training slices. Test scores say how well other slices of these subjects are outlined, not how well a new patient's would be.");
        return groups;
    }

    /// <summary>One grey channel of a mask file, row-major (a grey image decoded as colour must have equal channels).</summary>
    internal static byte[] ReadMask(string path)
    {
        var raw = ImageDecoder.Decode(path);
        if (raw.Channels == 1) return raw.Pixels;
        var grey = new byte[raw.Width * raw.Height];
        for (int p = 0; p < grey.Length; p++)
        {
            byte r = raw.Pixels[p * raw.Channels], g = raw.Pixels[p * raw.Channels + 1], b = raw.Pixels[p * raw.Channels + 2];
            if (r != g || g != b)
                throw new ClinforgeException($"{path}: a colour mask (pixel {p % raw.Width},{p / raw.Width} is {r},{g},{b}); save masks with one grey channel, 0 for background and one value per label.");
            grey[p] = r;
        }
        return grey;
    }

    private static byte[] ReadMask(string path, (int Width, int Height) image, string imagePath)
    {
        var mask = ReadMask(path);
        var size = ImageSize(path);
        if (size != image)
            throw new ClinforgeException($"{path}: the mask is {size.Width}x{size.Height} px but its image {imagePath} is {image.Width}x{image.Height} px; a mask must have its image's size.");
        return mask;
    }

    /// <summary>An image's size from its header (no pixels decoded), or by decoding a format the header reader does not know.</summary>
    private static (int Width, int Height) ImageSize(string path)
    {
        try
        {
            var info = SixLabors.ImageSharp.Image.Identify(path);
            return (info.Width, info.Height);
        }
        catch (Exception e) when (e is SixLabors.ImageSharp.UnknownImageFormatException or SixLabors.ImageSharp.InvalidImageContentException)
        {
            var raw = ImageDecoder.Decode(path);
            return (raw.Width, raw.Height);
        }
    }

    private static SegmentationSummary Summarise(List<MaskCounts> read, List<int> values, bool hasRegion, string layout)
    {
        var stats = new List<SegmentationLabelStats>();
        foreach (var v in values)
        {
            var fractions = read.Select(r => r.Counted == 0 ? 0 : (double)r.Hits.GetValueOrDefault(v) / r.Counted).ToList();
            string name = values.Count == 1 ? "foreground" : $"label {v.ToString(CultureInfo.InvariantCulture)}";
            long area = read.Sum(r => r.Area.GetValueOrDefault(v)), edges = read.Sum(r => r.Edges.GetValueOrDefault(v));
            stats.Add(new SegmentationLabelStats(name, v, fractions.Average(), fractions.Min(), fractions.Max(), fractions.Count(f => f > 0),
                edges > 0 ? 2.0 * area / edges : null));
        }
        return new SegmentationSummary
        {
            Pairs = read.Count, Layout = layout, MaskKind = values.Count == 1 ? "binary" : "label map", RegionOfInterest = hasRegion, Labels = stats,
            EmptyMasks = read.Count(r => r.Empty),
        };
    }

    /// <summary>
    /// One mask's pixels inside its region of interest (all when none), how many hold each value, and whether
    /// the whole mask is 0; and, over the whole mask, each value's pixels and edge pixels (those with a
    /// 4-neighbour of another value), from which the card gives each label's typical width.
    /// </summary>
    private sealed record MaskCounts(long Counted, Dictionary<int, long> Hits, bool Empty, Dictionary<int, long> Area, Dictionary<int, long> Edges)
    {
        public static MaskCounts Of(int[] mask, int[]? region, int width)
        {
            var hits = new Dictionary<int, long>();
            var area = new Dictionary<int, long>();
            var edges = new Dictionary<int, long>();
            long counted = 0;
            bool empty = true;
            int height = mask.Length / Math.Max(1, width);
            for (int p = 0; p < mask.Length; p++)
            {
                int v = mask[p];
                empty &= v == 0;
                if (v != 0)
                {
                    area[v] = area.GetValueOrDefault(v) + 1;
                    int x = p % width, y = p / width;
                    if ((x > 0 && mask[p - 1] != v) || (x < width - 1 && mask[p + 1] != v) || (y > 0 && mask[p - width] != v) || (y < height - 1 && mask[p + width] != v))
                        edges[v] = edges.GetValueOrDefault(v) + 1;
                }
                if (region is not null && region[p] == 0) continue;
                counted++;
                hits[v] = hits.GetValueOrDefault(v) + 1;
            }
            // Values present only outside the region still belong to the label set (they are checked the same way).
            if (region is not null)
                foreach (var v in mask) hits.TryAdd(v, 0);
            return new MaskCounts(counted, hits, empty, area, edges);
        }
    }

    /// <summary>Pairs of the images/ + masks/ layout, matched by name; what the layout is called; masks without an image.</summary>
    private static (List<string> Images, List<string> Masks, List<string>? Regions, string MasksDir, string? RegionsDir, string Layout, int Orphans) FolderPairs(
        string root, string imagesDir, string masksDir, string? regionsDir)
    {
        var images = ImageFiles.EnumerateImages(imagesDir).Order(StringComparer.Ordinal).ToList();
        if (images.Count == 0) throw new ClinforgeException($"{imagesDir}: no images found.");
        var masks = ByKey(ImageFiles.EnumerateImages(masksDir), masksDir);
        var regions = regionsDir is null ? null : ByKey(ImageFiles.EnumerateImages(regionsDir), regionsDir);
        var unpaired = images.Where(i => !masks.ContainsKey(Key(i))).ToList();
        if (unpaired.Count > 0)
            throw new ClinforgeException($"{masksDir}: {unpaired.Count} of {images.Count} image(s) have no mask: {Few(unpaired, imagesDir)}. A mask is found by its image's name, with or without a suffix such as _mask, _manual1 or _segmentation.");
        if (regions is not null && images.Where(i => !regions.ContainsKey(Key(i))).ToList() is { Count: > 0 } noRegion)
            throw new ClinforgeException($"{regionsDir}: {noRegion.Count} of {images.Count} image(s) have no region-of-interest mask: {Few(noRegion, imagesDir)}. Give every image one, or remove the folder to count every pixel.");
        int orphans = masks.Keys.Except(images.Select(Key)).Count();
        return (images, images.Select(i => masks[Key(i)]).ToList(), regions is null ? null : images.Select(i => regions[Key(i)]).ToList(),
            masksDir, regionsDir, Layout(root, imagesDir, masksDir, regionsDir), orphans);
    }

    /// <summary>File names (without extension) that mark a per-case folder's image, mask and region of interest.</summary>
    private static readonly string[] s_caseImages = ["image", "img", "imaging", "scan", "photo", "input"];
    private static readonly string[] s_caseMasks = ["mask", "label", "labels", "seg", "segmentation", "gt", "ground_truth", "manual", "annotation"];
    private static readonly string[] s_caseRegions = ["roi", "fov", "field_of_view", "region"];

    /// <summary>
    /// Whether <paramref name="root"/> holds one folder per case, each with an image named like
    /// <c>image.png</c> and a mask named like <c>mask.png</c> (at least one case complete, every case with an image).
    /// </summary>
    private static bool LooksPerCase(string root)
    {
        var cases = ImageFiles.VisibleSubfolders(root);
        if (cases.Count == 0) return false;
        var picked = cases.Select(c => (Image: Pick(c, s_caseImages), Mask: Pick(c, s_caseMasks))).ToList();
        return picked.All(p => p.Image is not null) && picked.Any(p => p.Mask is not null);
    }

    /// <summary>Pairs of the per-case layout; a case without a mask, or with a region where others have none, is refused.</summary>
    private static (List<string> Images, List<string> Masks, List<string>? Regions, string MasksDir, string? RegionsDir, string Layout, int Orphans) CasePairs(string root)
    {
        if (!LooksPerCase(root)) throw new ClinforgeException($"{root}: no images/ folder beside a folder of masks ({string.Join(", ", MaskFolders)}), nor one folder per case with an image and a mask.");
        var cases = ImageFiles.VisibleSubfolders(root);
        var images = new List<string>();
        var masks = new List<string>();
        var regions = new List<string?>();
        foreach (var c in cases)
        {
            var mask = Pick(c, s_caseMasks) ?? throw new ClinforgeException($"{c}: this case has no mask (a file named {string.Join(", ", s_caseMasks.Take(5))}, … beside its image).");
            images.Add(Pick(c, s_caseImages)!);
            masks.Add(mask);
            regions.Add(Pick(c, s_caseRegions));
        }
        if (regions.Any(r => r is not null) && regions.Select((r, i) => (r, i)).Where(x => x.r is null).ToList() is { Count: > 0 } missing)
            throw new ClinforgeException($"{cases[missing[0].i]}: {missing.Count} of {cases.Count} case(s) have no region-of-interest mask (roi, fov) while others do. Give every case one, or remove them to count every pixel.");
        bool hasRegions = regions.All(r => r is not null);
        return (images, masks, hasRegions ? regions.Select(r => r!).ToList() : null, root, null,
            $"one folder per case ({Path.GetFileName(images[0])} + {Path.GetFileName(masks[0])}{(hasRegions ? " + " + Path.GetFileName(regions[0]!) : "")})", 0);
    }

    /// <summary>The image file directly in <paramref name="dir"/> whose name (without extension) is one of <paramref name="names"/>.</summary>
    private static string? Pick(string dir, string[] names) =>
        Directory.EnumerateFiles(dir).Where(f => ImageFiles.HasImageExtension(f) && !ImageFiles.IsHidden(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal).FirstOrDefault(f => names.Contains(BareName(f)));

    /// <summary>A file's name without its extension (both parts of .nii.gz), lower-case.</summary>
    private static string BareName(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        return name.EndsWith(".nii", StringComparison.Ordinal) ? name[..^4] : name;
    }

    private static string Layout(string root, string images, string masks, string? regions) =>
        $"{Path.GetRelativePath(root, images)}/ with masks in {Path.GetRelativePath(root, masks)}/" + (regions is null ? "" : $" and regions of interest in {Path.GetRelativePath(root, regions)}/");

    private static Dictionary<string, string> ByKey(IEnumerable<string> files, string dir)
    {
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in files.Order(StringComparer.Ordinal))
            if (!byKey.TryAdd(Key(f), f))
                throw new ClinforgeException($"{dir}: {Path.GetFileName(byKey[Key(f)])} and {Path.GetFileName(f)} both match the image named '{Key(f)}'; keep one mask per image.");
        return byKey;
    }

    /// <summary>An image's or mask's name without extension and the usual suffixes, lower-case: what pairs them.</summary>
    public static string Key(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        if (name.EndsWith(".nii", StringComparison.Ordinal)) name = name[..^4];
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var s in s_suffixes)
            {
                foreach (var form in new[] { s, s.Replace('_', '-') })
                {
                    if (name.Length > form.Length && name.EndsWith(form, StringComparison.Ordinal))
                    {
                        name = name[..^form.Length];
                        changed = true;
                    }
                }
            }
        }
        return name;
    }

    private static string Few(IReadOnlyList<string> files, string dir) =>
        string.Join(", ", files.Take(5).Select(f => Path.GetRelativePath(dir, f))) + (files.Count > 5 ? $" and {files.Count - 5} more" : "");
}
