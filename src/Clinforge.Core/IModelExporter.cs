namespace Clinforge.Core;

/// <summary>
/// Writes a trained model in a format a hospital can deploy without Clinforge (ONNX), into the
/// package being assembled. Implemented where the network lives (Training) and handed to the
/// package writer (Reporting), which must not depend on the training runtime.
/// </summary>
public interface IModelExporter
{
    /// <summary>Exports the model of <paramref name="trial"/> (model.bin, recipe.json, preprocessing.json) into <paramref name="directory"/>; returns what was written.</summary>
    OnnxModelInfo Export(TrialPaths trial, string directory);
}
