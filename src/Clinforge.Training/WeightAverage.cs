using Clinforge.Core;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// An exponential moving average of a model's weights (Polyak &amp; Juditsky 1992; the "model EMA" of
/// Tarvainen &amp; Valpola 2017 and timm): a shadow copy updated after every optimiser step,
/// shadow ← d·shadow + (1 − d)·weights, with the decay warmed up as min(d, (1 + t)/(10 + t)) so the
/// average is usable after the few hundred steps a CPU trial takes. Batch-norm statistics are copied,
/// not averaged. The shadow is what gets validated and saved.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly Module<Tensor, Tensor> _shadow;
    private readonly double _decay;
    private long _updates;

    /// <summary>A shadow of <paramref name="model"/> (same architecture) starting from its current weights.</summary>
    public WeightAverage(Module<Tensor, Tensor> model, ModelSpec spec, int channels, int classes, double decay, Device device)
    {
        if (decay is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "EMA decay must lie in (0, 1)");
        _decay = decay;
        _shadow = ModelRegistry.Create(spec, channels, classes);
        _shadow.to(device);
        using var noGrad = no_grad();
        foreach (var (s, m) in _shadow.parameters().Zip(model.parameters())) s.copy_(m);
        foreach (var (s, m) in _shadow.buffers().Zip(model.buffers())) s.copy_(m);
        foreach (var p in _shadow.parameters()) p.requires_grad = false;
    }

    /// <summary>The averaged model.</summary>
    public Module<Tensor, Tensor> Model => _shadow;

    /// <summary>The decay used at the next update (after warm-up: the configured one).</summary>
    public double CurrentDecay => Math.Min(_decay, (1.0 + _updates + 1) / (10.0 + _updates + 1));

    /// <summary>Folds the model's current weights into the average; call after each optimiser step.</summary>
    public void Update(Module<Tensor, Tensor> model)
    {
        double d = CurrentDecay;
        _updates++;
        using var noGrad = no_grad();
        // Frozen weights (a pretrained model's frozen stages) stay bit-identical: d·w + (1 − d)·w rounds.
        foreach (var (s, m) in _shadow.parameters().Zip(model.parameters()))
            if (m.requires_grad) s.mul_(d).add_(m.detach(), alpha: 1 - d);
        foreach (var (s, m) in _shadow.buffers().Zip(model.buffers())) s.copy_(m);
    }

    /// <inheritdoc />
    public void Dispose() => _shadow.Dispose();
}
