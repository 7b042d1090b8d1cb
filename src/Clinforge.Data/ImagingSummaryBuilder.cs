using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>Collects <see cref="MedicalSource"/>s into the data card's <see cref="ImagingSummary"/> and its plain-language notes.</summary>
internal sealed class ImagingSummaryBuilder
{
    private const int TopValues = 10;
    private readonly List<MedicalSource> _sources = [];

    public void Add(MedicalSource source) => _sources.Add(source);

    /// <summary>The summary, or null without DICOM or NIfTI files; notes for a person are appended to <paramref name="notes"/>.</summary>
    public ImagingSummary? Build(List<string> notes)
    {
        if (_sources.Count == 0) return null;
        static Dictionary<string, int> Count(IEnumerable<string> keys) =>
            keys.GroupBy(k => k, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        var dicom = _sources.Where(s => s.Dicom is not null).ToList();
        var nifti = _sources.Where(s => s.Kind == "NIfTI").ToList();
        var columns = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        foreach (var (name, _, _) in DicomPrivacy.MetadataTags)
        {
            var values = dicom.Select(s => s.Dicom!.Metadata.GetValueOrDefault(name)).Where(v => v is not null).Select(v => v!).ToList();
            if (values.Count == 0) continue;
            var counted = Count(values);
            var top = counted.Take(TopValues).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            if (counted.Count > TopValues) top["(other)"] = counted.Skip(TopValues).Sum(kv => kv.Value);
            columns[name] = top;
        }
        var summary = new ImagingSummary
        {
            Files = Count(_sources.Select(s => s.Kind)),
            Encodings = Count(_sources.Select(s => s.TransferSyntax)),
            Windowing = Count(_sources.Select(s => s.Window.Source)),
            InvertedMonochrome1 = _sources.Count(s => s.Inverted),
            MultiSliceFiles = _sources.Count(s => s.Slices > 1),
            Slices = _sources.Sum(s => s.Slices),
            SliceAxes = Count(nifti.Select(s => $"{NiftiVolume.AxisName(s.Axis)}: {s.AxisReason}")),
            Orientations = Count(nifti.Select(s => s.Orientation ?? "")),
            HeaderColumns = columns,
            IdentifyingFieldsDropped = Count(dicom.SelectMany(s => s.Dicom!.IdentifyingFieldsPresent)),
        };

        string List(IReadOnlyDictionary<string, int> d) => string.Join("; ", d.Select(kv => $"{kv.Key} ({kv.Value})"));
        if (dicom.Count > 0)
        {
            notes.Add(
                $"DICOM: {dicom.Count} files read with GDCM ({List(Count(dicom.Select(s => s.TransferSyntax)))}); {dicom.Sum(s => s.Slices)} 2-D images. Grey values: modality LUT (rescale slope/intercept) applied, then a window to 8 bits: {List(Count(dicom.Select(s => s.Window.Source)))}" +
                (summary.InvertedMonochrome1 > 0 ? $"; {summary.InvertedMonochrome1} MONOCHROME1 files inverted" : "") +
                (dicom.Any(s => s.Slices > 1) ? $"; {dicom.Count(s => s.Slices > 1)} multi-frame files give one image per frame, kept in one split" : "") + ".");
            if (columns.Count > 0)
            {
                notes.Add($"DICOM header columns kept for subgroup and confounder analysis: {string.Join("; ", columns.Select(c => $"{c.Key}: {string.Join(", ", c.Value.Select(v => $"{v.Key} {v.Value}"))}"))}.");
            }
            notes.Add(summary.IdentifyingFieldsDropped.Count > 0
                ? $"Identifying DICOM fields present and dropped (never stored, shown or sent anywhere): {List(summary.IdentifyingFieldsDropped)} (files with the field). A patient's images are grouped by a pseudonymous number so that they stay in one split."
                : "No identifying DICOM fields (patient name, id, birth date, accession, institution...) were present.");
        }
        if (nifti.Count > 0)
        {
            notes.Add($"NIfTI: {nifti.Count} files ({List(Count(nifti.Select(s => s.TransferSyntax)))}), {nifti.Sum(s => s.Slices)} 2-D slices; scl_slope/scl_inter applied; orientation: {List(summary.Orientations)}; sliced along {List(summary.SliceAxes)}; each volume's slices are kept in one split; window: {List(Count(nifti.Select(s => s.Window.Source)))}." +
                (nifti.Any(s => s.VolumeNote is not null) ? $" {string.Join("; ", nifti.Where(s => s.VolumeNote is not null).Select(s => $"{Path.GetFileName(s.Path)}: {s.VolumeNote}"))}." : ""));
        }
        return summary;
    }
}

/// <summary>
/// Pseudonymous patient (or series) numbers, in order of first appearance, for grouping DICOM slices
/// into splits without ever writing the identifier itself.
/// </summary>
internal sealed class MedicalPseudonyms
{
    private readonly Dictionary<string, int> _patients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _series = new(StringComparer.Ordinal);

    public string? GroupOf(MedicalSource source)
    {
        if (source.Dicom is not { } header) return null;
        if (header.PatientKey is { } patient)
        {
            if (!_patients.TryGetValue(patient, out var n)) _patients[patient] = n = _patients.Count + 1;
            return $"patient {n}";
        }
        if (header.SeriesKey is { } series)
        {
            if (!_series.TryGetValue(series, out var n)) _series[series] = n = _series.Count + 1;
            return $"series {n}";
        }
        return null;
    }

    public string Describe() => (_patients.Count > 0, _series.Count > 0) switch
    {
        (true, true) => "DICOM patient, or series without a patient id (pseudonymous numbers)",
        (true, false) => "DICOM patient (pseudonymous number)",
        (false, true) => "DICOM series (pseudonymous number)",
        _ => "file (slices of one volume)",
    };
}
