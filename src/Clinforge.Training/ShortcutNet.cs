using Clinforge.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Gradient reversal layer (Ganin &amp; Lempitsky 2015, "Unsupervised domain adaptation by
/// backpropagation"): the identity on the forward pass, the gradient multiplied by −λ on the backward
/// pass. Written as sg(x) − λ·(x − sg(x)) with sg = stop-gradient: the value is exactly x, the derivative −λ,
/// so no custom autograd function is needed.
/// </summary>
public static class GradientReversal
{
    /// <summary>Identity forward, gradient × −<paramref name="lambda"/> backward.</summary>
    public static Tensor Apply(Tensor x, double lambda)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        var frozen = x.detach();
        return (frozen - (x - frozen) * lambda).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The adaptation-factor ramp of Ganin &amp; Lempitsky 2015: λ_p = λ·(2 / (1 + exp(−10 p)) − 1) for
    /// training progress p ∈ [0, 1], so the adversary starts gently while its head is still random.
    /// </summary>
    public static double Ramp(double lambda, double progress) => lambda * (2.0 / (1.0 + Math.Exp(-10 * Math.Clamp(progress, 0, 1))) - 1.0);
}

/// <summary>
/// The recipe's own classifier (any registry model split at its feature map, <see cref="IConvClassifier"/>)
/// with a second, adversarial head that tries to predict the confounder (e.g. a chest drain) from the
/// pooled image features and the label; the features reach that head through a
/// <see cref="GradientReversal"/> layer, so the encoder learns features from which the confounder cannot
/// be told apart <i>within each label</i>. Conditioning the adversary on the label (as in conditional
/// adversarial debiasing, Zhang, Lemoine &amp; Mitchell 2018) targets exactly what the acceptance rule
/// measures: prediction independent of the confounder once the label is known. Wrapping the recipe's
/// model rather than a fixed encoder keeps a debiased trial comparable to the plain baseline: the same
/// architecture, width and depth, only the debiasing differs. <see cref="Module{T,TResult}.forward"/>
/// is the wrapped model's, so prediction, packaging and Grad-CAM apply unchanged.
/// </summary>
public sealed class ShortcutNet : Module<Tensor, Tensor>, IConvClassifier, IOnnxExportable
{
    private readonly Module<Tensor, Tensor> _classifier;
    private readonly Sequential _adversary;
    private readonly int _classes;

    /// <summary>Wraps <paramref name="classifier"/> (an <see cref="IConvClassifier"/> whose feature map has <paramref name="featureChannels"/> channels) with an MLP confounder head.</summary>
    public ShortcutNet(Module<Tensor, Tensor> classifier, int classes, int featureChannels) : base(nameof(ShortcutNet))
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (classifier is not IConvClassifier)
            throw new Core.ClinforgeException($"debiasing needs a convolutional classifier split at its feature map; model '{classifier.GetName()}' is not one.");
        _classifier = classifier;
        _adversary = Sequential(("a0", Linear(featureChannels + classes, 32)), ("a1", ReLU()), ("a2", Linear(32, 1)));
        _classes = classes;
        RegisterComponents();
    }

    /// <summary>The recipe's model (<paramref name="spec"/>, from the registry) with the confounder head.</summary>
    public static ShortcutNet For(Core.ModelSpec spec, int inChannels, int classes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var classifier = ModelRegistry.Create(spec, inChannels, classes);
        if (classifier is not IConvClassifier conv)
        {
            classifier.Dispose();
            throw new Core.ClinforgeException($"recipe.json: debiasing needs a convolutional classifier split at its feature map; model '{spec.Name}' is not one (use resnet or simple_cnn).");
        }
        // The feature map's channel count, read from one small forward pass (no gradient, eval mode).
        long channels;
        classifier.eval();
        using (no_grad())
        using (var probe = zeros(1, inChannels, 32, 32))
        using (var features = conv.Features(probe))
            channels = features.shape[1];
        classifier.train();
        return new ShortcutNet(classifier, classes, (int)channels);
    }

    /// <summary>The wrapped classifier.</summary>
    public Module<Tensor, Tensor> Classifier => _classifier;

    /// <summary>Label logits (the wrapped model's).</summary>
    public override Tensor forward(Tensor x) => _classifier.forward(x);

    /// <summary>The wrapped classifier only: the adversary is not used at inference.</summary>
    public string ExportOnnx(OnnxGraph graph, string input) => OnnxLayers.Write(graph, _classifier, input);

    /// <inheritdoc />
    public Tensor Features(Tensor x) => ((IConvClassifier)_classifier).Features(x);

    /// <inheritdoc />
    public Tensor Classify(Tensor features) => ((IConvClassifier)_classifier).Classify(features);

    /// <summary>
    /// Label logits and the adversary's confounder logit (shape [N]) for soft label targets
    /// <paramref name="labelTargets"/> ([N, classes]); the pooled features pass a gradient reversal with <paramref name="lambda"/>.
    /// </summary>
    public (Tensor Logits, Tensor ConfounderLogit) ForwardWithAdversary(Tensor x, Tensor labelTargets, double lambda)
    {
        ArgumentNullException.ThrowIfNull(labelTargets);
        if (labelTargets.shape[1] != _classes) throw new ArgumentException($"label targets must have {_classes} columns", nameof(labelTargets));
        using var scope = NewDisposeScope();
        var features = Features(x);
        var logits = Classify(features);
        var z = functional.adaptive_avg_pool2d(features, 1).flatten(1);
        var adv = _adversary.forward(cat([GradientReversal.Apply(z, lambda), labelTargets], 1)).squeeze(1);
        return (logits.MoveToOuterDisposeScope(), adv.MoveToOuterDisposeScope());
    }
}
