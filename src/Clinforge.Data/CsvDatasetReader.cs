using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// A CSV with one row per image. Finds the image column (values that resolve to image files relative
/// to the CSV's folder, with or without extension), the label column (by name, or one-hot columns, or a
/// column with few distinct values), an optional group column (patient, lesion), unless given, and an
/// optional split column ("split", "subset" or "partition" holding train / val / test): the data's own
/// split, kept as the official one so that a test set built on purpose (another site, a later period,
/// a fixture whose test split breaks a shortcut) stays the test set.
/// </summary>
internal static class CsvDatasetReader
{
    private const int SampleRows = 200;
    private const int MaxClasses = 50;

    private static readonly string[] ImageHints =
        ["image", "imageid", "imagename", "imagepath", "imagefile", "img", "file", "filename", "filepath", "fname", "path", "isicid"];

    // In priority order: the first present wins.
    private static readonly string[] LabelHints =
        ["label", "labels", "class", "classname", "target", "diagnosis", "dx", "finding", "findings", "findinglabels", "category", "outcome", "benignmalignant", "y"];

    private static readonly string[] SplitHints = ["split", "subset", "partition"];

    // Accepted spellings of the three split names, normalised (Normalise) → SplitNames.
    private static readonly Dictionary<string, string> s_splitValues = new(StringComparer.Ordinal)
    {
        ["train"] = SplitNames.Train, ["training"] = SplitNames.Train,
        ["val"] = SplitNames.Val, ["valid"] = SplitNames.Val, ["validation"] = SplitNames.Val, ["dev"] = SplitNames.Val, ["tune"] = SplitNames.Val,
        ["test"] = SplitNames.Test, ["testing"] = SplitNames.Test, ["holdout"] = SplitNames.Test, ["heldout"] = SplitNames.Test,
    };

    private static readonly string[] GroupHints =
        ["patientid", "patient", "lesionid", "subjectid", "subject", "caseid", "case", "participantid", "participant", "groupid", "group"];

    public static Dataset Read(string csvPath, DatasetOptions options)
    {
        string text;
        try
        {
            text = File.ReadAllText(csvPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinforgeException($"{csvPath}: cannot read the file ({e.Message}).");
        }
        var records = CsvParser.Parse(text, csvPath);
        if (records.Count == 0) throw new ClinforgeException($"{csvPath}: the file is empty. It needs a header row (e.g. image,label) and one row per image.");
        var header = records[0].Fields;
        var rows = records.Skip(1).ToList();
        if (rows.Count == 0) throw new ClinforgeException($"{csvPath}: only a header row, no images listed. Add one row per image.");
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Fields.Length > header.Length)
            {
                throw new ClinforgeException($"{csvPath}: row {r + 1} (line {rows[r].Line}) has {rows[r].Fields.Length} fields but the header has {header.Length}. Quote values that contain the delimiter.");
            }
        }

        var baseDir = Path.GetDirectoryName(csvPath)!;
        var resolver = new ImageResolver(baseDir);
        var notes = new List<string>();
        string Cell(CsvRecord row, int col) => col < row.Fields.Length ? row.Fields[col] : "";

        var imageCol = options.ImageColumn is { } ic ? ColumnIndex(csvPath, header, ic, "image") : DetectImageColumn(csvPath, header, rows, resolver, Cell);
        var excluded = new HashSet<int> { imageCol };
        int? groupCol = options.GroupColumn is { } gc ? ColumnIndex(csvPath, header, gc, "group") : FindByHints(header, GroupHints, excluded);
        if (groupCol is { } g) excluded.Add(g);
        int? splitCol = FindByHints(header, SplitHints, excluded);
        if (splitCol is { } sc) excluded.Add(sc);

        // Label per row, as text: from a label column or from one-hot columns.
        Func<CsvRecord, string> labelOf;
        string labelDescription;
        var labelCols = new HashSet<int>();
        if (options.LabelColumn is { } lc)
        {
            var col = ColumnIndex(csvPath, header, lc, "label");
            labelCols.Add(col);
            labelOf = row => Cell(row, col);
            labelDescription = $"column '{header[col]}'";
        }
        else if (FindByHints(header, LabelHints, excluded) is { } hinted)
        {
            labelCols.Add(hinted);
            labelOf = row => Cell(row, hinted);
            labelDescription = $"column '{header[hinted]}'";
        }
        else if (DetectOneHot(header, rows, excluded, Cell) is { Count: >= 2 } oneHot)
        {
            labelCols.UnionWith(oneHot);
            labelOf = row => header[oneHot.First(c => IsOne(Cell(row, c)))];
            labelDescription = $"one-hot columns {string.Join(", ", oneHot.Select(c => header[c]))}";
            notes.Add($"labels read from one-hot columns ({string.Join(", ", oneHot.Select(c => header[c]))}) of {Path.GetFileName(csvPath)}.");
        }
        else
        {
            var guessed = GuessLabelColumn(header, rows, excluded, Cell);
            if (guessed.Count == 0)
            {
                throw new ClinforgeException(
                    $"{csvPath}: no usable label column among {string.Join(", ", header.Select(h => $"'{h}'"))}. " +
                    $"Name the column that holds the classes 'label' (or class, diagnosis, target), or choose it with the label-column option.");
            }
            var col = guessed[0];
            labelCols.Add(col);
            labelOf = row => Cell(row, col);
            labelDescription = $"column '{header[col]}'";
            notes.Add($"label column guessed as '{header[col]}'" + (guessed.Count > 1 ? $" (other candidates: {string.Join(", ", guessed.Skip(1).Select(c => header[c]))})" : "") + "; choose another with the label-column option if this is wrong.");
        }

        // Classes: integers sort numerically (so "2" comes before "10"), anything else ordinally.
        var labelTexts = rows.Select(r => labelOf(r).Trim()).ToList();
        var distinct = labelTexts.Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var classes = distinct.All(l => long.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            ? distinct.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture)).ToList()
            : distinct.Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
        {
            throw new ClinforgeException($"{csvPath}: the labels ({labelDescription}) hold {(classes.Count == 0 ? "no values" : $"only one class ('{classes[0]}')")}. A classifier needs at least two classes; check the label column.");
        }
        if (classes.Count > MaxClasses && options.LabelColumn is null)
        {
            throw new ClinforgeException($"{csvPath}: {labelDescription} has {classes.Count} distinct values, too many to be classes. Choose the label column with the label-column option.");
        }
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);

        var candidates = new List<FileCandidate>(rows.Count);
        var byId = new Dictionary<string, (int Row, int Label)>(StringComparer.Ordinal);
        // Every other column (sex, age, site, scanner...) is kept per image for subgroup analysis.
        var metadataCols = Enumerable.Range(0, header.Length).Where(c => c != imageCol && c != groupCol && c != splitCol && !labelCols.Contains(c))
            .GroupBy(c => header[c].Trim(), StringComparer.Ordinal).Where(g => g.Key.Length > 0).Select(g => g.First()).ToList();
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var officialSplit = splitCol is null ? null : new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var outside = new List<string>();
        int unlabelled = 0, repeated = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var label = labelTexts[r];
            if (label.Length == 0)
            {
                unlabelled++;
                continue;
            }
            var value = Cell(row, imageCol);
            // Confinement first: a row naming a file outside the dataset's folder is refused before its existence is looked at.
            if (resolver.Refusal(value) is { } refusal)
            {
                outside.Add($"row {r + 1} (line {row.Line}) '{value}': {refusal}");
                continue;
            }
            var file = resolver.Resolve(value);
            if (file is null)
            {
                missing.Add($"row {r + 1} (line {row.Line}) '{value}'");
                continue;
            }
            var id = RelativeOrAbsolute(baseDir, file);
            var labelIndex = classIndex[label];
            if (byId.TryGetValue(id, out var earlier))
            {
                if (earlier.Label != labelIndex)
                {
                    throw new ClinforgeException($"{csvPath}: row {earlier.Row} and row {r + 1} (line {row.Line}) name the same image '{id}' with different labels ('{classes[earlier.Label]}', '{label}'). Keep one row per image.");
                }
                repeated++;
                continue;
            }
            byId[id] = (r + 1, labelIndex);
            string? group = groupCol is { } gcol && Cell(row, gcol) is { Length: > 0 } gv ? gv : null;
            candidates.Add(new FileCandidate(id, file, labelIndex, group));
            if (splitCol is { } scol)
            {
                var given = Cell(row, scol).Trim();
                if (!s_splitValues.TryGetValue(Normalise(given), out var splitName))
                {
                    throw new ClinforgeException($"{csvPath}: row {r + 1} (line {row.Line}) has '{given}' in the split column '{header[scol]}'; use train, val or test " +
                        "(also: training, validation, valid, dev, testing, holdout), or rename the column if it is not a split.");
                }
                officialSplit![id] = splitName;
            }
            if (metadataCols.Count > 0) metadata[id] = metadataCols.ToDictionary(c => header[c].Trim(), c => Cell(row, c).Trim(), StringComparer.Ordinal);
        }

        if (outside.Count > 0)
        {
            throw new ClinforgeException(
                $"{csvPath}: {outside.Count} of {rows.Count} rows name a file that may not be read: {string.Join("; ", outside.Take(5))}" +
                (outside.Count > 5 ? $"; and {outside.Count - 5} more" : "") +
                $". Data are read only inside {baseDir}: move the images there and name them relative to it, or (command line) name the other folder with --allow-root DIR.");
        }
        if (missing.Count > 0)
        {
            throw new ClinforgeException(
                $"{csvPath}: {missing.Count} of {rows.Count} rows name an image file that does not exist: {string.Join(", ", missing.Take(5))}" +
                (missing.Count > 5 ? $", and {missing.Count - 5} more" : "") +
                $". Paths in column '{header[imageCol]}' are read relative to {baseDir}; fix them, add the files, or delete those rows.");
        }
        if (unlabelled > 0) notes.Add($"{unlabelled} rows of {Path.GetFileName(csvPath)} have no label and were left out.");
        if (repeated > 0) notes.Add($"{repeated} rows of {Path.GetFileName(csvPath)} repeat an image already listed with the same label; each image is used once.");
        if (groupCol is null)
        {
            notes.Add($"no patient or lesion column in {Path.GetFileName(csvPath)}: if a patient has several images, they may fall in different splits (leakage risk).");
        }

        if (splitCol is { } used)
        {
            var counts = officialSplit!.Values.GroupBy(v => v).ToDictionary(g2 => g2.Key, g2 => g2.Count());
            notes.Add($"split taken from column '{header[used]}' of {Path.GetFileName(csvPath)} ({string.Join(", ", new[] { SplitNames.Train, SplitNames.Val, SplitNames.Test }.Select(n => $"{n} {counts.GetValueOrDefault(n)}"))}); a split it lacks is drawn from train.");
        }
        var dataset = FileDatasetBuilder.Build("csv", csvPath, classes, candidates, officialSplit: officialSplit, groupColumn: groupCol is { } gi ? header[gi] : null, notes: notes);
        // DICOM header columns (per item, slices included) join the CSV's own; the CSV wins where both name a column.
        var headerColumns = dataset.Columns;
        var merged = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var item in dataset.Items)
        {
            int hash = item.Id.LastIndexOf('#');
            var fileId = hash > 0 && !metadata.ContainsKey(item.Id) ? item.Id[..hash] : item.Id;
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            if (dataset.Metadata.TryGetValue(item.Id, out var fromHeader)) foreach (var (k, v) in fromHeader) row[k] = v;
            if (metadata.TryGetValue(item.Id, out var fromCsv) || metadata.TryGetValue(fileId, out fromCsv)) foreach (var (k, v) in fromCsv) row[k] = v;
            if (row.Count > 0) merged[item.Id] = row;
        }
        dataset.Columns = [.. header, .. headerColumns.Where(c => !header.Contains(c, StringComparer.Ordinal))];
        dataset.Metadata = merged;
        return dataset;
    }

    /// <summary>Lowercase letters and digits only, so "Image ID", "image_id" and "ImageId" compare equal.</summary>
    internal static string Normalise(string name) => new(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    private static int ColumnIndex(string csvPath, string[] header, string name, string role)
    {
        for (var i = 0; i < header.Length; i++)
        {
            if (string.Equals(header[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        }
        throw new ClinforgeException($"{csvPath}: no column '{name}' (asked for as the {role} column). Columns: {string.Join(", ", header)}.");
    }

    private static int? FindByHints(string[] header, string[] hints, HashSet<int> excluded)
    {
        var normalised = header.Select(Normalise).ToArray();
        foreach (var hint in hints)
        {
            for (var i = 0; i < header.Length; i++)
            {
                if (!excluded.Contains(i) && normalised[i] == hint) return i;
            }
        }
        return null;
    }

    private static int DetectImageColumn(string csvPath, string[] header, List<CsvRecord> rows, ImageResolver resolver, Func<CsvRecord, int, string> cell)
    {
        var sample = rows.Take(SampleRows).ToList();
        var normalised = header.Select(Normalise).ToArray();
        int best = -1;
        double bestScore = 0;
        for (var c = 0; c < header.Length; c++)
        {
            var values = sample.Select(r => cell(r, c)).Where(v => v.Length > 0).ToList();
            if (values.Count == 0) continue;
            var score = values.Count(v => resolver.Resolve(v) is not null) / (double)values.Count;
            var better = score > bestScore || (score == bestScore && best >= 0 && ImageHints.Contains(normalised[c]) && !ImageHints.Contains(normalised[best]));
            if (better && score > 0)
            {
                best = c;
                bestScore = score;
            }
        }
        if (best >= 0 && bestScore >= 0.5) return best;

        // Nothing resolves well: a column that looks like file names, or is named like one, is still the
        // image column, so the user hears which files are missing rather than that no column was found.
        for (var c = 0; c < header.Length; c++)
        {
            var values = sample.Select(r => cell(r, c)).Where(v => v.Length > 0).ToList();
            if (values.Count > 0 && values.Count(ImageFiles.HasImageExtension) >= values.Count / 2.0) return c;
        }
        foreach (var hint in ImageHints)
        {
            var c = Array.IndexOf(normalised, hint);
            if (c >= 0) return c;
        }
        throw new ClinforgeException(
            $"{csvPath}: no column names image files. Columns: {string.Join(", ", header)}. " +
            $"Add a column 'image' with file names relative to {Path.GetDirectoryName(csvPath)} (e.g. images/case1.png), or choose it with the image-column option.");
    }

    private static bool IsOne(string v) => v.Trim() is "1" or "1.0" or "1.00" or "True" or "true";

    private static bool IsZeroOrOne(string v) => IsOne(v) || v.Trim() is "0" or "0.0" or "0.00" or "False" or "false";

    /// <summary>Columns that together one-hot encode the class: all 0/1, exactly one 1 per row (ISIC-style ground truth).</summary>
    private static List<int> DetectOneHot(string[] header, List<CsvRecord> rows, HashSet<int> excluded, Func<CsvRecord, int, string> cell)
    {
        var cols = Enumerable.Range(0, header.Length).Where(c => !excluded.Contains(c) && rows.All(r => IsZeroOrOne(cell(r, c)))).ToList();
        if (cols.Count < 2) return [];
        // A column that is always 0 (e.g. an "unknown" class never used) is allowed; the rows decide.
        return rows.All(r => cols.Count(c => IsOne(cell(r, c))) == 1) ? cols.Where(c => rows.Any(r => IsOne(cell(r, c)))).ToList() : [];
    }

    /// <summary>Columns with few distinct values that are neither ids nor continuous numbers, in column order.</summary>
    private static List<int> GuessLabelColumn(string[] header, List<CsvRecord> rows, HashSet<int> excluded, Func<CsvRecord, int, string> cell)
    {
        var result = new List<int>();
        for (var c = 0; c < header.Length; c++)
        {
            if (excluded.Contains(c)) continue;
            var name = Normalise(header[c]);
            if (name == "id" || name.EndsWith("id", StringComparison.Ordinal)) continue;
            var values = rows.Select(r => cell(r, c)).Where(v => v.Length > 0).ToList();
            if (values.Count == 0) continue;
            var distinct = values.Distinct(StringComparer.Ordinal).Count();
            if (distinct < 2 || distinct > MaxClasses || distinct >= values.Count) continue;
            var numeric = values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            if (numeric && distinct > 10) continue;
            result.Add(c);
        }
        return result;
    }

    private static string RelativeOrAbsolute(string baseDir, string file)
    {
        var rel = Path.GetRelativePath(baseDir, file);
        return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? file.Replace('\\', '/') : rel.Replace('\\', '/');
    }
}

/// <summary>
/// Finds the file a CSV value names: as a path relative to the CSV's folder (or absolute), with a
/// guessed extension when it has none, or else by file name anywhere below the folder when exactly one
/// file has that name (datasets often keep the images in a subfolder the CSV does not mention).
/// </summary>
internal sealed class ImageResolver(string baseDir)
{
    private Dictionary<string, List<string>>? _byName;
    private Dictionary<string, List<string>>? _byStem;
    private Dictionary<string, string>? _bySop;
    private readonly Lock _lock = new();

    /// <summary>Why the file a value names may not be read (outside the dataset's folder), or null; says nothing about existence.</summary>
    public string? Refusal(string value) => Candidate(value) is { } candidate ? Confinement.Refusal(candidate, baseDir) : null;

    public string? Resolve(string value)
    {
        var v = value.Trim();
        if (Path.DirectorySeparatorChar == '/') v = v.Replace('\\', '/');
        if (Candidate(value) is not { } candidate || Confinement.Refusal(candidate, baseDir) is not null) return null;
        if (File.Exists(candidate)) return candidate;
        var hasExtension = ImageFiles.HasImageExtension(v);
        if (!hasExtension)
        {
            foreach (var ext in ImageFiles.CsvGuessExtensions)
            {
                if (File.Exists(candidate + ext)) return Confinement.Refusal(candidate + ext, baseDir) is null ? candidate + ext : null;
                var upper = candidate + ext.ToUpperInvariant();
                if (File.Exists(upper)) return Confinement.Refusal(upper, baseDir) is null ? upper : null;
            }
        }
        EnsureIndex();
        var name = Path.GetFileName(v);
        if (_byName!.TryGetValue(name, out var byName) && byName.Count == 1) return byName[0];
        if (!hasExtension && _byStem!.TryGetValue(name, out var byStem) && byStem.Count == 1) return byStem[0];
        if (LooksLikeUid(v) && BySopInstanceUid().TryGetValue(v, out var bySop)) return bySop;
        return null;
    }

    /// <summary>A DICOM UID: digits in dot-separated components (PS3.5 9.1), e.g. a SOP Instance UID.</summary>
    private static bool LooksLikeUid(string v) => v.Length is > 2 and <= 64 && v.Contains('.') && v.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>SOP Instance UID → DICOM file below the folder, read from the headers once (only when a CSV names UIDs).</summary>
    private Dictionary<string, string> BySopInstanceUid()
    {
        lock (_lock)
        {
            if (_bySop is not null) return _bySop;
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (GdcmRuntime.Available)
            {
                foreach (var file in ImageFiles.EnumerateImages(baseDir).Where(MedicalFiles.IsDicom))
                {
                    if (DicomReader.ReadSopInstanceUid(file) is { } uid) map.TryAdd(uid, file);
                }
            }
            return _bySop = map;
        }
    }

    /// <summary>The absolute path a value names (relative to the CSV's folder), before any look at the file system; null when it is not a path.</summary>
    private string? Candidate(string value)
    {
        var v = value.Trim();
        if (v.Length == 0) return null;
        if (Path.DirectorySeparatorChar == '/') v = v.Replace('\\', '/');
        try
        {
            return Path.GetFullPath(Path.IsPathRooted(v) ? v : Path.Combine(baseDir, v));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    private void EnsureIndex()
    {
        lock (_lock)
        {
            if (_byName is not null) return;
            var byName = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
            var byStem = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in ImageFiles.EnumerateImages(baseDir))
            {
                Add(byName, Path.GetFileName(file), file);
                Add(byStem, file.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase) ? Path.GetFileName(file)[..^7] : Path.GetFileNameWithoutExtension(file), file);
            }
            _byStem = byStem;
            _byName = byName;
        }
    }

    private static void Add(Dictionary<string, List<string>> map, string key, string file)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(file);
    }
}
