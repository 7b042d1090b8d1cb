namespace Clinforge.Core;

/// <summary>
/// package/manifest.json: what <c>clinforge predict</c> loads. The package folder holds the final
/// trial's model.bin, recipe.json and preprocessing.json, the task_spec.json, and this manifest with
/// the operating point chosen on validation; model.onnx when the model could be exported.
/// </summary>
public sealed record ModelPackageManifest
{
    public int SchemaVersion { get; init; } = 1;
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>The run folder the package was made from.</summary>
    public required string Run { get; init; }
    /// <summary>The trial whose model is packaged (the final model of the run).</summary>
    public required int Trial { get; init; }
    /// <summary>Class names in the model's output order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>The class the threshold applies to, or null when the decision is the most probable class.</summary>
    public string? PositiveClass { get; init; }
    /// <summary>Call <see cref="PositiveClass"/> when its probability is ≥ this; NaN means "most probable class".</summary>
    public double Threshold { get; init; } = double.NaN;
    /// <summary>How the threshold was chosen (on the validation split).</summary>
    public string ThresholdRule { get; init; } = "most probable class";
    /// <summary>File names inside the package folder.</summary>
    public string Model { get; init; } = "model.bin";
    public string Recipe { get; init; } = "recipe.json";
    public string Preprocessing { get; init; } = "preprocessing.json";
    public string Spec { get; init; } = "task_spec.json";
    /// <summary>The same model as ONNX with its preprocessing inside the graph (package/model.onnx), or null when the package has none.</summary>
    public OnnxModelInfo? Onnx { get; init; }
    /// <summary>Why there is no model.onnx, when the export was not possible (null otherwise).</summary>
    public string? OnnxUnavailable { get; init; }
}
