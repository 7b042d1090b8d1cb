using System.Diagnostics;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// Data at the seed study's scale: a generated set of 25,000 RGB images (ISIC 2019's size) decoded once
/// at 224 px into the memory-mapped byte cache, then trained from it with batches assembled lazily and
/// gathered ahead on a background thread. Prints the decode time and cache size, the loader's own rate,
/// training images/s from the mapped set beside the same recipe trained from a 2,000-image set held in
/// memory (the ratio is the cost of the cache), and the process's peak memory, all measured in one run.
/// </summary>
internal static class LargeSetBench
{
    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int count = Option(args, "--images") is { } n ? int.Parse(n, inv) : 25_000;
        int size = Option(args, "--size") is { } s ? int.Parse(s, inv) : 224;
        double seconds = Option(args, "--seconds") is { } t ? double.Parse(t, inv) : 90;
        string root = Option(args, "--folder") ?? Path.Combine(Path.GetTempPath(), $"clinforge-largeset-{count}-{size}");
        NativeRuntime.Initialize(Environment.ProcessorCount, 1);
        using var memory = new MemorySampler();
        Console.WriteLine($"== large-set: {count} generated RGB images, trained at {size} px; {Environment.ProcessorCount} cores, {MemorySampler.TotalGiB():F1} GiB memory; folder {root}");

        // 1. The images, as PNG files a clinician's folder would hold (generated once, reused by later runs).
        var clock = Stopwatch.StartNew();
        if (!Directory.Exists(root) || Directory.EnumerateFiles(root, "*.png", SearchOption.AllDirectories).Count() != count)
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            SyntheticLesions.Generate(root, count, seed: 11, size: size + size / 8);
            Console.WriteLine($"generated {count} PNGs of {size + size / 8} px in {clock.Elapsed.TotalSeconds:F0}s");
        }
        var ds = DatasetReader.Open(root);
        var items = ds.Items.ToArray();
        new Random(11).Shuffle(items);
        int valCount = Math.Min(1000, count / 10);
        var val = items[..valCount];
        var train = items[valCount..];

        // 2. Decoded once into the run's cache (what every trial of a run then maps).
        var cache = Path.Combine(root + "-run", "cache");
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        clock.Restart();
        var (trainStore, trainLabels) = ImageCache.Load(ds, train, size, 3, cache);
        var (valStore, valLabels) = ImageCache.Load(ds, val, size, 3, cache);
        double decode = clock.Elapsed.TotalSeconds;
        long cacheBytes = Directory.GetFiles(cache).Sum(f => new FileInfo(f).Length);
        Console.WriteLine(string.Create(inv, $"decoded {count} images in {decode:F0}s ({count / decode:F0} images/s); cache {cacheBytes / 1e9:F2} GB on disk, memory-mapped (as floats the set would be {cacheBytes * 4 / 1e9:F1} GB)"));
        clock.Restart();
        using (ImageCache.Load(ds, train, size, 3, cache).Pixels)
            Console.WriteLine(string.Create(inv, $"a later trial's load of the same {train.Length} images maps the cache in {clock.Elapsed.TotalMilliseconds:F0} ms"));

        var trainSet = new ImageSet(trainStore, trainLabels, train.Select(i => i.Id).ToArray());
        var valSet = new ImageSet(valStore, valLabels, val.Select(i => i.Id).ToArray());
        int small = Math.Min(2000, train.Length);
        var smallSet = InMemory(trainSet, small);
        Console.WriteLine($"in-memory comparison set: the first {small} training images held in a managed array");

        // 3. The loader alone: how fast batches come out of the mapped cache, with no model to wait for.
        var pre = Pretraining.Preprocessing(size, 3, ds.Classes);
        foreach (var (name, set) in new[] { ("mapped", trainSet), ("in memory", smallSet) })
        {
            using var batches = new ImageBatches(set, pre);
            using var order = randperm(set.Count, generator: new TorchSharp.torch.Generator(3));
            batches.Plan(order, 32);
            clock.Restart();
            int taken = 0;
            for (int b = 0; b * 32 < set.Count && clock.Elapsed.TotalSeconds < 15; b++)
            {
                using var scope = NewDisposeScope();
                var x = batches.Select(order.narrow(0, b * 32, Math.Min(32, set.Count - b * 32)));
                taken += (int)x.shape[0];
            }
            Console.WriteLine(string.Create(inv, $"loader alone ({name}): {taken / clock.Elapsed.TotalSeconds:F0} images/s assembled and normalised at {size} px ({batches.Prefetched} batches gathered ahead, {batches.GatheredInline} inline)"));
        }

        // 4. Training throughput, mapped vs in memory, for the recipes a run at this size would use.
        var recipes = new (string Name, Recipe Recipe)[]
        {
            ("resnet18_pretrained, full fine-tune", new Recipe
            {
                Input = new InputSpec(size, 3), Model = new ModelSpec("resnet18_pretrained", 64, 1), BatchSize = 32, MaxEpochs = 1000, Seed = 1,
                FineTune = new FineTuneSpec("full"), Optimizer = new OptimizerSpec("adamw", 1e-3),
            }),
            ("resnet w16 from scratch", new Recipe
            {
                Input = new InputSpec(size, 3), Model = new ModelSpec("resnet", 16, 1), BatchSize = 32, MaxEpochs = 1000, Seed = 1,
            }),
        };
        var rows = new List<string>();
        foreach (var (name, recipe) in recipes)
        {
            var speeds = new Dictionary<string, double>();
            // Untimed warm-up: weights read, kernels chosen, pages of the model touched once.
            var warm = Directory.CreateTempSubdirectory("clinforge-largeset-warm-");
            new Trainer(_ => { }).Train(recipe with { MaxEpochs = 1 }, smallSet, valSet, ds.Classes, Accuracy, DateTime.UtcNow.AddSeconds(Math.Max(5, seconds / 10)), new TrialPaths(warm.FullName));
            warm.Delete(recursive: true);
            foreach (var (arm, set) in new[] { ("in memory", smallSet), ("mapped", trainSet) })
            {
                var dir = Directory.CreateTempSubdirectory("clinforge-largeset-trial-");
                var outcome = new Trainer(_ => { }).Train(recipe, set, valSet, ds.Classes, Accuracy, DateTime.UtcNow.AddSeconds(seconds), new TrialPaths(dir.FullName));
                dir.Delete(recursive: true);
                speeds[arm] = outcome.Metrics.ImagesPerSecond;
                Console.WriteLine(string.Create(inv, $"{name,-38} {arm,-10} {outcome.Metrics.ImagesPerSecond,7:F1} images/s ({outcome.Metrics.Status}, {outcome.Metrics.Epochs} epoch(s) begun in {seconds:F0}s)"));
            }
            rows.Add(string.Create(inv, $"{name,-38} mapped/in-memory throughput = {speeds["mapped"] / speeds["in memory"]:F2}"));
        }
        trainStore.Dispose();
        valStore.Dispose();

        Console.WriteLine();
        Console.WriteLine("== summary");
        foreach (var r in rows) Console.WriteLine(r);
        Console.WriteLine(string.Create(inv, $"peak anonymous memory {memory.PeakAnonGiB:F2} GiB, peak resident (with mapped cache pages) {MemorySampler.HighWaterGiB():F2} GiB, of {MemorySampler.TotalGiB():F1} GiB"));
        return 0;
    }

    private static ValidationMetrics Accuracy(int[] labels, double[][] probs)
    {
        double acc = labels.Select((l, i) => (probs[i][1] >= 0.5 ? 1 : 0) == l ? 1.0 : 0).Average();
        return new ValidationMetrics(acc, "accuracy", double.NaN, acc, acc, double.NaN, double.NaN, 0.5);
    }

    private static ImageSet InMemory(ImageSet set, int n)
    {
        var bytes = new byte[n * set.Pixels.BytesPerImage];
        set.Pixels.Gather(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), bytes);
        return new ImageSet(PixelStore.InMemory(bytes, n, set.Channels, set.Size), set.Labels[..n], set.Ids.Take(n).ToArray());
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Samples the process's anonymous resident memory (what a memory-mapped cache does not add to) every 200 ms.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peakAnonKb;

        public MemorySampler() => _timer = new Timer(_ => Sample(), null, 0, 200);

        public double PeakAnonGiB
        {
            get
            {
                Sample();
                return Interlocked.Read(ref _peakAnonKb) / 1048576.0;
            }
        }

        public static double HighWaterGiB() => Status("VmHWM:") / 1048576.0;

        public static double TotalGiB()
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1048576.0;
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            long kb = Status("RssAnon:");
            long seen;
            while (kb > (seen = Interlocked.Read(ref _peakAnonKb)) && Interlocked.CompareExchange(ref _peakAnonKb, kb, seen) != seen) { }
        }

        private static long Status(string key)
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
    }
}
