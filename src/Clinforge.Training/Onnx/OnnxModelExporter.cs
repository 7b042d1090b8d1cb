using Clinforge.Core;

namespace Clinforge.Training.Onnx;

/// <summary>The package's ONNX exporter: a trial folder's model as package/model.onnx (<see cref="OnnxExport"/>).</summary>
public sealed class OnnxModelExporter : IModelExporter
{
    /// <inheritdoc />
    public OnnxModelInfo Export(TrialPaths trial, string directory) => OnnxExport.WriteTrial(trial, directory);
}
