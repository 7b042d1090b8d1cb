using System.Globalization;
using System.Text;

namespace Clinforge.Core;

/// <summary>Predictions as written in val_predictions.csv / test_predictions.csv.</summary>
public sealed record PredictionTable(IReadOnlyList<string> Ids, int[] Labels, double[][] Probabilities)
{
    /// <summary>Writes id,label,p_class... rows with round-trip precision.</summary>
    public static void Write(string path, IReadOnlyList<string> ids, IReadOnlyList<int> labels, double[][] probs, IReadOnlyList<string> classes)
    {
        var sb = new StringBuilder("id,label");
        foreach (var c in classes) sb.Append(",p_").Append(c);
        sb.Append('\n');
        for (int i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            sb.Append(id.Contains(',') || id.Contains('"') ? "\"" + id.Replace("\"", "\"\"") + "\"" : id).Append(',').Append(labels[i].ToString(CultureInfo.InvariantCulture));
            foreach (var p in probs[i]) sb.Append(',').Append(p.ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads id,label,p_... rows (ids may be quoted).</summary>
    public static PredictionTable Read(string path)
    {
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: predictions file not found.");
        var ids = new List<string>(); var labels = new List<int>(); var probs = new List<double[]>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0) continue;
            string id; string rest;
            if (line.StartsWith('"'))
            {
                int end = 1;
                var sb = new StringBuilder();
                while (end < line.Length) { if (line[end] == '"') { if (end + 1 < line.Length && line[end + 1] == '"') { sb.Append('"'); end += 2; continue; } break; } sb.Append(line[end++]); }
                id = sb.ToString(); rest = line[(end + 2)..];
            }
            else { int c = line.IndexOf(','); id = line[..c]; rest = line[(c + 1)..]; }
            var parts = rest.Split(',');
            ids.Add(id);
            labels.Add(int.Parse(parts[0], CultureInfo.InvariantCulture));
            probs.Add(parts.Skip(1).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray());
        }
        return new PredictionTable(ids, labels.ToArray(), probs.ToArray());
    }
}

