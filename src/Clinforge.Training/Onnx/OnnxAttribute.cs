namespace Clinforge.Training.Onnx;

/// <summary>
/// One ONNX node attribute (AttributeProto: name = 1, f = 2, i = 3, floats = 7, ints = 8, type = 20
/// with FLOAT = 1, INT = 2, FLOATS = 6, INTS = 7).
/// </summary>
public sealed record OnnxAttribute
{
    private readonly string _name;
    private readonly Action<ProtoWriter> _value;

    private OnnxAttribute(string name, Action<ProtoWriter> value)
    {
        _name = name;
        _value = value;
    }

    /// <summary>An integer attribute (e.g. <c>transB</c>, <c>axis</c>).</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, o => { o.WriteInt64(3, value); o.WriteInt64(20, 2); });

    /// <summary>A float attribute (e.g. <c>epsilon</c>).</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, o => { o.WriteFloat(2, value); o.WriteInt64(20, 1); });

    /// <summary>A string attribute (e.g. Resize's <c>mode</c>): AttributeProto field 4 (bytes, UTF-8), type STRING.</summary>
    public static OnnxAttribute Text(string name, string value) => new(name, o => { o.WriteString(4, value); o.WriteInt64(20, 3); });

    /// <summary>An integer-list attribute (e.g. <c>kernel_shape</c>, <c>pads</c>, <c>perm</c>).</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, o =>
    {
        foreach (var v in values) o.WriteInt64(8, v);
        o.WriteInt64(20, 7);
    });

    internal byte[] Serialize() => OnnxGraph.Message(o =>
    {
        o.WriteString(1, _name);
        _value(o);
    });
}
