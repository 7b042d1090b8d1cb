using System.Globalization;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>One image's confounder value: a probability in [0, 1] and where it came from ("metadata" or "auxiliary").</summary>
public sealed record ConfounderLabel(double Probability, string Source);

/// <summary>
/// The run folder's confounder/labels.csv (id,probability,source): how the developer loop hands the
/// per-image confounder to trial processes. A file, not memory, so a trial can be rerun, resumed and
/// inspected by hand (DESIGN.md, "the run folder").
/// </summary>
public static class ConfounderLabels
{
    /// <summary>
    /// The values of a dataset's metadata <paramref name="column"/> by item id; empty cells are left out
    /// (unannotated). A cell that is neither empty nor a readable presence value is an error naming the
    /// file, the column, the item and what is accepted.
    /// </summary>
    public static Dictionary<string, double> FromMetadata(Dataset dataset, string column, string sourceFile)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (var item in dataset.Items)
        {
            if (!dataset.Metadata.TryGetValue(item.Id, out var row) || !row.TryGetValue(column, out var cell) || string.IsNullOrWhiteSpace(cell)) continue;
            if (ConfounderMetadata.Parse(cell.Trim()) is { } v) result[item.Id] = v;
            else bad.Add($"'{cell}' for {item.Id}");
        }
        if (bad.Count > 0)
            throw new ClinforgeException($"{sourceFile}: column '{column}' (the confounder named in the request) has {bad.Count} value(s) that are not 1/0, yes/no, true/false, present/absent, a probability in [0, 1] or empty: {string.Join(", ", bad.Take(5))}{(bad.Count > 5 ? ", …" : "")}. Fix those cells, or leave them empty for images whose confounder is unknown.");
        return result;
    }

    /// <summary>Writes the labels atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, ConfounderLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var sb = new StringBuilder("id,probability,source\n");
        foreach (var (id, l) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append(CultureInfo.InvariantCulture, $"{Quote(id)},{l.Probability:0.######},{l.Source}\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads labels.csv: id → probability.</summary>
    public static Dictionary<string, ConfounderLabel> Read(string path)
    {
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: the confounder labels are missing; rerun 'clinforge develop' on this run to write them.");
        var records = CsvParser.Parse(File.ReadAllText(path), path);
        var result = new Dictionary<string, ConfounderLabel>(StringComparer.Ordinal);
        foreach (var r in records.Skip(1))
        {
            if (r.Fields.Length < 3 || !double.TryParse(r.Fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p))
                throw new ClinforgeException($"{path}: a row is not id,probability,source.");
            result[r.Fields[0]] = new ConfounderLabel(p, r.Fields[2]);
        }
        return result;
    }

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
