using System.Globalization;
using System.Text.Json;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Boxes or image-level labels per item of a detection dataset, the label format found and the class
/// names as the data spells them (e.g. data.yaml). In <see cref="Labels"/> every source class maps to
/// detection class 0 (one "finding" class; the request decides its name: "fractures" gets
/// one fracture class). <see cref="SourceLabels"/> keeps each box's source class index (into
/// <see cref="SourceClasses"/>), for a detector that keeps the data's classes apart (<see cref="LabelsFor"/>).
/// </summary>
public sealed record DetectionAnnotations(string LabelFormat, IReadOnlyList<string> SourceClasses, IReadOnlyDictionary<string, DetectionLabel> Labels,
    IReadOnlyDictionary<string, DetectionLabel>? SourceLabels = null)
{
    /// <summary>
    /// The labels with each box's class set to its index in <paramref name="classes"/> (the recipe's
    /// class list), matched by source class name; with fewer than two classes, <see cref="Labels"/>
    /// (every box class 0). A box whose source class is not in the list is an error naming the class.
    /// </summary>
    public IReadOnlyDictionary<string, DetectionLabel> LabelsFor(IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count <= 1) return Labels;
        var source = SourceLabels ?? Labels;
        var toClass = new int[SourceClasses.Count];
        for (int k = 0; k < SourceClasses.Count; k++) toClass[k] = classes.ToList().FindIndex(c => string.Equals(c, SourceClasses[k], StringComparison.OrdinalIgnoreCase));
        var result = new Dictionary<string, DetectionLabel>(source.Count, StringComparer.Ordinal);
        foreach (var (id, label) in source)
        {
            if (label.Boxes.Count == 0) { result[id] = label; continue; }
            var boxes = new List<BoundingBox>(label.Boxes.Count);
            foreach (var b in label.Boxes)
            {
                string name = b.Class >= 0 && b.Class < SourceClasses.Count ? SourceClasses[b.Class] : $"class {b.Class}";
                int k = b.Class >= 0 && b.Class < toClass.Length ? toClass[b.Class] : -1;
                if (k < 0)
                    throw new ClinforgeException($"{id}: a box of class '{name}' is not one of the model's classes ({string.Join(", ", classes)}). Rename the class in the data (data.yaml or COCO categories) to one the model knows.");
                boxes.Add(b with { Class = k });
            }
            result[id] = label with { Boxes = boxes };
        }
        return result;
    }
}

/// <summary>
/// Reads detection datasets: YOLO rows (<c>class cx cy w h</c>), polygon rows (<c>class x1 y1 ... xk yk</c>,
/// k ≥ 3, the box is the min/max of the corners, as in Roboflow's bone-fracture export), COCO JSON, and an
/// image-level label CSV (<c>image_labels.csv</c>: image, label) for images without boxes. An empty label
/// file means no finding (negative). Layouts: <c>images/</c> + <c>labels/</c> (or a COCO .json) at the
/// root or inside train/val/test folders (kept as the official split).
/// </summary>
public static class DetectionReader
{
    /// <summary>Image-level classes of every detection dataset: index 1 = at least one finding.</summary>
    public static readonly IReadOnlyList<string> ImageClasses = ["no finding", "finding"];

    /// <summary>Name of the optional image-level CSV beside the images.</summary>
    public const string ImageLabelCsv = "image_labels.csv";

    /// <summary>Whether <paramref name="folder"/> looks like a detection dataset.</summary>
    public static bool Looks(string folder)
    {
        if (!Directory.Exists(folder)) return false;
        if (IsDetectionRoot(folder)) return true;
        return ImageFiles.VisibleSubfolders(folder).Any(d => FolderReader.SplitOf(Path.GetFileName(d)) is not null && IsDetectionRoot(d));
    }

    private static bool IsDetectionRoot(string dir) =>
        Directory.Exists(Path.Combine(dir, "images"))
        && (Directory.Exists(Path.Combine(dir, "labels")) || CocoFile(dir) is not null || File.Exists(Path.Combine(dir, ImageLabelCsv)));

    private static string? CocoFile(string dir) =>
        Directory.EnumerateFiles(dir, "*.json").Where(f => !ImageFiles.IsHidden(Path.GetFileName(f))).Order(StringComparer.Ordinal)
            .FirstOrDefault(f => { try { using var s = File.OpenRead(f); using var d = JsonDocument.Parse(s); return d.RootElement.ValueKind == JsonValueKind.Object && d.RootElement.TryGetProperty("annotations", out _); } catch (JsonException) { return false; } });

    /// <summary>Reads the detection dataset at <paramref name="root"/>.</summary>
    public static Dataset Read(string root)
    {
        root = Path.GetFullPath(root);
        var splitDirs = ImageFiles.VisibleSubfolders(root).Where(d => FolderReader.SplitOf(Path.GetFileName(d)) is not null && IsDetectionRoot(d)).ToList();
        var parts = splitDirs.Count > 0 ? splitDirs : [root];
        var sourceClasses = ReadClassNames(root);
        var labels = new Dictionary<string, DetectionLabel>(StringComparer.Ordinal);
        var candidates = new List<FileCandidate>();
        var official = splitDirs.Count > 0 ? new Dictionary<string, string>(StringComparer.Ordinal) : null;
        var notes = new List<string>();
        var formats = new HashSet<string>(StringComparer.Ordinal);
        int unlabelled = 0;
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in parts)
        {
            var imageLevel = ReadImageLevelCsv(dir);
            var coco = CocoFile(dir) is { } cocoPath ? ReadCoco(cocoPath, sourceClasses) : null;
            if (coco is not null) formats.Add("coco");
            foreach (var image in ImageFiles.EnumerateImages(Path.Combine(dir, "images"), root, visited))
            {
                var id = ImageFiles.RelativeId(root, image);
                var name = Path.GetFileName(image);
                DetectionLabel? label = null;
                var txt = Path.Combine(dir, "labels", Path.GetRelativePath(Path.Combine(dir, "images"), Path.ChangeExtension(image, ".txt")));
                if (File.Exists(txt))
                {
                    var (boxes, fileFormat) = ReadLabelFile(txt);
                    if (fileFormat is not null) formats.Add(fileFormat);
                    label = DetectionLabel.WithBoxes(boxes);
                }
                else if (coco is not null && coco.TryGetValue(name, out var cocoBoxes))
                {
                    label = DetectionLabel.WithBoxes(cocoBoxes);
                }
                if ((label is null || !label.Positive) && imageLevel.TryGetValue(name, out var positive))
                {
                    // The image-level CSV speaks for images without boxes; a positive there has no boxes drawn.
                    label = positive ? DetectionLabel.ImageLevelPositive : label ?? DetectionLabel.Negative;
                }
                if (label is null) { unlabelled++; continue; }
                labels[id] = label;
                candidates.Add(new FileCandidate(id, image, label.Positive ? 1 : 0));
                if (official is not null) official[id] = FolderReader.SplitOf(Path.GetFileName(dir))!;
            }
        }
        if (candidates.Count == 0)
            throw new ClinforgeException($"{root}: no labelled images found. A detection dataset needs images/ with labels/ (one .txt per image: YOLO 'class cx cy w h' or polygon rows; an empty file = no finding), a COCO .json, or {ImageLabelCsv} (image,label).");
        if (unlabelled > 0) notes.Add($"{unlabelled} images have neither a label file nor a row in {ImageLabelCsv} and were left out (an empty label file marks a negative image).");
        // A detection dataset may lack negatives (every image has a finding): image-level classes need not all occur.
        var ds = FileDatasetBuilder.Build("detection", root, ImageClasses, candidates, official, notes: notes, requireEveryClass: false);
        var kept = ds.Items.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        var format = formats.Count == 0 ? "yolo" : formats.Count == 1 ? formats.First() : "mixed";
        int maxClass = labels.Values.SelectMany(l => l.Boxes).Select(b => b.Class).DefaultIfEmpty(-1).Max();
        // Class ids without a name (no data.yaml, or fewer names than ids) are named by their number.
        for (int k = sourceClasses.Count; k <= maxClass; k++) sourceClasses.Add($"class {k}");
        // All source classes become one detection class (index 0); the source index is kept in
        // SourceLabels for a detector that keeps the classes apart (DetectionAnnotations.LabelsFor).
        var source = labels.Where(kv => kept.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var single = source.ToDictionary(
            kv => kv.Key, kv => kv.Value with { Boxes = kv.Value.Boxes.Select(b => b with { Class = 0 }).ToList() }, StringComparer.Ordinal);
        ds.Detection = new DetectionAnnotations(format, sourceClasses, single, source);
        return ds;
    }

    /// <summary>
    /// Parses one label file: each row is YOLO (<c>class cx cy w h</c>) or a polygon
    /// (<c>class x1 y1 ... xk yk</c>, k ≥ 3). Coordinates are normalised; values a hair outside 0..1
    /// (export rounding, ≤ 0.01) are clamped, others are an error naming the file and line.
    /// </summary>
    public static (List<BoundingBox> Boxes, string? Format) ReadLabelFile(string path)
    {
        var boxes = new List<BoundingBox>();
        string? format = null;
        var lines = File.ReadAllLines(path);
        for (int n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var (box, rowFormat) = ParseRow(line, path, n + 1);
            boxes.Add(box);
            format = format is null || format == rowFormat ? rowFormat : "mixed";
        }
        return (boxes, format);
    }

    /// <summary>Parses one label row; <paramref name="path"/> and <paramref name="lineNumber"/> name it in errors.</summary>
    public static (BoundingBox Box, string Format) ParseRow(string line, string path, int lineNumber)
    {
        var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string Where() => $"{path}, line {lineNumber}";
        if (tokens.Length != 5 && (tokens.Length < 7 || tokens.Length % 2 == 0))
            throw new ClinforgeException($"{Where()}: expected 'class cx cy w h' (YOLO, 5 numbers) or 'class x1 y1 x2 y2 x3 y3 ...' (polygon, an odd count ≥ 7), got {tokens.Length} values: '{Shorten(line)}'.");
        if (!int.TryParse(tokens[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls) || cls < 0)
            throw new ClinforgeException($"{Where()}: the class '{tokens[0]}' is not a non-negative integer.");
        var v = new double[tokens.Length - 1];
        for (int i = 1; i < tokens.Length; i++)
        {
            if (!double.TryParse(tokens[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i - 1]) || !double.IsFinite(v[i - 1]))
                throw new ClinforgeException($"{Where()}: value {i + 1} '{tokens[i]}' is not a number.");
        }
        const double slack = 0.01;
        foreach (var x in v)
        {
            if (x < -slack || x > 1 + slack)
                throw new ClinforgeException($"{Where()}: coordinate {x.ToString(CultureInfo.InvariantCulture)} is outside 0..1; label coordinates must be normalised by the image width and height (pixel coordinates are not accepted).");
        }
        double x1, y1, x2, y2;
        string format;
        if (tokens.Length == 5)
        {
            format = "yolo";
            double cx = v[0], cy = v[1], w = v[2], h = v[3];
            x1 = cx - w / 2; x2 = cx + w / 2; y1 = cy - h / 2; y2 = cy + h / 2;
        }
        else
        {
            format = "polygon";
            x1 = y1 = double.MaxValue; x2 = y2 = double.MinValue;
            for (int i = 0; i < v.Length; i += 2)
            {
                x1 = Math.Min(x1, v[i]); x2 = Math.Max(x2, v[i]);
                y1 = Math.Min(y1, v[i + 1]); y2 = Math.Max(y2, v[i + 1]);
            }
        }
        x1 = Math.Clamp(x1, 0, 1); y1 = Math.Clamp(y1, 0, 1); x2 = Math.Clamp(x2, 0, 1); y2 = Math.Clamp(y2, 0, 1);
        if (x2 - x1 <= 0 || y2 - y1 <= 0)
            throw new ClinforgeException($"{Where()}: the box has no area (width {(x2 - x1).ToString("G3", CultureInfo.InvariantCulture)}, height {(y2 - y1).ToString("G3", CultureInfo.InvariantCulture)}) after clamping to the image.");
        return (new BoundingBox(x1, y1, x2, y2, cls), format);
    }

    /// <summary>
    /// Reads COCO JSON (Lin et al. 2014): images, annotations with <c>bbox</c> [x, y, w, h] in pixels,
    /// categories. Returns file name → boxes (normalised by the image's width and height); an image
    /// without annotations is a negative.
    /// </summary>
    public static Dictionary<string, List<BoundingBox>> ReadCoco(string path, List<string> sourceClasses)
    {
        ArgumentNullException.ThrowIfNull(sourceClasses);
        using var stream = File.OpenRead(path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(stream); }
        catch (JsonException e) { throw new ClinforgeException($"{path}: not valid JSON ({e.Message})."); }
        using var _ = doc;
        var root = doc.RootElement;
        if (!root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
            throw new ClinforgeException($"{path}: a COCO file needs an 'images' array.");
        var byId = new Dictionary<long, (string Name, double W, double H)>();
        var result = new Dictionary<string, List<BoundingBox>>(StringComparer.Ordinal);
        int index = 0;
        foreach (var img in images.EnumerateArray())
        {
            index++;
            if (!img.TryGetProperty("id", out var id) || !img.TryGetProperty("file_name", out var file) || !img.TryGetProperty("width", out var w) || !img.TryGetProperty("height", out var h))
                throw new ClinforgeException($"{path}: images[{index - 1}] needs id, file_name, width and height.");
            var name = Path.GetFileName(file.GetString() ?? "");
            byId[id.GetInt64()] = (name, w.GetDouble(), h.GetDouble());
            result[name] = [];
        }
        var categoryIndex = new Dictionary<long, int>();
        if (root.TryGetProperty("categories", out var cats) && cats.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in cats.EnumerateArray())
            {
                var name = c.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
                int k = sourceClasses.IndexOf(name);
                if (k < 0) { sourceClasses.Add(name); k = sourceClasses.Count - 1; }
                categoryIndex[c.GetProperty("id").GetInt64()] = k;
            }
        }
        index = 0;
        foreach (var a in root.TryGetProperty("annotations", out var anns) ? anns.EnumerateArray() : default)
        {
            index++;
            string Where() => $"{path}, annotations[{index - 1}]";
            if (!a.TryGetProperty("image_id", out var imageId) || !byId.TryGetValue(imageId.GetInt64(), out var info))
                throw new ClinforgeException($"{Where()}: image_id does not name an image of the file.");
            if (!a.TryGetProperty("bbox", out var bbox) || bbox.GetArrayLength() != 4)
                throw new ClinforgeException($"{Where()}: needs bbox [x, y, width, height] in pixels.");
            var b = bbox.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            if (b[2] <= 0 || b[3] <= 0 || b[0] < -1 || b[1] < -1 || b[0] + b[2] > info.W + 1 || b[1] + b[3] > info.H + 1)
                throw new ClinforgeException($"{Where()}: bbox [{string.Join(", ", b.Select(x => x.ToString(CultureInfo.InvariantCulture)))}] is empty or outside the {info.W}x{info.H} image.");
            int cls = a.TryGetProperty("category_id", out var cat) && categoryIndex.TryGetValue(cat.GetInt64(), out var k) ? k : 0;
            result[info.Name].Add(new BoundingBox(Math.Clamp(b[0] / info.W, 0, 1), Math.Clamp(b[1] / info.H, 0, 1),
                Math.Clamp((b[0] + b[2]) / info.W, 0, 1), Math.Clamp((b[1] + b[3]) / info.H, 0, 1), cls));
        }
        return result;
    }

    /// <summary>image_labels.csv: file name → positive; labels 1/0, yes/no, true/false, positive/negative, or a finding name vs none/normal.</summary>
    private static Dictionary<string, bool> ReadImageLevelCsv(string dir)
    {
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        var path = Path.Combine(dir, ImageLabelCsv);
        if (!File.Exists(path)) return result;
        var records = CsvParser.Parse(File.ReadAllText(path), path);
        if (records.Count == 0) return result;
        var header = records[0].Fields.Select(f => f.ToLowerInvariant()).ToList();
        int imageCol = header.FindIndex(h => h is "image" or "file" or "filename" or "file_name" or "path");
        int labelCol = header.FindIndex(h => h is "label" or "finding" or "positive" or "class");
        if (imageCol < 0 || labelCol < 0)
            throw new ClinforgeException($"{path}, line 1: needs an 'image' column and a 'label' column (got {string.Join(", ", records[0].Fields)}).");
        foreach (var r in records.Skip(1))
        {
            if (r.Fields.Length <= Math.Max(imageCol, labelCol))
                throw new ClinforgeException($"{path}, line {r.Line}: expected {header.Count} fields, got {r.Fields.Length}.");
            var value = r.Fields[labelCol].Trim().ToLowerInvariant();
            bool positive = value switch
            {
                "1" or "yes" or "true" or "positive" or "y" => true,
                "0" or "no" or "false" or "negative" or "n" or "none" or "normal" or "no finding" or "" => false,
                _ => true, // a finding's name
            };
            result[Path.GetFileName(r.Fields[imageCol])] = positive;
        }
        return result;
    }

    /// <summary>Class names from data.yaml (<c>names: [a, b]</c>, a list of '- a' lines, or '0: a' lines); empty when absent.</summary>
    public static List<string> ReadClassNames(string root)
    {
        var yaml = new[] { "data.yaml", "dataset.yaml" }.Select(f => Path.Combine(root, f)).FirstOrDefault(File.Exists);
        if (yaml is null) return [];
        var lines = File.ReadAllLines(yaml);
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (!t.StartsWith("names:", StringComparison.Ordinal)) continue;
            var rest = t["names:".Length..].Trim();
            if (rest.StartsWith('['))
                return rest.Trim('[', ']').Split(',').Select(s => s.Trim().Trim('\'', '"')).Where(s => s.Length > 0).ToList();
            var names = new List<string>();
            for (int j = i + 1; j < lines.Length && (lines[j].StartsWith(' ') || lines[j].StartsWith('\t')); j++)
            {
                var item = lines[j].Trim();
                if (item.StartsWith('-')) names.Add(item[1..].Trim().Trim('\'', '"'));
                else if (item.IndexOf(':') is int c and > 0) names.Add(item[(c + 1)..].Trim().Trim('\'', '"'));
            }
            return names;
        }
        return [];
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
