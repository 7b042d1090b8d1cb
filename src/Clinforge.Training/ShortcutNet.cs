using TorchSharp;
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
/// A convolutional classifier with a second, adversarial head that tries to predict the confounder
/// (e.g. a chest drain) from the image features and the label; the features reach that head through
/// a <see cref="GradientReversal"/> layer, so the encoder learns features from which the confounder
/// cannot be told apart <i>within each label</i>. Conditioning the adversary on the label (as in
/// conditional adversarial debiasing, Zhang, Lemoine &amp; Mitchell 2018) targets exactly what the
/// acceptance rule measures: prediction independent of the confounder once the label is known.
/// <see cref="Module{T,TResult}.forward"/> returns the label logits, so the usual prediction code applies.
/// </summary>
public sealed class ShortcutNet : Module<Tensor, Tensor>
{
    private readonly Sequential _features;
    private readonly Dropout _dropout;
    private readonly Linear _head;
    private readonly Sequential _adversary;
    private readonly int _classes;

    /// <summary>A Conv–BN–ReLU encoder (three stages of width w, 2w, 4w; <paramref name="depth"/> blocks each), a linear label head and an MLP confounder head.</summary>
    public ShortcutNet(int inChannels, int classes, int width, int depth, double dropout) : base(nameof(ShortcutNet))
    {
        // The same encoder as the registry's simple_cnn, so debiased and plain models compare like for like.
        _features = SimpleCnn.FeatureStack(inChannels, width, depth, out int ch);
        _dropout = Dropout(dropout);
        _head = Linear(ch, classes);
        _adversary = Sequential(("a0", Linear(ch + classes, 32)), ("a1", ReLU()), ("a2", Linear(32, 1)));
        _classes = classes;
        RegisterComponents();
    }

    /// <summary>Label logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _head.forward(_dropout.forward(Embed(x))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Label logits and the adversary's confounder logit (shape [N]) for soft label targets
    /// <paramref name="labelTargets"/> ([N, classes]); the features pass a gradient reversal with <paramref name="lambda"/>.
    /// </summary>
    public (Tensor Logits, Tensor ConfounderLogit) ForwardWithAdversary(Tensor x, Tensor labelTargets, double lambda)
    {
        ArgumentNullException.ThrowIfNull(labelTargets);
        if (labelTargets.shape[1] != _classes) throw new ArgumentException($"label targets must have {_classes} columns", nameof(labelTargets));
        using var scope = NewDisposeScope();
        var z = Embed(x);
        var logits = _head.forward(_dropout.forward(z));
        var adv = _adversary.forward(cat([GradientReversal.Apply(z, lambda), labelTargets], 1)).squeeze(1);
        return (logits.MoveToOuterDisposeScope(), adv.MoveToOuterDisposeScope());
    }

    private Tensor Embed(Tensor x) => functional.adaptive_avg_pool2d(_features.forward(x), 1).flatten(1);
}
