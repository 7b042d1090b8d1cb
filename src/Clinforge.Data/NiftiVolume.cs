using System.Globalization;

namespace Clinforge.Data;

/// <summary>
/// A NIfTI volume in the closest canonical RAS+ orientation: array axis 0 runs to the patient's Right,
/// 1 to Anterior, 2 to Superior. Values are after <c>scl_slope</c>/<c>scl_inter</c>. 2-D slices along
/// one axis are what the classification readers train on; <see cref="LabelSlice"/> gives the integer
/// labels of a label map (a segmentation mask) in the same layout.
/// </summary>
public sealed class NiftiVolume
{
    private static readonly string[] s_axisNames = ["sagittal", "coronal", "axial"];
    private readonly float[]? _values;
    private readonly byte[]? _rgb;
    private int[] _worldOf = [0, 1, 2];
    private int[] _sign = [1, 1, 1];
    private int[] _fileDims = [1, 1, 1];
    private double[,] _fileAffine = new double[3, 4];

    private NiftiVolume(string path, int version, int datatype, int[] dims, double[] spacing, string originalOrientation, string affineSource,
        double slope, double intercept, float[]? values, byte[]? rgb, int volumes, int intentCode)
    {
        Path = path;
        Version = version;
        Datatype = datatype;
        Dims = dims;
        Spacing = spacing;
        OriginalOrientation = originalOrientation;
        AffineSource = affineSource;
        Slope = slope;
        Intercept = intercept;
        _values = values;
        _rgb = rgb;
        Volumes = volumes;
        IntentCode = intentCode;
    }

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>1 (NIfTI-1) or 2 (NIfTI-2).</summary>
    public int Version { get; }
    /// <summary>nifti1.h DT_* code (2 uint8, 4 int16, 16 float32, 128 RGB24...).</summary>
    public int Datatype { get; }
    /// <summary>Size along R, A, S (canonical axes 0, 1, 2).</summary>
    public IReadOnlyList<int> Dims { get; }
    /// <summary>Voxel size in mm along R, A, S.</summary>
    public IReadOnlyList<double> Spacing { get; }
    /// <summary>The file's own axis codes before reorientation, e.g. "LAS" (RAS when already canonical).</summary>
    public string OriginalOrientation { get; }
    /// <summary>Which transform gave the orientation: sform, qform, or voxel sizes only.</summary>
    public string AffineSource { get; }
    /// <summary>scl_slope applied (1 when the file has none).</summary>
    public double Slope { get; }
    /// <summary>scl_inter applied.</summary>
    public double Intercept { get; }
    /// <summary>Volumes in the file (the fourth and later dimensions); only the first is read.</summary>
    public int Volumes { get; }
    /// <summary>nifti1.h intent code (1002 = NIFTI_INTENT_LABEL).</summary>
    public int IntentCode { get; }

    /// <summary>Integer data without scaling: a label map (segmentation) can be read with <see cref="LabelSlice"/>.</summary>
    public bool HasIntegerValues => Datatype is 2 or 4 or 8 or 256 or 512 or 768 or 1024 or 1280 && Slope == 1 && Intercept == 0;

    /// <summary>Colour (RGB24) volume.</summary>
    public bool IsColour => _rgb is not null;

    /// <summary>The canonical voxel (r, a, s) that holds the file's voxel (i, j, k) (array order as stored).</summary>
    public (int R, int A, int S) FromFileVoxel(int i, int j, int k)
    {
        int[] file = [i, j, k];
        var canon = new int[3];
        for (int a = 0; a < 3; a++) canon[_worldOf[a]] = _sign[a] > 0 ? file[a] : _fileDims[a] - 1 - file[a];
        return (canon[0], canon[1], canon[2]);
    }

    /// <summary>The file's own array size (i, j, k), before reorientation.</summary>
    public IReadOnlyList<int> FileDims => _fileDims;

    /// <summary>The file's voxel-to-world affine (3 rows of 4: rotation and scale, then the offset in mm), as read from sform, qform or the voxel sizes.</summary>
    internal double[,] FileAffine => _fileAffine;

    /// <summary>
    /// Where canonical voxel (r, a, s) lies in the slices along <paramref name="axis"/>: the slice index
    /// and the pixel index (row-major) in that slice, as <see cref="Slice"/> and <see cref="LabelSlice"/> lay it out.
    /// </summary>
    public (int Slice, int Pixel) PlanePosition(int axis, int r, int a, int s)
    {
        var (w, h) = PlaneSize(axis);
        return CheckAxis(axis) switch
        {
            0 => (r, (h - 1 - s) * w + a),
            1 => (a, (h - 1 - s) * w + r),
            _ => (s, (h - 1 - a) * w + r),
        };
    }

    /// <summary>The value at canonical voxel (r, a, s).</summary>
    public float this[int r, int a, int s] => _values is null ? throw new InvalidOperationException("a colour volume has no scalar values") : _values[Index(r, a, s)];

    /// <summary>
    /// The default slicing axis (0 sagittal, 1 coronal, 2 axial) and why: the axis with the largest
    /// voxel size, since a volume acquired as slices has its best resolution in the slice plane; axial
    /// when voxels are (nearly) isotropic, the usual reading plane; never an axis of size 1.
    /// </summary>
    public (int Axis, string Reason) ChooseSliceAxis()
    {
        var candidates = Enumerable.Range(0, 3).Where(a => Dims[a] > 1).ToList();
        if (Dims[2] == 1 || candidates.Count < 3)
        {
            int flat = Enumerable.Range(0, 3).FirstOrDefault(a => Dims[a] == 1, 2);
            return (flat, "the volume is one slice thick along this axis");
        }
        double max = Spacing.Max(), min = Spacing.Min();
        if (max <= min * 1.1) return (2, string.Create(CultureInfo.InvariantCulture, $"voxels are nearly isotropic ({Spacing[0]:0.##}x{Spacing[1]:0.##}x{Spacing[2]:0.##} mm), so the usual axial reading plane"));
        int thick = Enumerable.Range(0, 3).OrderByDescending(a => Spacing[a]).ThenByDescending(a => a).First();
        return (thick, string.Create(CultureInfo.InvariantCulture, $"voxels are thickest along this axis ({Spacing[thick]:0.##} mm vs {Spacing.Where((_, i) => i != thick).Max():0.##} mm in plane), the acquisition's slice direction"));
    }

    /// <summary>"axial", "coronal" or "sagittal".</summary>
    public static string AxisName(int axis) => s_axisNames[axis];

    /// <summary>Number of 2-D slices along <paramref name="axis"/>.</summary>
    public int SliceCount(int axis) => Dims[CheckAxis(axis)];

    /// <summary>
    /// The window every slice of this volume is shown with: the 0.5th to 99.5th percentile of its values
    /// (one window per volume, so slices stay comparable; percentiles, not min-max, because MR volumes
    /// carry a few very bright voxels).
    /// </summary>
    public DicomWindow Window => _window ??= ComputeWindow();
    private DicomWindow? _window;

    /// <summary>Slice <paramref name="index"/> along <paramref name="axis"/> as an 8-bit image (<see cref="Window"/>).</summary>
    public RawImage Slice(int axis, int index)
    {
        var (w, h) = PlaneSize(axis);
        if (_rgb is not null)
        {
            var rgb = new byte[(long)w * h * 3];
            int o = 0;
            foreach (var v in Plane(axis, index))
            {
                rgb[o++] = _rgb[3 * v];
                rgb[o++] = _rgb[3 * v + 1];
                rgb[o++] = _rgb[3 * v + 2];
            }
            return new RawImage(w, h, 3, rgb);
        }
        var values = new float[(long)w * h];
        int i = 0;
        foreach (var v in Plane(axis, index)) values[i++] = _values![v];
        var grey = new byte[values.Length];
        var window = Window;
        VoiWindow.Apply(values, grey, window.Center, window.Width, invert: false);
        return new RawImage(w, h, 1, grey);
    }

    /// <summary>
    /// The integer labels of slice <paramref name="index"/> along <paramref name="axis"/>, in the layout of
    /// <see cref="Slice"/> (row-major, width × height): a segmentation mask, 0 = background.
    /// </summary>
    public int[] LabelSlice(int axis, int index)
    {
        if (_values is null) throw new InvalidOperationException($"{Path}: a colour volume is not a label map");
        var (w, h) = PlaneSize(axis);
        var labels = new int[(long)w * h];
        int i = 0;
        foreach (var v in Plane(axis, index)) labels[i++] = (int)Math.Round(_values[v]);
        return labels;
    }

    /// <summary>Distinct values in the volume, up to <paramref name="limit"/> (null when there are more): a label map has few.</summary>
    public IReadOnlyList<int>? DistinctLabels(int limit = 256)
    {
        if (_values is null || !HasIntegerValues) return null;
        var seen = new SortedSet<int>();
        foreach (var v in _values)
        {
            if (seen.Add((int)v) && seen.Count > limit) return null;
        }
        return seen.ToList();
    }

    /// <summary>Width (columns) and height (rows) of a slice along <paramref name="axis"/>.</summary>
    public (int Width, int Height) PlaneSize(int axis) => CheckAxis(axis) switch
    {
        0 => (Dims[1], Dims[2]),
        1 => (Dims[0], Dims[2]),
        _ => (Dims[0], Dims[1]),
    };

    /// <summary>
    /// Voxel indices of a slice, row by row: columns follow the first remaining canonical axis upward,
    /// rows the second downward (so anterior or superior is at the top of the picture).
    /// </summary>
    private IEnumerable<int> Plane(int axis, int index)
    {
        if (index < 0 || index >= Dims[CheckAxis(axis)]) throw new ArgumentOutOfRangeException(nameof(index), index, $"slice index outside 0..{Dims[axis] - 1}");
        var (w, h) = PlaneSize(axis);
        for (int row = 0; row < h; row++)
        {
            int q = h - 1 - row;
            for (int p = 0; p < w; p++)
            {
                yield return axis switch
                {
                    0 => Index(index, p, q),
                    1 => Index(p, index, q),
                    _ => Index(p, q, index),
                };
            }
        }
    }

    private int Index(int r, int a, int s) => r + Dims[0] * (a + Dims[1] * s);

    private static int CheckAxis(int axis) => axis is >= 0 and <= 2 ? axis : throw new ArgumentOutOfRangeException(nameof(axis), axis, "axis must be 0 (sagittal), 1 (coronal) or 2 (axial)");

    private DicomWindow ComputeWindow()
    {
        if (_values is null) return new DicomWindow(127.5, 256, "colour: no window");
        // A strided sample of up to 1M voxels is enough for two percentiles.
        int step = Math.Max(1, _values.Length / 1_000_000);
        var sample = new List<float>(_values.Length / step + 1);
        for (int i = 0; i < _values.Length; i += step) sample.Add(_values[i]);
        sample.Sort();
        double lo = sample[(int)(0.005 * (sample.Count - 1))], hi = sample[(int)Math.Ceiling(0.995 * (sample.Count - 1))];
        if (hi <= lo) (lo, hi) = (sample[0], sample[^1]);
        double width = Math.Max(1, hi - lo + 1);
        return new DicomWindow(lo + width / 2, width, "chosen from the data: 0.5th to 99.5th percentile of the volume");
    }

    /// <summary>
    /// Builds the canonical volume: each array axis goes to the world axis its affine column points
    /// along most (largest absolute entry first, as nibabel's io_orientation), flipped when it points
    /// the negative way.
    /// </summary>
    internal static NiftiVolume Canonical(string path, int version, int datatype, int[] dims, double[] pixdim, double[,] affine, string affineSource,
        double slope, double intercept, float[]? values, byte[]? rgb, int volumes, int intentCode)
    {
        var worldOf = new int[3];
        var sign = new int[3];
        var usedRow = new bool[3];
        var usedCol = new bool[3];
        for (int step = 0; step < 3; step++)
        {
            double best = -1;
            int br = 0, bc = 0;
            for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
            {
                if (usedRow[r] || usedCol[c]) continue;
                if (Math.Abs(affine[r, c]) > best) (best, br, bc) = (Math.Abs(affine[r, c]), r, c);
            }
            usedRow[br] = usedCol[bc] = true;
            worldOf[bc] = br;
            sign[bc] = affine[br, bc] < 0 ? -1 : 1;
        }
        var codes = new[] { "RL", "AP", "SI" };
        var original = new string(Enumerable.Range(0, 3).Select(a => codes[worldOf[a]][sign[a] > 0 ? 0 : 1]).ToArray());
        var axisFor = new int[3];
        for (int a = 0; a < 3; a++) axisFor[worldOf[a]] = a;
        var cd = new[] { dims[axisFor[0]], dims[axisFor[1]], dims[axisFor[2]] };
        // Voxel size along each canonical axis: the length of the affine column (pixdim when the affine has none).
        var spacing = new double[3];
        for (int w = 0; w < 3; w++)
        {
            int a = axisFor[w];
            double norm = Math.Sqrt(affine[0, a] * affine[0, a] + affine[1, a] * affine[1, a] + affine[2, a] * affine[2, a]);
            spacing[w] = norm > 0 && double.IsFinite(norm) ? norm : pixdim[a];
        }

        float[]? cv = values is null ? null : new float[values.Length];
        byte[]? crgb = rgb is null ? null : new byte[(long)dims[0] * dims[1] * dims[2] * 3];
        var orig = new int[3];
        int dst = 0;
        for (int s = 0; s < cd[2]; s++)
        for (int aa = 0; aa < cd[1]; aa++)
        for (int r = 0; r < cd[0]; r++, dst++)
        {
            var c = (r, aa, s);
            int[] canon = [c.r, c.aa, c.s];
            for (int w = 0; w < 3; w++)
            {
                int a = axisFor[w];
                orig[a] = sign[a] > 0 ? canon[w] : dims[a] - 1 - canon[w];
            }
            int src = orig[0] + dims[0] * (orig[1] + dims[1] * orig[2]);
            if (cv is not null) cv[dst] = values![src];
            else
            {
                crgb![3 * dst] = rgb![3 * src];
                crgb[3 * dst + 1] = rgb[3 * src + 1];
                crgb[3 * dst + 2] = rgb[3 * src + 2];
            }
        }
        return new NiftiVolume(path, version, datatype, cd, spacing, original, affineSource, slope, intercept, cv, crgb, volumes, intentCode)
        {
            _worldOf = worldOf,
            _sign = sign,
            _fileDims = dims,
            _fileAffine = affine,
        };
    }
}
