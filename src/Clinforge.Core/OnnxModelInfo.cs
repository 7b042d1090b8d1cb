namespace Clinforge.Core;

/// <summary>
/// What package/model.onnx is and how to feed it, recorded in manifest.json so a deploying team needs
/// only the file and this record: the preprocessing the graph does itself is listed in
/// <see cref="InGraph"/>; what it does not do (decoding, resizing) is in <see cref="Input"/>.
/// </summary>
public sealed record OnnxModelInfo
{
    /// <summary>File name inside the package folder.</summary>
    public string File { get; init; } = "model.onnx";
    /// <summary>Size of the file in bytes.</summary>
    public required long Bytes { get; init; }
    /// <summary>ONNX operator set (default domain) the graph uses.</summary>
    public required int Opset { get; init; }
    /// <summary>ONNX IR version of the file.</summary>
    public required int IrVersion { get; init; }
    /// <summary>Nodes and float parameters in the graph.</summary>
    public required int Nodes { get; init; }
    public required long Parameters { get; init; }
    /// <summary>The one input.</summary>
    public required OnnxTensorInfo Input { get; init; }
    /// <summary>The one output.</summary>
    public required OnnxTensorInfo Output { get; init; }
    /// <summary>The steps inside the graph, in order, from the input to the output.</summary>
    public required IReadOnlyList<string> InGraph { get; init; }
    /// <summary>Seconds the export took.</summary>
    public double ExportSeconds { get; init; }
}
