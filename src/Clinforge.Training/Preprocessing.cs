using Clinforge.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Per-channel normalisation, (x − mean) / std on pixels in [0, 1]; travels with the model. Computed
/// on the training images, or fixed by pretrained weights (then <see cref="Scheme"/> says what the
/// weights expect).
/// </summary>
public sealed record Preprocessing(int Size, int Channels, float[] Mean, float[] Std, IReadOnlyList<string> Classes)
{
    /// <summary>Null for statistics of the training images; otherwise the pretrained weights' input convention in words.</summary>
    public string? Scheme { get; init; }

    /// <summary>How many networks the saved model file holds, averaged (a cross-validated trial keeps its fold models); 1 for one network.</summary>
    public int FoldModels { get; init; } = 1;

    /// <summary>
    /// Stages (stem and stages 1..N of a pretrained ResNet-18) that every averaged network holds
    /// identically, frozen from the same weights, and that the model file therefore stores once; 0: none.
    /// </summary>
    public int SharedStages { get; init; }
}
