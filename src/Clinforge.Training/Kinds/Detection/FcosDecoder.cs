using Clinforge.Core;
using Clinforge.Data;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

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
