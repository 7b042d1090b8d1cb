using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// The FCOS loss: sigmoid focal loss on every location (Lin et al. 2017; α, γ from the recipe),
/// GIoU loss on the side distances of positive locations weighted by their centre-ness target
/// (Rezatofighi et al. 2019; FCOS), and binary cross-entropy on centre-ness; classification and box
/// terms normalised by the number of positives.
/// </summary>
public static class FcosLoss
{
    /// <summary>Total loss of a batch; <paramref name="output"/> is the model output [B, K + 5, G, G].</summary>
    public static Tensor Compute(Tensor output, FcosTargets targets, int classes, double alpha, double gamma)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(targets);
        var device = output.device;
        long b = output.shape[0];
        int g = targets.Grid;
        var logits = output.narrow(1, 0, classes);
        var t = tensor(targets.Cls, [b, classes, g, g], device: device);
        var p = functional.sigmoid(logits);
        var ce = functional.binary_cross_entropy_with_logits(logits, t, reduction: Reduction.None);
        var pt = p * t + (1 - p) * (1 - t);
        var alphaT = t * alpha + (1 - t) * (1 - alpha);
        double numPos = Math.Max(targets.Positive.Length, 1);
        var focal = (alphaT * ce * (1 - pt).pow(gamma)).sum() / numPos;
        if (targets.Positive.Length == 0) return focal;

        var idx = tensor(targets.Positive, device: device);
        var predBox = output.narrow(1, classes, 4).permute(0, 2, 3, 1).reshape(-1, 4).index_select(0, idx);
        var ctrLogit = output.narrow(1, classes + 4, 1).reshape(-1).index_select(0, idx);
        var tgtBox = tensor(targets.Box, [b, 4, g, g], device: device).permute(0, 2, 3, 1).reshape(-1, 4).index_select(0, idx);
        var tgtCtr = tensor(targets.Centerness, device: device).index_select(0, idx);
        var giou = Giou(predBox, tgtBox);
        var boxLoss = ((1 - giou) * tgtCtr).sum() / tgtCtr.sum().clamp_min(1e-6);
        var ctrLoss = functional.binary_cross_entropy_with_logits(ctrLogit, tgtCtr);
        return focal + boxLoss + ctrLoss;
    }

    /// <summary>Generalised IoU of boxes given as (left, top, right, bottom) distances from the same point.</summary>
    public static Tensor Giou(Tensor pred, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(pred);
        ArgumentNullException.ThrowIfNull(target);
        var (pl, pt, pr, pb) = (pred[.., 0], pred[.., 1], pred[.., 2], pred[.., 3]);
        var (tl, tt, tr, tb) = (target[.., 0], target[.., 1], target[.., 2], target[.., 3]);
        var predArea = (pl + pr) * (pt + pb);
        var tgtArea = (tl + tr) * (tt + tb);
        var inter = (minimum(pl, tl) + minimum(pr, tr)) * (minimum(pt, tt) + minimum(pb, tb));
        var union = predArea + tgtArea - inter;
        var iou = inter / union.clamp_min(1e-6);
        var enclose = (maximum(pl, tl) + maximum(pr, tr)) * (maximum(pt, tt) + maximum(pb, tb));
        return iou - (enclose - union) / enclose.clamp_min(1e-6);
    }
}
