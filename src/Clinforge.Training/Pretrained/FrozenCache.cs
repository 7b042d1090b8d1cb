using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// The output of a model's frozen stages, computed once per image and view and reused every epoch
/// (and by every later trial of the run with the same frozen part: the cache is a file named by a hash
/// of the weights, the images, the resolution, the frozen depth and the augmentation). Frozen stages
/// compute a fixed function (their batch norm in evaluation mode), so skipping them changes nothing
/// but the cost: for a linear probe at 224 px, a ~2 GMAC forward pass per image and epoch becomes one
/// 512×k matrix product.
/// </summary>
public static class FrozenCache
{
    /// <summary>Largest cache held in memory (training views plus validation); above it the frozen stages run every batch.</summary>
    public const long MaxBytes = 3L << 30;

    /// <summary>Largest by-product file (a shallower stage's output, kept for a later trial); larger ones are not written.</summary>
    public const long MaxByproductBytes = 1L << 30;

    /// <summary>Floats per image at <paramref name="level"/> (1–3: stage outputs; 4: pooled features).</summary>
    public static long FloatsPerImage(int level, int size) => level == 4
        ? ResNet18Backbone.StageChannels[3]
        : ResNet18Backbone.StageChannels[level - 1] * (long)Math.Pow(size / ResNet18Backbone.StageStrides[level - 1], 2);

    /// <summary>
    /// Frozen-stage outputs of the <paramref name="n"/> inputs that <paramref name="slice"/> hands out
    /// (start, length), for view 0 (the image) and views 1.. (augmented with <paramref name="augmentation"/>),
    /// stacked view-major: [views × N, ...]. <paramref name="computedSeconds"/> is the time spent
    /// computing views that were not cached yet (0 when every view was read from the cache).
    /// </summary>
    /// <remarks>
    /// With a <paramref name="folder"/>, a view that has to be computed also leaves the shallower stage
    /// outputs its pass went through (levels below <paramref name="level"/> whose file stays under
    /// <see cref="MaxByproductBytes"/>), named by <paramref name="keyOf"/>: the playbook's next move after
    /// a linear head is fine-tuning from stage 3 or 2, and that trial then reads its frozen input
    /// instead of running the same stages over every image again. The by-products are bit-identical to
    /// what that trial would compute: the same weights, images and augmentation draws.
    /// </remarks>
    public static Tensor Compute(PretrainedResNet model, long n, Func<long, long, Tensor> slice, int size, int level, int views, AugmentationSpec augmentation, Generator gen,
        string? folder, Func<int, string> keyOf, Action<string> log, out double computedSeconds, int batchSize = 32)
    {
        var parts = new List<Tensor>();
        var clock = Stopwatch.StartNew();
        int computed = 0;
        string? FileOf(int l, int v) => folder is null ? null : Path.Combine(folder, $"frozen-{keyOf(l)}-v{v}.f32");
        var byproducts = folder is null ? [] : Enumerable.Range(1, level - 1)
            .Where(l => FloatsPerImage(l, size) * n * sizeof(float) <= MaxByproductBytes).ToList();
        for (int v = 0; v < views; v++)
        {
            var file = FileOf(level, v);
            if (file is not null && TryRead(file, out var cached)) { parts.Add(cached); continue; }
            var wanted = byproducts.Where(l => !File.Exists(FileOf(l, v))).Append(level).ToList();
            var outputs = Run(model, n, slice, wanted, v == 0 ? null : augmentation, gen, batchSize);
            computed++;
            foreach (var (l, t) in outputs)
            {
                if (FileOf(l, v) is { } f) Write(f, t);
                if (l != level) t.Dispose();
            }
            if (outputs.Count > 1)
                log($"frozen stages: view {v} also cached the stage {string.Join(", ", outputs.Keys.Where(l => l != level).Order())} output(s) its pass went through, for later fine-tuning trials");
            parts.Add(outputs[level]);
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        computedSeconds = computed > 0 ? clock.Elapsed.TotalSeconds : 0;
        if (computed > 0)
            log(string.Create(CultureInfo.InvariantCulture,
                $"frozen stages: {computed} view(s) of {n} images computed in {clock.Elapsed.TotalSeconds:F1}s ({computed * n / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} images/s){(folder is null ? "" : $", cached in {folder}")}"));
        else log($"frozen stages: {views} view(s) of {n} images read from the cache ({clock.Elapsed.TotalSeconds:F1}s)");
        return all;
    }

    /// <summary>A cache key from everything that determines the frozen output.</summary>
    public static string Key(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts)));
        return Convert.ToHexStringLower(hash)[..24];
    }

    private static Dictionary<int, Tensor> Run(PretrainedResNet model, long n, Func<long, long, Tensor> slice, IReadOnlyList<int> levels, AugmentationSpec? augmentation, Generator gen, int batchSize)
    {
        model.eval();
        using var noGrad = no_grad();
        var device = NativeRuntime.PreferredDevice();
        var outputs = levels.ToDictionary(l => l, _ => new List<Tensor>());
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var xb = slice(start, Math.Min(batchSize, n - start));
            if (augmentation is not null) xb = Augmenter.Apply(xb, augmentation, gen);
            foreach (var (l, t) in model.CacheInputs(xb.to(device), levels)) outputs[l].Add(t.cpu().MoveToOuterDisposeScope());
        }
        var result = new Dictionary<int, Tensor>();
        foreach (var (l, list) in outputs)
        {
            result[l] = cat(list, 0);
            foreach (var o in list) o.Dispose();
        }
        return result;
    }

    // File layout: int32 rank, int64 dims, then float32 values (little-endian, this machine's order).
    private static void Write(string file, Tensor t)
    {
        // One span holds at most 2 GB; larger views are recomputed rather than cached.
        if (t.numel() * sizeof(float) > int.MaxValue) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temp = $"{file}.{Guid.NewGuid():N}.tmp";
            using (var stream = File.Create(temp))
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write((int)t.dim());
                foreach (var d in t.shape) writer.Write(d);
                var data = t.contiguous().data<float>().ToArray();
                writer.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            }
            File.Move(temp, file, overwrite: true);
        }
        catch (IOException)
        {
            // A cache that cannot be written only costs time in later trials.
        }
    }

    private static bool TryRead(string file, out Tensor t)
    {
        t = null!;
        if (!File.Exists(file)) return false;
        try
        {
            using var stream = File.OpenRead(file);
            using var reader = new BinaryReader(stream);
            int rank = reader.ReadInt32();
            var shape = new long[rank];
            for (int i = 0; i < rank; i++) shape[i] = reader.ReadInt64();
            long count = shape.Aggregate(1L, (a, d) => a * d);
            if (count * sizeof(float) != stream.Length - stream.Position || count * sizeof(float) > int.MaxValue) return false;
            var data = new float[count];
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            t = tensor(data, shape);
            return true;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            return false;
        }
    }
}
