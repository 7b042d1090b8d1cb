using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>One DICOM or NIfTI file opened as 2-D slices, with what the data card may say about it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Kind">"DICOM" or "NIfTI".</param>
/// <param name="Slices">Number of 2-D images (frames, or slices along <paramref name="Axis"/>).</param>
/// <param name="Width">Slice width.</param>
/// <param name="Height">Slice height.</param>
/// <param name="Window">The window the slices are shown with.</param>
/// <param name="Inverted">MONOCHROME1 inverted.</param>
/// <param name="Dicom">The DICOM header (null for NIfTI).</param>
/// <param name="TransferSyntax">DICOM transfer syntax in words, or "NIfTI-1"/"NIfTI-2".</param>
/// <param name="Axis">NIfTI slicing axis (0 sagittal, 1 coronal, 2 axial), else -1.</param>
/// <param name="AxisReason">Why that axis.</param>
/// <param name="Orientation">NIfTI: original axis codes and the transform they came from.</param>
public sealed record MedicalSource(string Path, string Kind, int Slices, int Width, int Height, DicomWindow Window, bool Inverted,
    DicomHeader? Dicom, string TransferSyntax, int Axis = -1, string? AxisReason = null, string? Orientation = null)
{
    /// <summary>NIfTI with several volumes: which one was read.</summary>
    public string? VolumeNote { get; init; }
}

/// <summary>
/// DICOM (.dcm, .dicom) and NIfTI (.nii, .nii.gz) files as sources of 2-D images. Each file is decoded
/// once when a dataset is opened; its 8-bit slices are kept in a bounded cache so that loading every
/// slice of a multi-frame file or volume does not decode it again.
/// </summary>
public static class MedicalFiles
{
    private static readonly VolumeCache s_cache = new(1L << 30);

    /// <summary>Extensions of the medical formats read.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".dcm", ".dicom", ".nii", ".nii.gz"];

    /// <summary>True when DICOM can be read here (GDCM's C# bindings are installed and load).</summary>
    public static bool DicomAvailable => GdcmRuntime.Available;

    /// <summary>Why DICOM cannot be read here, with the command that fixes it; null when it can.</summary>
    public static string? DicomProblem => GdcmRuntime.Problem;

    /// <summary>
    /// Refuses, naming <paramref name="source"/> and the one command that fixes it, when
    /// <paramref name="paths"/> include DICOM files and GDCM is not installed: every one of them would
    /// otherwise be listed as unreadable for the same reason.
    /// </summary>
    public static void RequireDicomSupport(string source, IEnumerable<string> paths)
    {
        if (GdcmRuntime.Available) return;
        int count = paths.Count(IsDicom);
        if (count > 0) throw new ClinforgeException($"{source}: {count} DICOM file(s), but DICOM cannot be read on this machine. {GdcmRuntime.Problem}");
    }

    /// <summary>True for .dcm, .dicom, .nii and .nii.gz names.</summary>
    public static bool IsMedical(string path) =>
        path.EndsWith(".dcm", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".dicom", StringComparison.OrdinalIgnoreCase) || NiftiReader.IsNiftiName(path);

    /// <summary>True for DICOM names.</summary>
    public static bool IsDicom(string path) => IsMedical(path) && !NiftiReader.IsNiftiName(path);

    /// <summary>
    /// Decodes the file and describes it; a file that cannot be read gives a <see cref="ClinforgeException"/>
    /// whose message names the file and the problem.
    /// </summary>
    public static MedicalSource Open(string path, long? maxBytes = null)
    {
        var limit = maxBytes ?? DicomReader.DefaultMaxBytes;
        if (!NiftiReader.IsNiftiName(path))
        {
            var image = DicomReader.Read(path, limit);
            var window = image.Window;
            var slices = new RawImage[image.Frames];
            for (int f = 0; f < slices.Length; f++) slices[f] = image.ToRaw(f, window);
            s_cache.Put(path, slices);
            return new MedicalSource(path, "DICOM", image.Frames, image.Width, image.Height, window, image.Inverted, image.Header, image.TransferSyntax);
        }
        var volume = NiftiReader.Read(path, limit);
        var (axis, reason) = volume.ChooseSliceAxis();
        var images = new RawImage[volume.SliceCount(axis)];
        for (int s = 0; s < images.Length; s++) images[s] = volume.Slice(axis, s);
        s_cache.Put(path, images);
        var (w, h) = volume.PlaneSize(axis);
        var orientation = $"{volume.OriginalOrientation} by {volume.AffineSource}, turned to RAS";
        return new MedicalSource(path, "NIfTI", images.Length, w, h, volume.Window, false, null, $"NIfTI-{volume.Version}", axis, reason, orientation)
        {
            VolumeNote = volume.Volumes > 1 ? $"{volume.Volumes} volumes in the file; the first is read" : null,
        };
    }

    /// <summary>Slice <paramref name="slice"/> of the file, decoded through the cache (the file is decoded again when evicted).</summary>
    public static RawImage LoadSlice(string path, int slice)
    {
        var slices = s_cache.Get(path);
        if (slices is null)
        {
            Open(path);
            slices = s_cache.Get(path) ?? throw new ClinforgeException($"{path}: could not be kept in memory after decoding.");
        }
        if (slice < 0 || slice >= slices.Length) throw new ClinforgeException($"{path}: has {slices.Length} slice(s); slice {slice} does not exist. The file may have changed since the dataset was opened; rerun the data step.");
        return slices[slice];
    }

    /// <summary>
    /// The image a single file holds, for predict: a one-frame DICOM or a one-slice file; for several
    /// frames or slices, the middle one (and <paramref name="note"/> says so).
    /// </summary>
    public static RawImage LoadForPrediction(string path, out string? note)
    {
        var source = Open(path);
        int slice = source.Slices / 2;
        note = source.Slices > 1 ? $"{path}: {source.Slices} frames/slices; the middle one ({slice}) was scored." : null;
        return LoadSlice(path, slice);
    }
}

/// <summary>A small cache of decoded slices by path, evicting the least recently used past a byte budget.</summary>
internal sealed class VolumeCache(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Path, RawImage[] Slices, long Bytes)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Path, RawImage[] Slices, long Bytes)>> _byPath = new(StringComparer.Ordinal);
    private long _bytes;

    public void Put(string path, RawImage[] slices)
    {
        long bytes = slices.Sum(s => s.Pixels.LongLength);
        lock (_lock)
        {
            if (_byPath.Remove(path, out var old))
            {
                _order.Remove(old);
                _bytes -= old.Value.Bytes;
            }
            _byPath[path] = _order.AddFirst((path, slices, bytes));
            _bytes += bytes;
            while (_bytes > maxBytes && _order.Count > 1)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _byPath.Remove(last.Value.Path);
                _bytes -= last.Value.Bytes;
            }
        }
    }

    public RawImage[]? Get(string path)
    {
        lock (_lock)
        {
            if (!_byPath.TryGetValue(path, out var node)) return null;
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Slices;
        }
    }
}
