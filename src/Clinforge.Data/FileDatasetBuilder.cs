using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>A file that a reader found, before its header was checked.</summary>
internal sealed record FileCandidate(string Id, string Path, int Label, string? Group = null);

/// <summary>Shared last step of the file readers: check every file cheaply, drop the unreadable ones, build the dataset.</summary>
internal static class FileDatasetBuilder
{
    public static Dataset Build(
        string format,
        string source,
        IReadOnlyList<string> classes,
        IReadOnlyList<FileCandidate> candidates,
        IReadOnlyDictionary<string, string>? officialSplit = null,
        string? groupColumn = null,
        List<string>? notes = null,
        bool requireEveryClass = true)
    {
        notes ??= [];
        if (groupColumn is null && candidates.All(c => c.Group is null))
        {
            // Augmented exports (Roboflow: "<source>_jpg.rf.<hash>.jpg") hold several transformed copies of
            // one image; copies split apart would leak between training and validation, so each source is a group.
            var sources = candidates.Select(c => AugmentedExport.SourceOf(Path.GetFileName(c.Path))).ToArray();
            int copies = sources.Count(x => x is not null);
            if (copies > 0)
            {
                candidates = candidates.Select((c, i) => c with { Group = sources[i] }).ToList();
                groupColumn = AugmentedExport.GroupName;
                int distinct = sources.Where(x => x is not null).Distinct(StringComparer.Ordinal).Count();
                notes.Add($"{copies} images are named as augmented copies ('<source>.rf.<hash>', a Roboflow export) of {distinct} source images: copies of one source are kept in one split wherever Clinforge draws the split.");
            }
        }
        var reasons = new string?[candidates.Count];
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => reasons[i] = ImageDecoder.Probe(candidates[i].Path));

        var items = new List<DataItem>(candidates.Count);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var unreadable = new List<UnreadableFile>();
        var readablePerClass = new int[classes.Count];
        var unreadablePerClass = new List<UnreadableFile>[classes.Count];
        for (var c = 0; c < classes.Count; c++) unreadablePerClass[c] = [];
        for (var i = 0; i < candidates.Count; i++)
        {
            var cand = candidates[i];
            if (reasons[i] is { } reason)
            {
                var u = new UnreadableFile(cand.Path, reason);
                unreadable.Add(u);
                unreadablePerClass[cand.Label].Add(u);
                continue;
            }
            items.Add(new DataItem(cand.Id, cand.Label, cand.Group));
            files[cand.Id] = cand.Path;
            readablePerClass[cand.Label]++;
        }

        if (items.Count == 0)
        {
            throw new ClinforgeException($"{source}: none of the {candidates.Count} images can be decoded (first: {Describe(unreadable)}). Check that these are image files (PNG, JPEG, BMP, TIFF, GIF) and not damaged.");
        }
        for (var c = 0; c < classes.Count && requireEveryClass; c++)
        {
            if (readablePerClass[c] == 0)
            {
                throw new ClinforgeException($"{source}: class '{classes[c]}' has no readable images ({unreadablePerClass[c].Count} could not be decoded: {Describe(unreadablePerClass[c])}). Replace those files or remove the class.");
            }
        }
        if (unreadable.Count > 0)
        {
            notes.Add($"{unreadable.Count} of {candidates.Count} image files could not be decoded and were left out (first: {Describe(unreadable)}).");
        }

        officialSplit = officialSplit?.Where(kv => files.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new Dataset(format, source, classes, items, id => ImageDecoder.Decode(files[id]), files, officialSplit, groupColumn, unreadable, notes);
    }

    private static string Describe(IReadOnlyList<UnreadableFile> list) =>
        string.Join("; ", list.Take(3).Select(u => $"{u.Path}: {u.Reason}")) + (list.Count > 3 ? $"; and {list.Count - 3} more" : "");
}
