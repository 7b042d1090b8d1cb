using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Reads a confounder column (e.g. "drain") from a dataset's CSV: item id → value in [0, 1] for the
/// rows that have one (1/0, yes/no, true/false, present/absent, or a probability). Rows with an empty
/// cell are unannotated. When every item has a value the column is the confounder label; when only
/// some do, they are the annotations an auxiliary confounder classifier learns from.
/// </summary>
public static class ConfounderMetadata
{
    private static readonly string[] s_imageColumns = ["image", "path", "file", "filename", "image_path", "img"];

    /// <summary>The values by item id (ids as <see cref="DatasetReader"/> makes them: the path relative to the CSV's folder).</summary>
    public static IReadOnlyDictionary<string, double> Read(string csvPath, string column)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(csvPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        var records = CsvParser.Parse(File.ReadAllText(csvPath), csvPath);
        if (records.Count == 0) throw new ClinforgeException($"{csvPath}: empty CSV.");
        var header = records[0].Fields.Select(f => f.Trim()).ToList();
        int col = header.FindIndex(h => h.Equals(column, StringComparison.OrdinalIgnoreCase));
        if (col < 0) throw new ClinforgeException($"{csvPath}: no column '{column}' (columns: {string.Join(", ", header)}).");
        int imageCol = header.FindIndex(h => s_imageColumns.Contains(h, StringComparer.OrdinalIgnoreCase));
        if (imageCol < 0) imageCol = 0;
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var row in records.Skip(1))
        {
            if (row.Fields.Length <= Math.Max(col, imageCol)) continue;
            var value = Parse(row.Fields[col].Trim());
            if (value is null) continue;
            var image = row.Fields[imageCol].Trim();
            var full = Path.IsPathRooted(image) ? image : Path.GetFullPath(Path.Combine(baseDir, image));
            var id = Path.GetRelativePath(baseDir, full).Replace('\\', '/');
            result[id] = value.Value;
        }
        return result;
    }

    /// <summary>1/0, yes/no, true/false, present/absent, or a number in [0, 1]; null for an empty or unreadable cell.</summary>
    public static double? Parse(string cell)
    {
        switch (cell.ToLowerInvariant())
        {
            case "": return null;
            case "yes" or "true" or "present" or "y": return 1;
            case "no" or "false" or "absent" or "n": return 0;
        }
        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1 ? v : null;
    }
}
