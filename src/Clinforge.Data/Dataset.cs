using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// An opened labelled image dataset: its classes, its items (with stable ids), the official split when
/// the source has one, the files that could not be read, and a thread-safe way to load an item's pixels.
/// Open one with <see cref="DatasetReader.Open(string)"/>.
/// </summary>
public sealed class Dataset
{
    private readonly Func<string, RawImage> _load;
    private readonly IReadOnlyDictionary<string, string>? _files;
    private readonly HashSet<string> _ids;

    internal Dataset(
        string format,
        string source,
        IReadOnlyList<string> classes,
        IReadOnlyList<DataItem> items,
        Func<string, RawImage> load,
        IReadOnlyDictionary<string, string>? files = null,
        IReadOnlyDictionary<string, string>? officialSplit = null,
        string? groupColumn = null,
        IReadOnlyList<UnreadableFile>? unreadable = null,
        IReadOnlyList<string>? notes = null)
    {
        Format = format;
        Source = source;
        Classes = classes;
        Items = items;
        _load = load;
        _files = files;
        OfficialSplit = officialSplit;
        GroupColumn = groupColumn;
        Unreadable = unreadable ?? [];
        Notes = notes ?? [];
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!known.Add(item.Id)) throw new InvalidOperationException($"duplicate item id '{item.Id}'");
            if (item.Label < 0 || item.Label >= classes.Count) throw new InvalidOperationException($"item '{item.Id}' has label {item.Label}, outside 0..{classes.Count - 1}");
        }
        _ids = known;
    }

    /// <summary>folder | csv | npz | memory.</summary>
    public string Format { get; }

    /// <summary>Absolute path of the folder, CSV file or .npz file.</summary>
    public string Source { get; }

    /// <summary>Class names; a label is an index into this list.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Readable items in a stable order (ordinal by id for files; split then index for npz).</summary>
    public IReadOnlyList<DataItem> Items { get; }

    /// <summary>Item id → train | val | test, when the source comes split (npz, or train/val/test folders); else null.</summary>
    public IReadOnlyDictionary<string, string>? OfficialSplit { get; }

    /// <summary>CSV column whose value groups items (patient, lesion); items of a group never straddle splits.</summary>
    public string? GroupColumn { get; }

    /// <summary>Files skipped when the dataset was opened because they could not be decoded; not in <see cref="Items"/>.</summary>
    public IReadOnlyList<UnreadableFile> Unreadable { get; }

    /// <summary>What the reader decided or skipped that a person should know (e.g. which CSV column is the label).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The CSV's column names when the labels came from a CSV; else empty. (Names only: the parser may send them to an LLM.)</summary>
    public IReadOnlyList<string> Columns { get; internal set; } = [];

    /// <summary>Per item id, the CSV's other columns (not image, label or group) → cell text; empty without a CSV.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Metadata { get; internal set; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();
    /// <summary>For DICOM and NIfTI input: what the data card says about formats, windowing, slicing and dropped identifiers; else null.</summary>
    public ImagingSummary? Imaging { get; internal set; }

    /// <summary>For detection datasets: boxes or image-level labels per item, the label format and the source class names; else null.</summary>
    public DetectionAnnotations? Detection { get; internal set; }

    /// <summary>The masks of a segmentation dataset (image/mask pairs); null for other datasets.</summary>
    public SegmentationMasks? Segmentation { get; internal set; }

    /// <summary>Decodes an item's pixels. Safe to call from many threads at once.</summary>
    public RawImage Load(DataItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_ids.Contains(item.Id))
        {
            throw new ClinforgeException($"{Source}: no item '{item.Id}' in this dataset. The splits may belong to another version of the data; rerun the data step.");
        }
        return _load(item.Id);
    }

    /// <summary>The absolute file behind an item, or null when the pixels live inside an array file (npz) or memory.</summary>
    public string? FilePath(DataItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return _files is not null && _files.TryGetValue(item.Id, out var path) ? path : null;
    }

    /// <summary>
    /// This dataset with some classes merged (task_spec.json's class_groups: target name → the data's
    /// class names). Every class of the data must fall in exactly one target; target classes keep the
    /// order given. Pixels and ids are unchanged, so later steps can load images through the original.
    /// </summary>
    public Dataset Grouped(IReadOnlyDictionary<string, IReadOnlyList<string>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0) return this;
        var target = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = groups.Keys.ToList();
        for (int t = 0; t < names.Count; t++)
        foreach (var member in groups[names[t]])
        {
            if (!Classes.Contains(member))
                throw new ClinforgeException($"{Source}: class_groups names '{member}', which is not a class of this data ({string.Join(", ", Classes)}). Fix class_groups in the answers or task_spec.json.");
            if (!target.TryAdd(member, t))
                throw new ClinforgeException($"{Source}: class_groups puts '{member}' in two groups ('{names[target[member]]}' and '{names[t]}'); each class belongs to one.");
        }
        var missing = Classes.Where(c => !target.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new ClinforgeException($"{Source}: class_groups leaves out {string.Join(", ", missing.Select(m => $"'{m}'"))}; every class of the data must belong to one group.");
        var items = Items.Select(i => i with { Label = target[Classes[i.Label]] }).ToList();
        var merged = groups.Where(g => g.Value.Count > 1).Select(g => $"{g.Key} = {string.Join(" + ", g.Value)}");
        return new Dataset(Format, Source, names, items, _load, _files, OfficialSplit, GroupColumn, Unreadable,
            [.. Notes, $"classes grouped as the request asked: {string.Join("; ", merged)}"]) { Columns = Columns, Metadata = Metadata, Imaging = Imaging };
    }

    /// <summary>
    /// A dataset over images already in memory (Format "memory"): for tests and generated data. Items and
    /// images correspond by position.
    /// </summary>
    public static Dataset InMemory(
        string source,
        IReadOnlyList<string> classes,
        IReadOnlyList<DataItem> items,
        IReadOnlyList<RawImage> images,
        IReadOnlyDictionary<string, string>? officialSplit = null,
        string? groupColumn = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(images);
        if (items.Count != images.Count) throw new ArgumentException($"{items.Count} items but {images.Count} images", nameof(images));
        var byId = new Dictionary<string, RawImage>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++) byId[items[i].Id] = images[i];
        return new Dataset("memory", source, classes, items, id => byId[id], officialSplit: officialSplit, groupColumn: groupColumn);
    }

    /// <summary>
    /// A detection dataset over images in memory (tests, generated data): image-level classes are
    /// <see cref="DetectionReader.ImageClasses"/>, and each item's label follows its annotation.
    /// </summary>
    public static Dataset InMemoryDetection(string source, IReadOnlyList<string> ids, IReadOnlyList<RawImage> images,
        IReadOnlyList<DetectionLabel> labels, IReadOnlyList<string> sourceClasses, IReadOnlyDictionary<string, string>? officialSplit = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(labels);
        var items = ids.Select((id, i) => new DataItem(id, labels[i].Positive ? 1 : 0)).ToList();
        var byId = new Dictionary<string, RawImage>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++) byId[ids[i]] = images[i];
        return new Dataset("memory", source, DetectionReader.ImageClasses, items, id => byId[id], officialSplit: officialSplit)
        {
            // Labels as given (class indices into sourceClasses) are the source labels; merged, every box is class 0.
            Detection = new DetectionAnnotations("memory", sourceClasses,
                ids.Select((id, i) => (id, labels[i])).ToDictionary(x => x.id, x => x.Item2 with { Boxes = x.Item2.Boxes.Select(b => b with { Class = 0 }).ToList() }, StringComparer.Ordinal),
                ids.Select((id, i) => (id, labels[i])).ToDictionary(x => x.id, x => x.Item2, StringComparer.Ordinal)),
        };
    }
}
