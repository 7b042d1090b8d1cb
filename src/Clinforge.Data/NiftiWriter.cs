using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Writes a label map (a segmentation) as a NIfTI-1 file on the voxel grid of the volume it outlines,
/// so that viewers such as ITK-SNAP or 3D Slicer lay it over that volume: the source's array size and
/// voxel-to-world affine (written as the sform), unsigned 8-bit labels, intent NIFTI_INTENT_LABEL
/// (nifti1.h), no scaling. Voxels are written in the source file's own order, undoing the canonical
/// reorientation the reader applies.
/// </summary>
public static class NiftiWriter
{
    private const int HeaderSize = 348;
    private const int VoxOffset = 352;
    private const short IntentLabel = 1002;
    private const short DatatypeUint8 = 2;

    /// <summary>
    /// Writes <paramref name="slices"/> (one row-major label plane per slice along <paramref name="axis"/>
    /// of <paramref name="source"/>, in <see cref="NiftiVolume.Slice"/>'s layout) to <paramref name="path"/>
    /// (.nii, or gzip-compressed when it ends in .gz), through a temporary file so a failed write leaves nothing that looks complete.
    /// </summary>
    public static void WriteLabels(NiftiVolume source, int axis, IReadOnlyList<byte[]> slices, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (w, h) = source.PlaneSize(axis);
        if (slices.Count != source.SliceCount(axis))
            throw new ArgumentException($"{slices.Count} slices for a volume of {source.SliceCount(axis)} along axis {axis}", nameof(slices));
        foreach (var plane in slices)
            if (plane.Length != w * h) throw new ArgumentException($"a slice of {plane.Length} labels for a {w}x{h} plane", nameof(slices));
        var dims = source.FileDims;
        var data = new byte[(long)dims[0] * dims[1] * dims[2]];
        long o = 0;
        for (int k = 0; k < dims[2]; k++)
            for (int j = 0; j < dims[1]; j++)
                for (int i = 0; i < dims[0]; i++)
                {
                    var (r, a, s) = source.FromFileVoxel(i, j, k);
                    var (slice, pixel) = source.PlanePosition(axis, r, a, s);
                    data[o++] = slices[slice][pixel];
                }
        bool fromVoxelSizes = source.AffineSource.StartsWith("voxel sizes", StringComparison.Ordinal);
        Write(path, dims, source.FileAffine, writeSform: !fromVoxelSizes, data, IntentLabel, "Clinforge predicted labels");
    }

    /// <summary>
    /// Writes an 8-bit volume stored in RAS order (x to the patient's right, then anterior, then
    /// superior; <paramref name="data"/> x fastest) with voxel sizes <paramref name="spacing"/> in mm:
    /// generated data, or a label map when <paramref name="labels"/> (intent NIFTI_INTENT_LABEL).
    /// </summary>
    public static void WriteVolume(string path, IReadOnlyList<int> dims, IReadOnlyList<double> spacing, byte[] data, bool labels)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(spacing);
        ArgumentNullException.ThrowIfNull(data);
        if (dims.Count != 3 || spacing.Count != 3 || data.LongLength != (long)dims[0] * dims[1] * dims[2])
            throw new ArgumentException($"{data.LongLength} voxels for dims {string.Join("x", dims)}", nameof(data));
        var affine = new double[3, 4];
        for (int i = 0; i < 3; i++) affine[i, i] = spacing[i];
        Write(path, dims, affine, writeSform: true, data, labels ? IntentLabel : (short)0, labels ? "Clinforge labels" : "Clinforge volume");
    }

    private static void Write(string path, IReadOnlyList<int> dims, double[,] affine, bool writeSform, byte[] data, short intent, string description)
    {
        var header = Header(dims, affine, writeSform, data.Length == 0 ? (byte)0 : data.Max(), intent, description);
        var temp = path + ".part";
        try
        {
            using (var file = File.Create(temp))
            using (Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Optimal) : file)
            {
                stream.Write(header);
                stream.Write(data);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new ClinforgeException($"{path}: could not be written ({e.Message}).");
        }
    }

    /// <summary>A little-endian NIfTI-1 header and the four zero bytes that say no extensions follow.</summary>
    private static byte[] Header(IReadOnlyList<int> dims, double[,] affine, bool writeSform, byte maxValue, short intent, string description)
    {
        var b = new byte[VoxOffset];
        var span = b.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, HeaderSize);
        short[] dim = [3, (short)dims[0], (short)dims[1], (short)dims[2], 1, 1, 1, 1];
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteInt16LittleEndian(span[(40 + 2 * i)..], dim[i]);
        BinaryPrimitives.WriteInt16LittleEndian(span[68..], intent);
        BinaryPrimitives.WriteInt16LittleEndian(span[70..], DatatypeUint8);
        BinaryPrimitives.WriteInt16LittleEndian(span[72..], 8);
        // pixdim[0] (qfac) 1; pixdim[1..3] the length of each affine column: the voxel size along each file axis.
        BinaryPrimitives.WriteSingleLittleEndian(span[76..], 1f);
        for (int c = 0; c < 3; c++)
        {
            double norm = Math.Sqrt(affine[0, c] * affine[0, c] + affine[1, c] * affine[1, c] + affine[2, c] * affine[2, c]);
            BinaryPrimitives.WriteSingleLittleEndian(span[(80 + 4 * c)..], (float)(norm > 0 ? norm : 1));
        }
        BinaryPrimitives.WriteSingleLittleEndian(span[108..], VoxOffset);
        BinaryPrimitives.WriteSingleLittleEndian(span[112..], 1f);
        BinaryPrimitives.WriteSingleLittleEndian(span[116..], 0f);
        b[123] = 2; // xyzt_units: millimetres
        BinaryPrimitives.WriteSingleLittleEndian(span[124..], maxValue);
        BinaryPrimitives.WriteSingleLittleEndian(span[128..], 0f);
        Encoding.ASCII.GetBytes(description).CopyTo(span[148..]);
        // The reader's affine (sform, else qform, else voxel sizes) written back as the sform: the same
        // orientation whichever the source used; a source with neither keeps neither (voxel sizes only).
        BinaryPrimitives.WriteInt16LittleEndian(span[254..], (short)(writeSform ? 1 : 0));
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) BinaryPrimitives.WriteSingleLittleEndian(span[(280 + 16 * r + 4 * c)..], (float)affine[r, c]);
        if (intent == IntentLabel) Encoding.ASCII.GetBytes("labels").CopyTo(span[328..]);
        "n+1\0"u8.CopyTo(span[344..]);
        return b;
    }
}
