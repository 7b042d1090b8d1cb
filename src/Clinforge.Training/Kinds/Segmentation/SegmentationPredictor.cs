using Clinforge.Core;
using Clinforge.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Inference of a segmenter: class probabilities on the letterboxed square (read in patch-sized tiles
/// when it is larger than a training patch, averaged over flips when the recipe asks), label maps by the most probable class, mapped back to an image's own
/// pixels by bilinear interpolation of the probabilities, and the recipe's small-component removal.
/// </summary>
public static class SegmentationPredictor
{
    /// <summary>
    /// Images per inference batch: whole images of up to 1024² px keep a few hundred MB of activations.
    /// At most 8: from 16 images up, libtorch's CPU convolution tries NNPACK, and on a CPU without it
    /// prints a warning per call; past a few million pixels a batch also leaves the caches (the
    /// detector's validation ran three times faster in smaller batches).
    /// </summary>
    public static int InferenceBatch(int size) => Math.Clamp(2 * 576 * 576 / Math.Max(size * size, 1), 1, 8);

    /// <summary>
    /// Tiles per forward pass in sliding-window inference: one. Measured on the 2-core CPU
    /// (<c>bench -- segmentation-throughput</c>, 1024-px square, 25 tiles of 256 px): 1.6 s one tile at a
    /// time against 3.7 s in batches of four, whose activations leave the caches as a whole image's do.
    /// </summary>
    public const int TileBatch = 1;

    /// <summary>
    /// Softmax probabilities [n, K, S, S] of a normalised batch, averaged over horizontal and vertical
    /// flips when <see cref="SegmentationRecipe.FlipInference"/>. A square larger than the training patch
    /// is read in overlapping patch-sized tiles (<see cref="SlidingWindow"/>), a smaller one whole.
    /// </summary>
    public static Tensor Probabilities(Module<Tensor, Tensor> model, Tensor x, SegmentationRecipe seg)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(seg);
        var window = new SlidingWindow((int)x.shape[2], seg.PatchSize);
        if (window.Whole) return TileProbabilities(model, x, seg);
        using var scope = NewDisposeScope();
        int t = window.Tile, size = window.Size;
        var squares = new List<Tensor>();
        for (long n = 0; n < x.shape[0]; n++)
        {
            var image = x[n];
            var probs = window.Blend(seg.ClassCount, TileBatch, origins =>
            {
                using var tileScope = NewDisposeScope();
                var tiles = stack(origins.Select(o => image.narrow(1, o.Y, t).narrow(2, o.X, t)).ToList());
                return TileProbabilities(model, tiles, seg).cpu().data<float>().ToArray();
            });
            squares.Add(tensor(probs, [seg.ClassCount, size, size]));
        }
        return stack(squares).to(x.device).MoveToOuterDisposeScope();
    }

    /// <summary>Softmax probabilities of a batch read whole (a batch of tiles, or of squares no larger than a tile), flip-averaged when the recipe says.</summary>
    private static Tensor TileProbabilities(Module<Tensor, Tensor> model, Tensor x, SegmentationRecipe seg)
    {
        using var scope = NewDisposeScope();
        var p = functional.softmax(model.forward(x), 1);
        if (seg.FlipInference)
        {
            p = p + functional.softmax(model.forward(x.flip(3)), 1).flip(3);
            p = p + functional.softmax(model.forward(x.flip(2)), 1).flip(2);
            p = p / 3;
        }
        return p.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The letterboxed square's probabilities [K, S, S] through a runtime that takes tiles of 0–255 pixels
    /// in NHWC order, as the package's model.onnx does: the tiles of <see cref="SlidingWindow"/> are cut
    /// from <paramref name="chw"/> (the letterboxed image on the 0–1 scale, channel planes) and handed
    /// to <paramref name="run"/> as [n, T, T, C] with n and T; it returns their probabilities [n, K, T, T].
    /// </summary>
    public static float[] ProbabilitiesOfTiles(float[] chw, int channels, int size, SegmentationRecipe seg, Func<float[], int, int, float[]> run)
    {
        ArgumentNullException.ThrowIfNull(chw);
        ArgumentNullException.ThrowIfNull(seg);
        ArgumentNullException.ThrowIfNull(run);
        var window = new SlidingWindow(size, seg.PatchSize);
        int t = window.Tile, plane = size * size;
        float[] Cut(IReadOnlyList<(int X, int Y)> origins)
        {
            var hwc = new float[origins.Count * t * t * channels];
            for (int i = 0; i < origins.Count; i++)
            {
                var (ox, oy) = origins[i];
                for (int y = 0; y < t; y++)
                    for (int x = 0; x < t; x++)
                        for (int c = 0; c < channels; c++)
                            hwc[((i * t + y) * t + x) * channels + c] = chw[c * plane + (oy + y) * size + ox + x] * 255f;
            }
            return hwc;
        }
        if (window.Whole) return run(Cut(window.Origins), 1, t);
        return window.Blend(seg.ClassCount, TileBatch, origins => run(Cut(origins), origins.Count, t));
    }

    /// <summary>
    /// Label maps of the letterboxed squares (post-processed per the recipe) for uint8 pixels
    /// [N, C, S, S] (<see cref="SegmentationSet.PixelTensor"/>), normalised batch by batch with
    /// <paramref name="pre"/>; with <paramref name="truth"/> also the mean loss over its counted pixels.
    /// </summary>
    public static (double Loss, List<byte[]> Maps) Predict(Module<Tensor, Tensor> model, Tensor x, Preprocessing pre, SegmentationRecipe seg, Device device, SegmentationSet? truth)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pre);
        ArgumentNullException.ThrowIfNull(seg);
        model.eval();
        long n = x.shape[0];
        int size = (int)x.shape[2], batch = InferenceBatch(size);
        var maps = new List<byte[]>();
        double lossSum = 0;
        using var noGrad = no_grad();
        for (long s = 0; s < n; s += batch)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(batch, n - s);
            var xb = Trainer.Normalize(x.narrow(0, s, len), pre).to(device);
            var p = Probabilities(model, xb, seg);
            var labels = p.argmax(1).to_type(ScalarType.Byte).cpu();
            var bytes = labels.data<byte>().ToArray();
            for (int i = 0; i < len; i++)
            {
                var map = bytes.AsSpan(i * size * size, size * size).ToArray();
                SegmentationPostprocess.RemoveSmallComponents(map, size, size, seg.MinComponentPixels);
                maps.Add(map);
            }
            if (truth is not null)
            {
                var y = tensor(truth.Labels.AsSpan((int)(s * truth.Plane), (int)(len * truth.Plane)).ToArray(), [len, size, size]).to_type(ScalarType.Int64);
                var r = tensor(truth.Region.AsSpan((int)(s * truth.Plane), (int)(len * truth.Plane)).ToArray(), [len, size, size]).to_type(ScalarType.Float32);
                // The loss of the averaged probabilities (log of p), as the training loss would see them.
                lossSum += SegmentationLoss.Compute(p.clamp_min(1e-7).log(), y, r, seg).item<float>() * len;
            }
        }
        return (lossSum / Math.Max(n, 1), maps);
    }

    /// <summary>
    /// Probabilities [K, S, S] (row-major, class planes) of a letterboxed square back on the image's own
    /// width × height pixels: each pixel's centre is located in the square and the probabilities
    /// interpolated bilinearly; the most probable class wins.
    /// </summary>
    public static byte[] ToImage(ReadOnlySpan<float> probabilities, int classes, LetterboxFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        int size = frame.Size, plane = size * size;
        if (probabilities.Length != classes * plane) throw new ArgumentException($"expected {classes}×{size}² probabilities, got {probabilities.Length}", nameof(probabilities));
        var labels = new byte[frame.Width * frame.Height];
        for (int y = 0; y < frame.Height; y++)
        {
            double v = Math.Clamp((y + 0.5) * frame.Scale - 0.5 + frame.PadY, 0, size - 1);
            int v0 = (int)v, v1 = Math.Min(size - 1, v0 + 1);
            double fv = v - v0;
            for (int x = 0; x < frame.Width; x++)
            {
                double u = Math.Clamp((x + 0.5) * frame.Scale - 0.5 + frame.PadX, 0, size - 1);
                int u0 = (int)u, u1 = Math.Min(size - 1, u0 + 1);
                double fu = u - u0;
                int best = 0;
                double bestP = double.NegativeInfinity;
                for (int k = 0; k < classes; k++)
                {
                    var c = probabilities.Slice(k * plane, plane);
                    double pk = (1 - fv) * ((1 - fu) * c[v0 * size + u0] + fu * c[v0 * size + u1]) + fv * ((1 - fu) * c[v1 * size + u0] + fu * c[v1 * size + u1]);
                    if (pk > bestP) { bestP = pk; best = k; }
                }
                labels[y * frame.Width + x] = (byte)best;
            }
        }
        return labels;
    }

    /// <summary>
    /// Label maps of the items on their own pixels, from a model on <paramref name="device"/> with its
    /// preprocessing and recipe: the small-component rule applies at the image's scale (the recipe's
    /// size is in pixels of the working square).
    /// </summary>
    public static List<byte[]> PredictImages(Module<Tensor, Tensor> model, Preprocessing pre, Recipe recipe, Dataset dataset, IReadOnlyList<DataItem> items, Device device) =>
        PredictImages(model, pre, recipe, items.Select(i => dataset.Load(i)).ToList(), device);

    /// <summary>Label maps of decoded images on their own pixels (see the overload on dataset items).</summary>
    public static List<byte[]> PredictImages(Module<Tensor, Tensor> model, Preprocessing pre, Recipe recipe, IReadOnlyList<RawImage> images, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pre);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(images);
        var seg = recipe.Segmentation ?? new SegmentationRecipe();
        int size = recipe.Input.Size, channels = recipe.Input.Channels, per = channels * size * size;
        model.eval();
        var result = new List<byte[]>();
        using var noGrad = no_grad();
        foreach (var image in images)
        {
            using var scope = NewDisposeScope();
            var pixels = new float[per];
            var frame = Letterbox.ToTensorChw(ImageContrast.Prepare(image, seg.Contrast), size, channels, pixels);
            var x = Trainer.ToTensor(pixels, 1, channels, size, pre).to(device);
            var p = Probabilities(model, x, seg).cpu();
            result.Add(LabelImage(p.data<float>().ToArray(), seg, frame));
        }
        return result;
    }

    /// <summary>
    /// The label map on the image's own pixels from the letterboxed square's probabilities [K, S, S]
    /// (<see cref="ToImage"/>), with the recipe's small-component rule at the image's scale (its size
    /// is in pixels of the working square). Every runtime (TorchSharp, ONNX) finishes a prediction here.
    /// </summary>
    public static byte[] LabelImage(ReadOnlySpan<float> probabilities, SegmentationRecipe seg, LetterboxFrame frame)
    {
        ArgumentNullException.ThrowIfNull(seg);
        ArgumentNullException.ThrowIfNull(frame);
        var labels = ToImage(probabilities, seg.ClassCount, frame);
        SegmentationPostprocess.RemoveSmallComponents(labels, frame.Width, frame.Height, (int)Math.Round(seg.MinComponentPixels / (frame.Scale * frame.Scale)));
        return labels;
    }

    /// <summary>Loads a trial's or package's model (recipe, preprocessing and weights) for inference.</summary>
    public static (Module<Tensor, Tensor> Model, Preprocessing Pre, Recipe Recipe) Load(string recipePath, string preprocessingPath, string modelPath)
    {
        var recipe = Json.Read<Recipe>(recipePath);
        var pre = Json.Read<Preprocessing>(preprocessingPath);
        var seg = recipe.Segmentation ?? throw new ClinforgeException($"{recipePath}: not a segmentation recipe.");
        var model = ModelRegistry.Create(recipe.Model, pre.Channels, seg.ClassCount);
        model.load(modelPath);
        model.to(NativeRuntime.PreferredDevice());
        return (model, pre, recipe);
    }
}
