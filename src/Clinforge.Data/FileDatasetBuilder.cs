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
        MedicalFiles.RequireDicomSupport(source, candidates.Select(c => c.Path));
        var reasons = new string?[candidates.Count];
        var medical = new MedicalSource?[candidates.Count];
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            if (!MedicalFiles.IsMedical(candidates[i].Path))
            {
                reasons[i] = ImageDecoder.Probe(candidates[i].Path);
                return;
            }
            try
            {
                medical[i] = MedicalFiles.Open(candidates[i].Path);
            }
            catch (ClinforgeException e)
            {
                // The message starts with the path; the card lists path and reason apart.
                var prefix = candidates[i].Path + ": ";
                reasons[i] = e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
            }
        });
        var slicesOf = new Dictionary<string, (string Path, int Slice)>(StringComparer.Ordinal);
        var pseudonyms = new MedicalPseudonyms();
        bool groupedByHeader = false;

        var items = new List<DataItem>(candidates.Count);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var unreadable = new List<UnreadableFile>();
        var readablePerClass = new int[classes.Count];
        var unreadablePerClass = new List<UnreadableFile>[classes.Count];
        var imaging = new ImagingSummaryBuilder();
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? expandedSplit = officialSplit is null ? null : new(StringComparer.Ordinal);
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
            if (medical[i] is not { } med)
            {
                items.Add(new DataItem(cand.Id, cand.Label, cand.Group));
                files[cand.Id] = cand.Path;
                readablePerClass[cand.Label]++;
                continue;
            }
            imaging.Add(med);
            // Slices of one file, series or patient must stay in one split: the CSV's group when it has one,
            // else a pseudonymous patient (or series) number from the header, else the file.
            var group = cand.Group;
            if (group is null && groupColumn is null)
            {
                group = pseudonyms.GroupOf(med) ?? (med.Slices > 1 ? cand.Id : null);
                groupedByHeader |= group is not null;
            }
            int digits = Math.Max(3, (med.Slices - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
            for (int s = 0; s < med.Slices; s++)
            {
                var id = med.Slices == 1 ? cand.Id : $"{cand.Id}#{s.ToString(new string('0', digits), System.Globalization.CultureInfo.InvariantCulture)}";
                items.Add(new DataItem(id, cand.Label, group));
                files[id] = cand.Path;
                slicesOf[id] = (cand.Path, s);
                if (officialSplit is not null && officialSplit.TryGetValue(cand.Id, out var split)) expandedSplit![id] = split;
                if (med.Dicom is { } header) metadata[id] = header.Metadata;
                readablePerClass[cand.Label]++;
            }
        }
        if (groupedByHeader) groupColumn = pseudonyms.Describe();
        if (expandedSplit is not null)
        {
            foreach (var (id, split) in officialSplit!)
            {
                if (!slicesOf.ContainsKey(id)) expandedSplit.TryAdd(id, split);
            }
            officialSplit = expandedSplit;
        }
        var summary = imaging.Build(notes);

        if (items.Count == 0)
        {
            throw new ClinforgeException($"{source}: none of the {candidates.Count} images can be decoded (first: {Describe(unreadable)}). Check that these are image files (PNG, JPEG, BMP, TIFF, GIF, DICOM, NIfTI) and not damaged.");
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
        RawImage Load(string id) => slicesOf.TryGetValue(id, out var at) ? MedicalFiles.LoadSlice(at.Path, at.Slice) : ImageDecoder.Decode(files[id]);
        return new Dataset(format, source, classes, items, Load, files, officialSplit, groupColumn, unreadable, notes)
        {
            Imaging = summary,
            Metadata = metadata,
            Columns = metadata.Count > 0 ? DicomPrivacy.MetadataTags.Select(t => t.Name).Where(n => metadata.Values.Any(m => m.ContainsKey(n))).ToList() : [],
        };
    }

    private static string Describe(IReadOnlyList<UnreadableFile> list) =>
        string.Join("; ", list.Take(3).Select(u => $"{u.Path}: {u.Reason}")) + (list.Count > 3 ? $"; and {list.Count - 3} more" : "");
}
