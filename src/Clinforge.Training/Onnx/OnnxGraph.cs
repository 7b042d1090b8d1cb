using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Clinforge.Training.Onnx;

/// <summary>
/// A small ONNX graph builder: nodes, named initialisers, one float input and one float output,
/// serialised as an ONNX <c>ModelProto</c>. The messages are written field by field with the protobuf
/// wire-format writer; the field numbers are those of onnx/onnx.proto (ModelProto.graph = 7,
/// GraphProto.node = 1, initializer = 5, input = 11, output = 12; NodeProto input = 1, output = 2,
/// name = 3, op_type = 4, attribute = 5; TensorProto dims = 1, data_type = 2, name = 8, raw_data = 9;
/// AttributeProto name = 1, f = 2, i = 3, ints = 8, type = 20), see ../shared/notes/weights-and-formats.md.
/// Names are made unique by the builder, so a module's description only says what it computes.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The operator set the graph is written against (ONNX default domain).</summary>
    public const int Opset = 13;

    /// <summary>ONNX IR version 7 is the one that goes with opset 13 (onnx/docs/Versioning.md).</summary>
    public const int IrVersion = 7;

    private const int FloatType = 1, Int64Type = 7;
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary>Number of nodes written so far.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Number of parameters (float initialiser elements) written so far.</summary>
    public long ParameterCount { get; private set; }

    /// <summary>A name not used yet, built from <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        var stem = string.IsNullOrEmpty(hint) ? "t" : hint;
        if (_names.Add(stem)) return stem;
        int k = _counters.GetValueOrDefault(stem);
        string name;
        do name = $"{stem}_{++k}"; while (!_names.Add(name));
        _counters[stem] = k;
        return name;
    }

    /// <summary>Adds a float initialiser of shape <paramref name="dims"/>; returns its name.</summary>
    public string Constant(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        if (dims.Aggregate(1L, (a, d) => a * d) != values.Length)
            throw new ArgumentException($"initialiser {hint}: {values.Length} values do not fill shape [{string.Join(",", dims)}]", nameof(values));
        var name = Fresh(hint);
        _initializers.Add(Tensor(name, FloatType, dims, MemoryMarshal.AsBytes(values)));
        ParameterCount += values.Length;
        return name;
    }

    /// <summary>Adds an int64 initialiser (shapes, axes, slice bounds); returns its name.</summary>
    public string Int64Constant(string hint, params long[] values)
    {
        var name = Fresh(hint);
        _initializers.Add(Tensor(name, Int64Type, [values.Length], MemoryMarshal.AsBytes(values.AsSpan())));
        return name;
    }

    /// <summary>Adds a node with one output; returns the output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
        Node(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] Node(string opType, IReadOnlyList<string> inputs, int outputs, params OnnxAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var outNames = Enumerable.Range(0, outputs).Select(_ => Fresh(opType.ToLowerInvariant())).ToArray();
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs) o.WriteString(1, i);
            foreach (var n in outNames) o.WriteString(2, n);
            o.WriteString(3, Fresh("n_" + opType));
            o.WriteString(4, opType);
            foreach (var a in attributes) o.WriteMessage(5, a.Serialize());
        }));
        return outNames;
    }

    /// <summary>An Identity node whose output has exactly <paramref name="name"/> (a graph output); returns the name.</summary>
    public string Identity(string input, string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX graph: the name '{name}' is already used");
        _nodes.Add(Message(o =>
        {
            o.WriteString(1, input);
            o.WriteString(2, name);
            o.WriteString(3, Fresh("n_Identity"));
            o.WriteString(4, "Identity");
        }));
        return name;
    }

    /// <summary>
    /// Serialises the model: one float input and one float output with the given shapes (a string
    /// entry is a symbolic dimension such as the batch size, a number a fixed one), plus key/value
    /// metadata that ONNX Runtime and Netron show.
    /// </summary>
    public byte[] ToModel(string graphName, string input, IReadOnlyList<object> inputShape, string output, IReadOnlyList<object> outputShape,
        IReadOnlyDictionary<string, string> metadata, string docString)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var graph = Message(o =>
        {
            foreach (var n in _nodes) o.WriteBytes(1, n);
            o.WriteString(2, graphName);
            foreach (var t in _initializers) o.WriteBytes(5, t);
            o.WriteString(10, docString);
            o.WriteMessage(11, ValueInfo(input, inputShape));
            o.WriteMessage(12, ValueInfo(output, outputShape));
        });
        return Message(o =>
        {
            o.WriteInt64(1, IrVersion);
            o.WriteString(2, "Clinforge");
            o.WriteString(3, typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "0");
            o.WriteString(6, docString);
            o.WriteBytes(7, graph);
            o.WriteMessage(8, Message(op => { op.WriteString(1, ""); op.WriteInt64(2, Opset); }));
            foreach (var (k, v) in metadata) o.WriteMessage(14, Message(kv => { kv.WriteString(1, k); kv.WriteString(2, v); }));
        });
    }

    private static byte[] Tensor(string name, int dataType, long[] dims, ReadOnlySpan<byte> littleEndian)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this writer assumes a little-endian machine.");
        var raw = littleEndian.ToArray();
        return Message(o =>
        {
            foreach (var d in dims) o.WriteInt64(1, d);
            o.WriteInt64(2, dataType);
            o.WriteString(8, name);
            o.WriteBytes(9, raw);
        });
    }

    private static byte[] ValueInfo(string name, IReadOnlyList<object> shape) => Message(o =>
    {
        o.WriteString(1, name);
        // TypeProto.tensor_type (1) → elem_type (1) float, shape (2) → dim (1) → dim_value (1) | dim_param (2).
        o.WriteMessage(2, Message(type => type.WriteMessage(1, Message(tensor =>
        {
            tensor.WriteInt64(1, FloatType);
            tensor.WriteMessage(2, Message(s =>
            {
                foreach (var d in shape)
                    s.WriteMessage(1, Message(dim =>
                    {
                        if (d is string param) dim.WriteString(2, param);
                        else dim.WriteInt64(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
                    }));
            }));
        }))));
    });

    /// <summary>Serialises one message written by <paramref name="write"/> (fields in the order given).</summary>
    internal static byte[] Message(Action<ProtoWriter> write)
    {
        using var stream = new MemoryStream();
        using (var coded = new CodedOutputStream(stream, leaveOpen: true))
            write(new ProtoWriter(coded));
        return stream.ToArray();
    }
}
