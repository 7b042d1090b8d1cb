namespace Clinforge.Training;

/// <summary>
/// Post-processing of predicted label maps: removing connected components (8-connectivity) smaller than
/// a size, per label. nnU-Net keeps such a step only when validation says it helps (Isensee et al.
/// 2021); here it is a playbook move judged the same way.
/// </summary>
public static class SegmentationPostprocess
{
    /// <summary>Sets every component of a foreground label smaller than <paramref name="minPixels"/> to background, in place; returns the pixels removed.</summary>
    public static int RemoveSmallComponents(Span<byte> labels, int width, int height, int minPixels)
    {
        if (minPixels <= 1) return 0;
        if (labels.Length != width * height) throw new ArgumentException($"labels hold {labels.Length} pixels, expected {width}×{height}", nameof(labels));
        var seen = new bool[labels.Length];
        var stack = new Stack<int>();
        var component = new List<int>();
        int removed = 0;
        for (int start = 0; start < labels.Length; start++)
        {
            if (seen[start] || labels[start] == 0) continue;
            byte label = labels[start];
            component.Clear();
            stack.Push(start);
            seen[start] = true;
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                component.Add(p);
                int x = p % width, y = p / width;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
                        int q = ny * width + nx;
                        if (seen[q] || labels[q] != label) continue;
                        seen[q] = true;
                        stack.Push(q);
                    }
            }
            if (component.Count >= minPixels) continue;
            foreach (var p in component) labels[p] = 0;
            removed += component.Count;
        }
        return removed;
    }
}
