using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// Augmentation as batched tensor operations on [N,C,H,W]: a random choice per sample is a mask and
/// <c>where</c>, never a per-image loop, so the cost stays negligible next to the convolutions.
/// </summary>
public static class Augmenter
{
    /// <summary>Applies the recipe's augmentations to a batch; returns a new tensor.</summary>
    public static Tensor Apply(Tensor x, AugmentationSpec spec, Generator gen)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0];
        var y = x;
        if (spec.HorizontalFlip > 0) y = Where(RandMask(n, spec.HorizontalFlip, gen), y.flip(3), y);
        if (spec.VerticalFlip > 0) y = Where(RandMask(n, spec.VerticalFlip, gen), y.flip(2), y);
        if (spec.Rotate90 > 0 && y.shape[2] == y.shape[3])
        {
            // k ∈ {1,2,3} with probability Rotate90, else 0: rotations are exact on a pixel grid.
            var k = randint(1, 4, [n], generator: gen) * RandMask(n, spec.Rotate90, gen).to(ScalarType.Int64);
            for (int r = 1; r <= 3; r++)
                y = Where(k.eq(r), y.rot90(r, (2, 3)), y);
        }
        if (spec.CropPadding > 0) y = RandomTranslate(y, spec.CropPadding, gen);
        if (spec.Brightness > 0)
        {
            // Contrast around the per-image mean, then brightness as a gain (Krizhevsky et al. 2012 style photometric jitter).
            var c = 1 + (rand([n, 1, 1, 1], generator: gen) * 2 - 1) * spec.Brightness;
            var b = 1 + (rand([n, 1, 1, 1], generator: gen) * 2 - 1) * spec.Brightness;
            var mean = y.mean([1, 2, 3], keepdim: true);
            y = ((y - mean) * c + mean) * b;
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Random shift of up to <paramref name="fraction"/> of the side with reflected borders: the
    /// batched equivalent of pad-and-random-crop (the CIFAR recipe of He et al. 2016).
    /// </summary>
    private static Tensor RandomTranslate(Tensor x, double fraction, Generator gen)
    {
        long n = x.shape[0];
        var shift = (rand([n, 2], generator: gen) * 2 - 1) * (2 * fraction);
        var theta = zeros([n, 2, 3]);
        theta[TensorIndex.Colon, 0, 0] = tensor(1f);
        theta[TensorIndex.Colon, 1, 1] = tensor(1f);
        theta[TensorIndex.Colon, TensorIndex.Colon, 2] = shift.to(ScalarType.Float32);
        var grid = nn.functional.affine_grid(theta.to(x.dtype), [n, x.shape[1], x.shape[2], x.shape[3]], align_corners: false);
        return nn.functional.grid_sample(x, grid, mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Reflection, align_corners: false);
    }

    private static Tensor RandMask(long n, double p, Generator gen) => rand([n], generator: gen).lt(p);

    private static Tensor Where(Tensor mask, Tensor a, Tensor b) => where(mask.view(-1, 1, 1, 1), a, b);
}
