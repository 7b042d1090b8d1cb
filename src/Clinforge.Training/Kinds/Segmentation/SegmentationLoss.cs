using Clinforge.Core;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Segmentation losses over the pixels that count (the region of interest, never the letterbox padding):
/// soft Dice over the foreground labels computed on the whole batch ("batch Dice", Isensee et al. 2021,
/// nnU-Net) plus pixel-wise cross-entropy (<c>dice_ce</c>), plus focal loss for thin or rare
/// structures (<c>dice_focal</c>; Lin et al. 2017), or the Tversky index with β &gt; α to weigh missed
/// pixels more than false ones (<c>tversky</c>; Salehi et al. 2017), kept beside cross-entropy for stable gradients.
/// </summary>
public static class SegmentationLoss
{
    private const double Smooth = 1.0;

    /// <summary>The recipe's loss for logits [N, K, H, W], targets [N, H, W] (int64 labels) and counted pixels [N, H, W] (float 0/1).</summary>
    public static Tensor Compute(Tensor logits, Tensor target, Tensor region, SegmentationRecipe seg)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(seg);
        using var scope = NewDisposeScope();
        long k = logits.shape[1];
        var counted = region.sum().clamp_min(1);
        var logp = functional.log_softmax(logits, 1);
        var pixelCe = -logp.gather(1, target.unsqueeze(1)).squeeze(1);
        var p = logp.exp();
        var onehot = functional.one_hot(target, k).permute(0, 3, 1, 2).to_type(p.dtype);
        var r = region.unsqueeze(1);
        // Foreground maps only: background Dice would be near 1 and drown the structure's signal.
        var pf = (p * r).narrow(1, 1, k - 1);
        var tf = (onehot * r).narrow(1, 1, k - 1);
        long[] dims = [0, 2, 3];
        var inter = (pf * tf).sum(dims);
        Tensor overlap;
        if (seg.Loss == "tversky")
        {
            // pf and tf are already zero outside the counted pixels.
            var fp = (pf * (1 - tf)).sum(dims);
            var fn = ((1 - pf) * tf).sum(dims);
            overlap = 1 - ((inter + Smooth) / (inter + seg.TverskyAlpha * fp + seg.TverskyBeta * fn + Smooth)).mean();
        }
        else
        {
            overlap = 1 - ((2 * inter + Smooth) / (pf.sum(dims) + tf.sum(dims) + Smooth)).mean();
        }
        var pixel = seg.Loss == "dice_focal"
            ? (1 - (-pixelCe).exp()).pow(seg.FocalGamma) * pixelCe
            : pixelCe;
        var ce = (pixel * region).sum() / counted;
        return (overlap + ce).MoveToOuterDisposeScope();
    }
}
