namespace Clinforge.Training.Onnx;

/// <summary>
/// A network (or block) that can describe its forward pass, in eval mode, as ONNX nodes. A registry
/// model implements this so that <see cref="OnnxExport"/> can write it into package/model.onnx;
/// a new backbone is exported by implementing it, usually with the standard layers of
/// <see cref="OnnxLayers"/> (which also walks <c>Sequential</c> containers of such layers). Any
/// preprocessing the network does itself (channel order, grey repeated to three channels, a fixed
/// mean) belongs in its description too, so the exported file needs nothing beside it.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Writes the nodes computing this module's output from the tensor named <paramref name="input"/>; returns the output's name.</summary>
    string ExportOnnx(OnnxGraph graph, string input);
}
