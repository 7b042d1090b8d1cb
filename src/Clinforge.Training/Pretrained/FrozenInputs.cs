using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// A trial's training and validation inputs taken after the frozen stages (<see cref="FrozenCache"/>):
/// training images in <see cref="Views"/> versions (view-major), one drawn at random per image and
/// epoch; validation images as they are, and horizontally flipped when the recipe averages over flips.
/// </summary>
public sealed class FrozenInputs(Tensor train, long trainCount, int views, Tensor val, Tensor? valFlipped) : IDisposable
{
    /// <summary>Training inputs, [views × N, ...].</summary>
    public Tensor Train { get; } = train;

    /// <summary>Validation inputs, [N, ...].</summary>
    public Tensor Val { get; } = val;

    /// <summary>Versions of each training image.</summary>
    public int Views { get; } = views;

    /// <summary>Seconds spent computing what the run's cache did not hold yet (0 when everything was read from it).</summary>
    public double ComputedSeconds { get; init; }

    /// <summary>A batch for training-image indices: each image in one of its views, drawn with <paramref name="gen"/>.</summary>
    public Func<Tensor, Tensor> Fetch(Generator gen) => idx =>
    {
        if (Views == 1) return Train.index_select(0, idx);
        var view = randint(0, Views, idx.shape, dtype: ScalarType.Int64, generator: gen);
        return Train.index_select(0, view * trainCount + idx);
    };

    /// <summary>Validation probabilities and loss, averaged with the flipped copy when <paramref name="tta"/> is set.</summary>
    public (double Loss, double[][] Probabilities) PredictVal(nn.Module<Tensor, Tensor> model, int[] labels, bool tta, Device device, LossFunction lossFn)
    {
        var (loss, probs) = Trainer.Predict(model, Val, labels, false, device, lossFn);
        if (!tta || valFlipped is null) return (loss, probs);
        var (_, flipped) = Trainer.Predict(model, valFlipped, null, false, device);
        for (int i = 0; i < probs.Length; i++)
            for (int k = 0; k < probs[i].Length; k++) probs[i][k] = (probs[i][k] + flipped[i][k]) / 2;
        return (loss, probs);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
        valFlipped?.Dispose();
    }
}
