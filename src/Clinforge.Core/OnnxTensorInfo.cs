namespace Clinforge.Core;

/// <summary>One input or output of an exported ONNX graph: name, element type, shape ("N" is the batch) and what it holds.</summary>
public sealed record OnnxTensorInfo(string Name, string ElementType, IReadOnlyList<string> Shape, string Layout, string Description);
