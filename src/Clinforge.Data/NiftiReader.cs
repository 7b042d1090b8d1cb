using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Reads NIfTI-1 and NIfTI-2 single files (.nii, and .nii.gz through <see cref="GZipStream"/>), either
/// byte order, following the format's reference headers nifti1.h and nifti2.h (NIfTI Data Format
/// Working Group): dimensions, data type, <c>scl_slope</c>/<c>scl_inter</c>, and the voxel-to-world
/// affine (sform when set, else qform, else the voxel sizes). The volume is turned to the closest
/// canonical RAS+ orientation (as nibabel's <c>as_closest_canonical</c> does: axes permuted and flipped,
/// never resampled), so slices along an axis mean the same in every file.
/// </summary>
public static class NiftiReader
{
    private const int Nifti1HeaderSize = 348;
    private const int Nifti2HeaderSize = 540;

    /// <summary>True for names ending in .nii or .nii.gz.</summary>
    public static bool IsNiftiName(string path) =>
        path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads with <see cref="DicomReader.DefaultMaxBytes"/> as the memory limit.</summary>
    public static NiftiVolume Read(string path) => Read(path, DicomReader.DefaultMaxBytes);

    /// <summary>
    /// Reads the file; a broken header, a truncated or damaged gzip stream, an unsupported data type or
    /// a volume whose decoded size passes <paramref name="maxBytes"/> gives a <see cref="ClinforgeException"/>
    /// naming the file.
    /// </summary>
    public static NiftiVolume Read(string path, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: file not found.");
        try
        {
            using var file = File.OpenRead(path);
            bool gz = IsGzip(file);
            using Stream stream = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
            var head = new byte[Nifti2HeaderSize];
            int got = ReadUpTo(stream, head, 0, Nifti1HeaderSize);
            if (got < 4) throw Broken(path, "the file is too short to hold a NIfTI header" + (gz ? " (the gzip stream ends early)" : ""));
            if (got == Nifti1HeaderSize && (BinaryPrimitives.ReadInt32LittleEndian(head) == Nifti2HeaderSize || BinaryPrimitives.ReadInt32BigEndian(head) == Nifti2HeaderSize))
            {
                got += ReadUpTo(stream, head, got, Nifti2HeaderSize - got);
            }
            var header = ParseHeader(path, head, got, gz);
            // In doubles first: NIfTI-2 dimensions are 64-bit and a damaged header can multiply past long.
            double perVolumeExact = (double)header.Dim[1] * header.Dim[2] * header.Dim[3];
            double volumesExact = (double)header.Dim[4] * header.Dim[5] * header.Dim[6] * header.Dim[7];
            int bytesPer = BytesPerVoxel(path, header.Datatype);
            double decodedExact = perVolumeExact * (bytesPer + (header.Datatype == 128 ? 3 : sizeof(float)));
            if (decodedExact > maxBytes || perVolumeExact * bytesPer > Array.MaxLength || volumesExact > int.MaxValue)
            {
                var decodedBytes = decodedExact;
                throw new ClinforgeException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: the volume is too large to read into memory ({string.Join("x", header.Dim.Skip(1).Take((int)Math.Min(3, header.Dim[0])))} voxels of {bytesPer} byte(s), {decodedBytes / (1024.0 * 1024.0):0} MiB decoded; the limit here is {maxBytes / (1024.0 * 1024.0):0} MiB). Crop or downsample it first."));
            }

            long perVolume = (long)perVolumeExact, needed = perVolume * bytesPer;
            int volumeCount = (int)volumesExact;
            // Skip to the voxel data (extensions sit between the header and vox_offset).
            long position = header.HeaderSize;
            long skip = header.VoxOffset - position - (got - header.HeaderSize);
            if (skip < 0) skip = 0;
            Skip(stream, skip, path, gz);
            var raw = new byte[needed];
            int prefix = Math.Max(0, got - (int)Math.Max(header.HeaderSize, header.VoxOffset));
            if (prefix > 0) Array.Copy(head, (int)Math.Max(header.HeaderSize, header.VoxOffset), raw, 0, Math.Min(prefix, raw.Length));
            int read = prefix + ReadUpTo(stream, raw, prefix, (int)needed - prefix);
            if (read < needed)
            {
                throw new ClinforgeException($"{path}: the file ends early: {read} of the {needed} bytes of voxel data its header declares{(gz ? " (the gzip stream is truncated)" : "")}. Re-export or re-copy the file.");
            }
            return Build(path, header, raw, volumeCount);
        }
        catch (InvalidDataException e)
        {
            throw new ClinforgeException($"{path}: the gzip stream is damaged ({e.Message.TrimEnd('.')}). Re-copy the file, or decompress it with gunzip to see where it breaks.");
        }
        catch (EndOfStreamException)
        {
            throw new ClinforgeException($"{path}: the file ends early (truncated). Re-copy the file.");
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new ClinforgeException($"{path}: cannot read the file ({e.Message}).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ClinforgeException($"{path}: permission denied.");
        }
    }

    private sealed record Header(int HeaderSize, bool Swap, int Version, int Datatype, long[] Dim, double[] Pixdim, long VoxOffset, double Slope, double Inter, double[,] Affine, string AffineSource, int IntentCode);

    private static ClinforgeException Broken(string path, string why) =>
        new($"{path}: not a readable NIfTI file ({why}). Check that the file is NIfTI-1 or NIfTI-2 and was copied whole.");

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = file.Read(magic);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    }

    private static int ReadUpTo(Stream s, byte[] buffer, int offset, int count)
    {
        int total = 0;
        while (total < count)
        {
            int n = s.Read(buffer, offset + total, count - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static void Skip(Stream s, long count, string path, bool gz)
    {
        var buffer = new byte[8192];
        while (count > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw new ClinforgeException($"{path}: the file ends before its voxel data begin{(gz ? " (the gzip stream is truncated)" : "")}. Re-copy the file.");
            count -= n;
        }
    }

    private static Header ParseHeader(string path, byte[] head, int got, bool gz)
    {
        int sizeLe = BinaryPrimitives.ReadInt32LittleEndian(head), sizeBe = BinaryPrimitives.ReadInt32BigEndian(head);
        int size; bool swap;
        if (sizeLe is Nifti1HeaderSize or Nifti2HeaderSize) (size, swap) = (sizeLe, false);
        else if (sizeBe is Nifti1HeaderSize or Nifti2HeaderSize) (size, swap) = (sizeBe, true);
        else throw Broken(path, $"sizeof_hdr is {sizeLe}, not 348 (NIfTI-1) or 540 (NIfTI-2)");
        if (got < size) throw Broken(path, $"the header is cut short ({got} of {size} bytes){(gz ? "; the gzip stream ends early" : "")}");

        short I16(int o) => swap ? BinaryPrimitives.ReadInt16BigEndian(head.AsSpan(o)) : BinaryPrimitives.ReadInt16LittleEndian(head.AsSpan(o));
        int I32(int o) => swap ? BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(o)) : BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(o));
        long I64(int o) => swap ? BinaryPrimitives.ReadInt64BigEndian(head.AsSpan(o)) : BinaryPrimitives.ReadInt64LittleEndian(head.AsSpan(o));
        double F32(int o) => swap ? BinaryPrimitives.ReadSingleBigEndian(head.AsSpan(o)) : BinaryPrimitives.ReadSingleLittleEndian(head.AsSpan(o));
        double F64(int o) => swap ? BinaryPrimitives.ReadDoubleBigEndian(head.AsSpan(o)) : BinaryPrimitives.ReadDoubleLittleEndian(head.AsSpan(o));

        int version = size == Nifti1HeaderSize ? 1 : 2;
        string magic = version == 1 ? Encoding.ASCII.GetString(head, 344, 3) : Encoding.ASCII.GetString(head, 4, 3);
        if (magic is not ("n+1" or "ni1" or "n+2" or "ni2"))
            throw Broken(path, $"magic '{magic.Replace("\0", "")}' is not n+{version} (a two-file .hdr/.img pair or ANALYZE 7.5 is not read)");
        if (magic[1] == 'i') throw Broken(path, "it is the header of a .hdr/.img pair; the voxel data are in another file. Convert it to a single .nii");

        var dim = new long[8];
        var pixdim = new double[8];
        int datatype;
        long voxOffset;
        double slope, inter;
        int qformCode, sformCode, intent;
        double qb, qc, qd, qx, qy, qz;
        var srow = new double[3, 4];
        if (version == 1)
        {
            for (int i = 0; i < 8; i++) dim[i] = I16(40 + 2 * i);
            datatype = I16(70);
            for (int i = 0; i < 8; i++) pixdim[i] = F32(76 + 4 * i);
            voxOffset = (long)F32(108);
            (slope, inter) = (F32(112), F32(116));
            intent = I16(68);
            (qformCode, sformCode) = (I16(252), I16(254));
            (qb, qc, qd, qx, qy, qz) = (F32(256), F32(260), F32(264), F32(268), F32(272), F32(276));
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) srow[r, c] = F32(280 + 16 * r + 4 * c);
        }
        else
        {
            datatype = I16(12);
            for (int i = 0; i < 8; i++) dim[i] = I64(16 + 8 * i);
            for (int i = 0; i < 8; i++) pixdim[i] = F64(104 + 8 * i);
            voxOffset = I64(168);
            (slope, inter) = (F64(176), F64(184));
            (qformCode, sformCode) = (I32(344), I32(348));
            (qb, qc, qd, qx, qy, qz) = (F64(352), F64(360), F64(368), F64(376), F64(384), F64(392));
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) srow[r, c] = F64(400 + 32 * r + 8 * c);
            intent = I32(504);
        }
        if (dim[0] is < 1 or > 7) throw Broken(path, $"dim[0] is {dim[0]}, not 1..7");
        for (int i = 1; i <= dim[0]; i++)
        {
            if (dim[i] < 1) throw Broken(path, $"dim[{i}] is {dim[i]}; every dimension must be at least 1");
        }
        for (int i = (int)dim[0] + 1; i < 8; i++) dim[i] = 1;
        if (dim[0] < 2) throw Broken(path, "it holds a 1-D signal, not an image");
        if (voxOffset < size && voxOffset != 0) throw Broken(path, $"vox_offset {voxOffset} points inside the header");
        if (voxOffset == 0) voxOffset = size + 4;
        // nifti1.h: a zero or non-finite slope means "no scaling".
        if (!double.IsFinite(slope) || slope == 0) (slope, inter) = (1, 0);
        if (!double.IsFinite(inter)) inter = 0;

        double[,] affine;
        string source;
        if (sformCode > 0 && IsFinite(srow))
        {
            affine = srow;
            source = "sform";
        }
        else if (qformCode > 0)
        {
            affine = QuaternionAffine(qb, qc, qd, qx, qy, qz, pixdim);
            source = "qform";
        }
        else
        {
            affine = new double[3, 4];
            for (int i = 0; i < 3; i++) affine[i, i] = pixdim[i + 1] is > 0 and var p && double.IsFinite(p) ? p : 1;
            source = "voxel sizes only (no sform or qform)";
        }
        return new Header(size, swap, version, datatype, dim, pixdim, voxOffset, slope, inter, affine, source, intent);
    }

    private static bool IsFinite(double[,] m)
    {
        bool any = false;
        foreach (var v in m)
        {
            if (!double.IsFinite(v)) return false;
            any |= v != 0;
        }
        return any;
    }

    /// <summary>nifti1.h "METHOD 2": rotation from the quaternion (b, c, d), qfac from pixdim[0], scaled by the voxel sizes.</summary>
    private static double[,] QuaternionAffine(double b, double c, double d, double x, double y, double z, double[] pixdim)
    {
        double a = 1 - (b * b + c * c + d * d);
        if (a < 1e-7)
        {
            double n = 1 / Math.Sqrt(b * b + c * c + d * d);
            (b, c, d, a) = (b * n, c * n, d * n, 0);
        }
        else
        {
            a = Math.Sqrt(a);
        }
        double qfac = pixdim[0] < 0 ? -1 : 1;
        double dx = pixdim[1] > 0 ? pixdim[1] : 1, dy = pixdim[2] > 0 ? pixdim[2] : 1, dz = (pixdim[3] > 0 ? pixdim[3] : 1) * qfac;
        return new double[,]
        {
            { (a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * dz, x },
            { 2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * dz, y },
            { 2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * dz, z },
        };
    }

    private static int BytesPerVoxel(string path, int datatype) => datatype switch
    {
        2 or 256 => 1,
        4 or 512 => 2,
        8 or 16 or 768 => 4,
        64 or 1024 or 1280 => 8,
        128 => 3,
        _ => throw new ClinforgeException($"{path}: NIfTI data type {datatype} ({DatatypeName(datatype)}) is not read; scalar integer and float types and RGB24 are. Convert the volume first."),
    };

    private static string DatatypeName(int datatype) => datatype switch
    {
        1 => "binary",
        32 => "complex64",
        1536 => "float128",
        1792 => "complex128",
        2048 => "complex256",
        2304 => "RGBA32",
        _ => "unknown",
    };

    private static NiftiVolume Build(string path, Header h, byte[] raw, int volumeCount)
    {
        int nx = (int)h.Dim[1], ny = (int)h.Dim[2], nz = h.Dim[0] >= 3 ? (int)h.Dim[3] : 1;
        long n = (long)nx * ny * nz;
        bool rgb = h.Datatype == 128;
        float[]? values = rgb ? null : new float[n];
        byte[]? colour = rgb ? raw : null;
        if (values is not null)
        {
            var span = raw.AsSpan();
            bool s = h.Swap;
            for (long i = 0; i < n; i++)
            {
                double v = h.Datatype switch
                {
                    2 => span[(int)i],
                    256 => (sbyte)span[(int)i],
                    4 => s ? BinaryPrimitives.ReadInt16BigEndian(span[(int)(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(span[(int)(2 * i)..]),
                    512 => s ? BinaryPrimitives.ReadUInt16BigEndian(span[(int)(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(2 * i)..]),
                    8 => s ? BinaryPrimitives.ReadInt32BigEndian(span[(int)(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(span[(int)(4 * i)..]),
                    768 => s ? BinaryPrimitives.ReadUInt32BigEndian(span[(int)(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(4 * i)..]),
                    16 => s ? BinaryPrimitives.ReadSingleBigEndian(span[(int)(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(span[(int)(4 * i)..]),
                    64 => s ? BinaryPrimitives.ReadDoubleBigEndian(span[(int)(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(span[(int)(8 * i)..]),
                    1024 => s ? BinaryPrimitives.ReadInt64BigEndian(span[(int)(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(span[(int)(8 * i)..]),
                    _ => s ? BinaryPrimitives.ReadUInt64BigEndian(span[(int)(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(span[(int)(8 * i)..]),
                };
                if (!double.IsFinite(v)) v = 0;
                values[i] = (float)(v * h.Slope + h.Inter);
            }
        }
        return NiftiVolume.Canonical(path, h.Version, h.Datatype, [nx, ny, nz], [Spacing(h.Pixdim[1]), Spacing(h.Pixdim[2]), Spacing(h.Pixdim[3])],
            h.Affine, h.AffineSource, h.Slope, h.Inter, values, colour, volumeCount, h.IntentCode);
    }

    private static double Spacing(double p) => p > 0 && double.IsFinite(p) ? p : 1;
}
