using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>A loss: (logits [N,K], targets [N]) → scalar.</summary>
public delegate Tensor LossFunction(Tensor logits, Tensor targets);
