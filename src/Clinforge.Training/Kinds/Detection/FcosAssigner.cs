using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

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
