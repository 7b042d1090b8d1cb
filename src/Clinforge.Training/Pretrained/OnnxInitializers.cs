using System.Runtime.InteropServices;
using Clinforge.Core;
using Google.Protobuf;

namespace Clinforge.Training;

/// <summary>One fp32 initialiser of an ONNX graph: its name, shape and values.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, float[] Data);

/// <summary>
/// Reads the fp32 initialisers (the trained weights) of an ONNX model without ONNX Runtime. An ONNX
/// file is a protobuf <c>ModelProto</c> (onnx/onnx.proto): <c>graph</c> is field 7, the graph's
/// <c>initializer</c>s field 5, and each <c>TensorProto</c> holds <c>dims</c> (1), <c>data_type</c> (2,
/// 1 = FLOAT), <c>float_data</c> (4, packed) or <c>raw_data</c> (9, little-endian), and <c>name</c> (8).
/// Only those fields are read; every other field is skipped by its wire type.
/// </summary>
public static class OnnxInitializers
{
    private const int FloatType = 1;

    /// <summary>Every initialiser of the model in <paramref name="path"/>, by name.</summary>
    /// <exception cref="ClinforgeException">The file is not a readable ONNX model or holds a non-float initialiser.</exception>
    public static IReadOnlyDictionary<string, OnnxTensor> Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClinforgeException($"{path}: cannot read the ONNX file ({e.Message}).");
        }
        try
        {
            var result = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
            var model = new CodedInputStream(bytes);
            ByteString? graph = null;
            for (uint tag; (tag = model.ReadTag()) != 0;)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 7 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited) graph = model.ReadBytes();
                else model.SkipLastField();
            }
            if (graph is null) throw new InvalidDataException("no graph (field 7) in the model");
            var g = graph.CreateCodedInput();
            for (uint tag; (tag = g.ReadTag()) != 0;)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 5 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var t = ReadTensor(g.ReadBytes());
                    result[t.Name] = t;
                }
                else g.SkipLastField();
            }
            return result;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            throw new ClinforgeException($"{path}: not a readable ONNX model ({e.Message}); the file may be truncated or corrupt.");
        }
    }

    private static OnnxTensor ReadTensor(ByteString message)
    {
        var s = message.CreateCodedInput();
        var dims = new List<long>();
        int type = 0;
        string name = "";
        var floats = new List<float>();
        byte[]? raw = null;
        for (uint tag; (tag = s.ReadTag()) != 0;)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            switch (field)
            {
                case 1 when wire == WireFormat.WireType.Varint: dims.Add(s.ReadInt64()); break;
                case 1 when wire == WireFormat.WireType.LengthDelimited:
                    // Packed repeated int64 (proto3 default for newer writers).
                    {
                        var packed = s.ReadBytes().CreateCodedInput();
                        while (!packed.IsAtEnd) dims.Add(packed.ReadInt64());
                    }
                    break;
                case 2 when wire == WireFormat.WireType.Varint: type = s.ReadInt32(); break;
                case 4 when wire == WireFormat.WireType.Fixed32: floats.Add(s.ReadFloat()); break;
                case 4 when wire == WireFormat.WireType.LengthDelimited:
                    floats.AddRange(MemoryMarshal.Cast<byte, float>(s.ReadBytes().Span).ToArray());
                    break;
                case 8 when wire == WireFormat.WireType.LengthDelimited: name = s.ReadString(); break;
                case 9 when wire == WireFormat.WireType.LengthDelimited: raw = s.ReadBytes().ToByteArray(); break;
                default: s.SkipLastField(); break;
            }
        }
        if (type != FloatType)
            throw new InvalidDataException($"initialiser '{name}' has data type {type}, not float");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this machine is not.");
        var data = raw is not null ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : floats.ToArray();
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (data.LongLength != count)
            throw new InvalidDataException($"initialiser '{name}' holds {data.LongLength} values for shape [{string.Join(", ", dims)}]");
        return new OnnxTensor(name, dims.ToArray(), data);
    }
}
