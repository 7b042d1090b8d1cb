using Google.Protobuf;

namespace Clinforge.Training.Onnx;

/// <summary>Writes protobuf fields by number (the few wire types ONNX needs).</summary>
internal readonly struct ProtoWriter(CodedOutputStream output)
{
    public void WriteInt64(int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }

    public void WriteFloat(int field, float value)
    {
        output.WriteTag(field, WireFormat.WireType.Fixed32);
        output.WriteFloat(value);
    }

    public void WriteString(int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    public void WriteBytes(int field, byte[] value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
    }

    public void WriteMessage(int field, byte[] message) => WriteBytes(field, message);
}
