using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// A CNN classifier split at its last convolutional feature map, so saliency methods (Grad-CAM) can
/// take gradients with respect to it: <c>forward(x) == Classify(Features(x))</c>.
/// </summary>
public interface IConvClassifier
{
    /// <summary>The last convolutional feature map, [N, K, h, w].</summary>
    Tensor Features(Tensor x);

    /// <summary>Logits from a feature map, [N, classes].</summary>
    Tensor Classify(Tensor features);
}
