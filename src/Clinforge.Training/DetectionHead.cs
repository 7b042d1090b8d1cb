using Clinforge.Core;
using Clinforge.Data;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>A box in pixels of the letterboxed square.</summary>
public readonly record struct PixelBox(double X1, double Y1, double X2, double Y2, int Class)
{
    /// <summary>Width × height in pixels.</summary>
    public double Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);
}

/// <summary>FCOS training targets for a batch: per location class targets, side distances, centre-ness and positive indices.</summary>
public sealed record FcosTargets(float[] Cls, float[] Box, float[] Centerness, long[] Positive, int Grid);

/// <summary>
/// FCOS label assignment (Tian et al. 2019) on one stride-8 map: a location is positive for a box
/// when it lies inside the box and within <c>radius</c> strides of the box centre (centre sampling,
/// FCOS §"improvements"; ATSS, Zhang et al. 2020, shows it is what closes the gap to anchors); when
/// several boxes claim it, the smallest wins. A box too small to contain any location centre gets
/// the location nearest its centre, so every annotated finding is trained on.
/// </summary>
public static class FcosAssigner
{
    /// <summary>Targets for <paramref name="boxes"/> (pixel boxes per sample) on a square of side <paramref name="size"/>.</summary>
    public static FcosTargets Build(IReadOnlyList<IReadOnlyList<PixelBox>> boxes, int size, int classes, double radius, double smoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        int s = FcosLite.Stride, g = size / s, cells = g * g, n = boxes.Count;
        var cls = new float[n * classes * cells];
        var box = new float[n * 4 * cells];
        var ctr = new float[n * cells];
        var positive = new List<long>();
        var owner = new int[cells];
        var ownerArea = new double[cells];
        for (int b = 0; b < n; b++)
        {
            Array.Fill(owner, -1);
            Array.Fill(ownerArea, double.MaxValue);
            var list = boxes[b];
            for (int k = 0; k < list.Count; k++)
            {
                var bx = list[k];
                double cx = (bx.X1 + bx.X2) / 2, cy = (bx.Y1 + bx.Y2) / 2, r = radius * s;
                bool any = false;
                int i0 = Math.Max(0, (int)((bx.Y1 - s / 2.0) / s)), i1 = Math.Min(g - 1, (int)Math.Ceiling((bx.Y2 - s / 2.0) / s));
                int j0 = Math.Max(0, (int)((bx.X1 - s / 2.0) / s)), j1 = Math.Min(g - 1, (int)Math.Ceiling((bx.X2 - s / 2.0) / s));
                for (int i = i0; i <= i1; i++)
                {
                    double py = (i + 0.5) * s;
                    for (int j = j0; j <= j1; j++)
                    {
                        double px = (j + 0.5) * s;
                        bool inside = px > bx.X1 && px < bx.X2 && py > bx.Y1 && py < bx.Y2;
                        bool central = Math.Abs(px - cx) <= r && Math.Abs(py - cy) <= r;
                        if (!inside || !central) continue;
                        any = true;
                        int c = i * g + j;
                        if (bx.Area < ownerArea[c]) { owner[c] = k; ownerArea[c] = bx.Area; }
                    }
                }
                if (!any)
                {
                    int i = Math.Clamp((int)(cy / s), 0, g - 1), j = Math.Clamp((int)(cx / s), 0, g - 1), c = i * g + j;
                    if (bx.Area < ownerArea[c]) { owner[c] = k; ownerArea[c] = bx.Area; }
                }
            }
            for (int c = 0; c < cells; c++)
            {
                if (owner[c] < 0) continue;
                var bx = list[owner[c]];
                double px = (c % g + 0.5) * s, py = (c / g + 0.5) * s;
                // Distances to the sides in strides; a location just outside a tiny box gets a small positive distance.
                double l = Math.Max(px - bx.X1, 0.5), t = Math.Max(py - bx.Y1, 0.5), r = Math.Max(bx.X2 - px, 0.5), d = Math.Max(bx.Y2 - py, 0.5);
                cls[(b * classes + bx.Class) * cells + c] = (float)(1 - smoothing);
                box[(b * 4 + 0) * cells + c] = (float)(l / s);
                box[(b * 4 + 1) * cells + c] = (float)(t / s);
                box[(b * 4 + 2) * cells + c] = (float)(r / s);
                box[(b * 4 + 3) * cells + c] = (float)(d / s);
                ctr[b * cells + c] = (float)Math.Sqrt(Math.Min(l, r) / Math.Max(l, r) * (Math.Min(t, d) / Math.Max(t, d)));
                positive.Add((long)b * cells + c);
            }
        }
        return new FcosTargets(cls, box, ctr, positive.ToArray(), g);
    }
}

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

/// <summary>
/// Turns the model output into boxes: score = sqrt(class probability × centre-ness) (FCOS), the
/// top-k locations above a minimum score, boxes from the side distances, greedy non-maximum
/// suppression (Neubeck and Van Gool 2006), and a cap per image; mapped back to the original image's
/// normalised coordinates through its letterbox frame.
/// </summary>
public static class FcosDecoder
{
    /// <summary>Boxes per image of a batch output [B, K + 5, G, G] (any device).</summary>
    public static List<BoundingBox>[] Decode(Tensor output, IReadOnlyList<LetterboxFrame> frames, int classes, double minScore, double nmsIou, int maxDetections, int topK = 100)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(frames);
        using var scope = NewDisposeScope();
        var o = output.detach().cpu().to(ScalarType.Float32);
        long b = o.shape[0];
        int g = (int)o.shape[2], cells = g * g, s = FcosLite.Stride;
        var probs = functional.sigmoid(o.narrow(1, 0, classes)) * functional.sigmoid(o.narrow(1, classes + 4, 1));
        var score = probs.sqrt().reshape(b, classes, cells).data<float>().ToArray();
        var dist = o.narrow(1, classes, 4).reshape(b, 4, cells).data<float>().ToArray();
        var result = new List<BoundingBox>[b];
        for (int n = 0; n < b; n++)
        {
            var candidates = new List<(float Score, int Cls, int Cell)>();
            for (int k = 0; k < classes; k++)
                for (int c = 0; c < cells; c++)
                {
                    float v = score[(n * classes + k) * cells + c];
                    if (v >= minScore) candidates.Add((v, k, c));
                }
            var boxes = new List<BoundingBox>();
            foreach (var (v, k, c) in candidates.OrderByDescending(x => x.Score).Take(topK))
            {
                double px = (c % g + 0.5) * s, py = (c / g + 0.5) * s;
                double l = dist[(n * 4 + 0) * cells + c] * s, t = dist[(n * 4 + 1) * cells + c] * s, r = dist[(n * 4 + 2) * cells + c] * s, d = dist[(n * 4 + 3) * cells + c] * s;
                boxes.Add(frames[n].FromSquare(px - l, py - t, px + r, py + d, k, v));
            }
            result[n] = Nms(boxes, nmsIou).Where(x => x.Area > 0).Take(maxDetections).ToList();
        }
        return result;
    }

    /// <summary>Greedy NMS per class: keep the highest score, drop boxes overlapping a kept one by more than <paramref name="iou"/>.</summary>
    public static List<BoundingBox> Nms(IEnumerable<BoundingBox> boxes, double iou)
    {
        var kept = new List<BoundingBox>();
        foreach (var bx in boxes.OrderByDescending(x => x.Score))
        {
            if (kept.Any(k => k.Class == bx.Class && k.Iou(bx) > iou)) continue;
            kept.Add(bx);
        }
        return kept;
    }
}
