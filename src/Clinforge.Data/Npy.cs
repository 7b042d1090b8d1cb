using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>A NumPy array as read from a .npy stream: dtype, shape and the raw C-order bytes.</summary>
internal sealed record NpyArray(string Descr, long[] Shape, byte[] Data)
{
    /// <summary>Bytes per element, from the dtype's size digits (e.g. '&lt;i8' → 8).</summary>
    public int ItemSize => int.Parse(Descr.AsSpan(2), CultureInfo.InvariantCulture);

    public char Kind => Descr[1];

    public bool BigEndian => Descr[0] == '>';

    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads the .npy format (versions 1, 2 and 3): magic "\x93NUMPY", version, header length, a Python
/// dict literal with 'descr', 'fortran_order' and 'shape', then the data.
/// </summary>
internal static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(Stream stream, string source)
    {
        var prefix = new byte[8];
        if (!TryReadExactly(stream, prefix) || !prefix.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new ClinforgeException($"{source}: not a NumPy .npy array (bad magic bytes). Recreate the file with numpy.savez.");
        }
        var major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            var len = new byte[2];
            if (!TryReadExactly(stream, len)) throw Truncated(source);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            var len = new byte[4];
            if (!TryReadExactly(stream, len)) throw Truncated(source);
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(len));
        }
        else
        {
            throw new ClinforgeException($"{source}: .npy format version {major} is not supported (1, 2 and 3 are).");
        }
        var headerBytes = new byte[headerLength];
        if (!TryReadExactly(stream, headerBytes)) throw Truncated(source);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shapeMatch = ShapeRegex().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            throw new ClinforgeException($"{source}: cannot read the .npy header '{header.Trim()}'.");
        }
        var d = descr.Groups[1].Value;
        if (d.Length == 2 && d[0] is 'u' or 'i' or 'b' or 'f') d = "|" + d; // numpy accepts 'u1' without byte order
        if (!DtypeRegex().IsMatch(d))
        {
            throw new ClinforgeException($"{source}: dtype '{descr.Groups[1].Value}' is not supported (plain integer, boolean or float arrays are).");
        }
        if (fortran.Groups[1].Value == "True")
        {
            throw new ClinforgeException($"{source}: the array is stored in Fortran order. Save it with numpy.ascontiguousarray first.");
        }
        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s.TrimEnd('L'), CultureInfo.InvariantCulture))
            .ToArray();

        var array = new NpyArray(d, shape, []);
        var bytes = array.Count * array.ItemSize;
        if (bytes > Array.MaxLength)
        {
            throw new ClinforgeException($"{source}: the array ({string.Join("x", shape)}) is too large to load at once ({bytes / (1 << 20)} MiB).");
        }
        var data = new byte[bytes];
        if (!TryReadExactly(stream, data)) throw Truncated(source);
        return array with { Data = data };
    }

    /// <summary>Reads integer labels (any integer or boolean dtype, or floats holding whole numbers) as int.</summary>
    public static int[] ToInt32(NpyArray a, string source)
    {
        var n = checked((int)a.Count);
        var result = new int[n];
        var span = a.Data.AsSpan();
        var size = a.ItemSize;
        for (var i = 0; i < n; i++)
        {
            var s = span.Slice(i * size, size);
            long v;
            switch (a.Kind, size)
            {
                case ('u', 1): case ('b', 1): v = s[0]; break;
                case ('i', 1): v = (sbyte)s[0]; break;
                case ('u', 2): v = a.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s); break;
                case ('i', 2): v = a.BigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s); break;
                case ('u', 4): v = a.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s); break;
                case ('i', 4): v = a.BigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s); break;
                case ('u', 8): v = (long)(a.BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s)); break;
                case ('i', 8): v = a.BigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s); break;
                case ('f', 4): v = Whole(a.BigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s), i, source); break;
                case ('f', 8): v = Whole(a.BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s), i, source); break;
                default: throw new ClinforgeException($"{source}: labels of dtype '{a.Descr}' are not supported; use integers.");
            }
            if (v is < 0 or > int.MaxValue) throw new ClinforgeException($"{source}: label {v} at index {i} is not a class index (0, 1, ...).");
            result[i] = (int)v;
        }
        return result;
    }

    private static long Whole(double x, int index, string source) =>
        x == Math.Floor(x) && !double.IsInfinity(x) ? (long)x : throw new ClinforgeException($"{source}: label {x} at index {index} is not a whole number; labels must be class indices.");

    private static ClinforgeException Truncated(string source) => new($"{source}: the array ends early (truncated file). Download or save it again.");

    private static bool TryReadExactly(Stream stream, byte[] buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();

    [GeneratedRegex(@"^[<>|=][uibf][1248]$")]
    private static partial Regex DtypeRegex();
}
