using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class ImageBatchesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"clinforge-batches-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A set of random RGB images in a memory-mapped store, as a trial of a large dataset gets it.</summary>
    private ImageSet Mapped(int n, int size, int seed)
    {
        var rng = new Random(seed);
        var store = PixelStore.Create(Path.Combine(_dir, "images.u8"), n, 3, size, write =>
        {
            var image = new byte[3 * size * size];
            for (int i = 0; i < n; i++)
            {
                rng.NextBytes(image);
                write(i, image);
            }
        });
        return new ImageSet(store, Enumerable.Range(0, n).Select(i => i % 2).ToArray(), Enumerable.Range(0, n).Select(i => $"{i}").ToArray());
    }

    private static Preprocessing Pre() => new(8, 3, [0.5f, 0.4f, 0.3f], [0.2f, 0.25f, 0.3f], ["a", "b"]);

    /// <summary>The normalised values of one image, computed by hand from its bytes.</summary>
    private static float[] Normalised(ImageSet set, Preprocessing pre, int index)
    {
        var bytes = new byte[set.Pixels.BytesPerImage];
        set.Pixels.Read(index, bytes);
        int plane = set.Size * set.Size;
        return bytes.Select((b, k) => (b / 255f - pre.Mean[k / plane]) / pre.Std[k / plane]).ToArray();
    }

    [Fact]
    public void Should_HandOutThePlannedBatchesFromTheBackgroundThread_When_TheLoopFollowsItsPlan()
    {
        // given a memory-mapped set and an epoch's visiting order
        var set = Mapped(23, 8, seed: 1);
        using var pixels = set.Pixels;
        var pre = Pre();
        using var batches = new ImageBatches(set, pre);
        using var order = randperm(23, generator: new Generator(5));
        var ids = order.data<long>().ToArray();

        // when the epoch is planned and its batches of 5 are taken in order, as the training loop does
        batches.Plan(order, 5);
        for (int start = 0; start < 23; start += 5)
        {
            using var scope = NewDisposeScope();
            int len = Math.Min(5, 23 - start);
            var x = batches.Select(order.narrow(0, start, len));

            // then each batch holds the planned images, normalised with the preprocessing
            Assert.Equal(new long[] { len, 3, 8, 8 }, x.shape);
            for (int k = 0; k < len; k++)
            {
                var got = x[k].flatten().data<float>().ToArray();
                var want = Normalised(set, pre, (int)ids[start + k]);
                Assert.Equal(want.Length, got.Length);
                Assert.True(want.Zip(got, (a, b) => Math.Abs(a - b)).Max() < 1e-5f, $"batch at {start}, image {k}");
            }
        }
        // and every batch came from the background thread
        Assert.Equal(5, batches.Prefetched);
        Assert.Equal(0, batches.GatheredInline);
    }

    [Fact]
    public void Should_AllocateNothingOnThePrefetchThread_When_AnEpochIsGatheredAhead()
    {
        // given a memory-mapped set of 64 images and a planned epoch of 16 batches (the last one short)
        var set = Mapped(64, 16, seed: 3);
        using var pixels = set.Pixels;
        using var batches = new ImageBatches(set, Pre());
        using var order = randperm(62, generator: new Generator(7));

        // when the loop takes every batch while it allocates on its own thread, as training does
        batches.Plan(order, 4);
        for (int start = 0; start < 62; start += 4)
        {
            using var scope = NewDisposeScope();
            _ = batches.Select(order.narrow(0, start, Math.Min(4, 62 - start)));
            _ = new byte[100_000]; // garbage of the training thread's own
        }
        batches.Dispose();

        // then all came from the background thread, which allocated no managed memory: a collection it set off
        // could finalize a TorchSharp scalar that a native call on the training thread is still reading
        Assert.Equal(16, batches.Prefetched);
        Assert.Equal(0, batches.PrefetchAllocatedBytes);
    }

    [Fact]
    public void Should_GatherInlineAndStayCorrect_When_TheLoopLeavesThePlan()
    {
        // given a planned epoch
        var set = Mapped(12, 8, seed: 2);
        using var pixels = set.Pixels;
        var pre = Pre();
        using var batches = new ImageBatches(set, pre);
        using var order = arange(12, dtype: ScalarType.Int64);
        batches.Plan(order, 4);

        // when the loop asks for other images than planned (a skipped or reordered batch)
        using var asked = tensor(new long[] { 11, 3 });
        using var x = batches.Select(asked);

        // then it gets exactly what it asked for, gathered inline, and later batches too
        Assert.True(Normalised(set, pre, 11).Zip(x[0].flatten().data<float>().ToArray(), (a, b) => Math.Abs(a - b)).Max() < 1e-5f);
        Assert.True(Normalised(set, pre, 3).Zip(x[1].flatten().data<float>().ToArray(), (a, b) => Math.Abs(a - b)).Max() < 1e-5f);
        using var next = batches.Select(order.narrow(0, 4, 4));
        Assert.True(Normalised(set, pre, 5).Zip(next[1].flatten().data<float>().ToArray(), (a, b) => Math.Abs(a - b)).Max() < 1e-5f);
        Assert.Equal(2, batches.GatheredInline);
    }

    [Fact]
    public void Should_TrainFromAMemoryMappedSet_When_ImagesComeFromTheRunCache()
    {
        // given a separable task whose images live in a memory-mapped store (as a trial of a large set gets them)
        var source = CentreSquares.Make(96, seed: 3, noise: 0.3, signal: 0.6);
        var train = Remap(source, "train");
        var val = Remap(CentreSquares.Make(48, seed: 4, noise: 0.3, signal: 0.6), "val");
        using var trainPixels = train.Pixels;
        using var valPixels = val.Pixels;
        var recipe = new Recipe { Input = new InputSpec(16, 1), Model = new ModelSpec("simple_cnn", 8, 1), MaxEpochs = 6, BatchSize = 16, Seed = 1 };
        var paths = new TrialPaths(Path.Combine(_dir, "trial"));
        Directory.CreateDirectory(paths.Root);

        // when trained
        var outcome = new Trainer(_ => { }).Train(recipe, train, val, ["dark", "bright"],
            (labels, probs) =>
            {
                double acc = labels.Select((l, i) => (probs[i][1] >= 0.5 ? 1 : 0) == l ? 1.0 : 0).Average();
                return new ValidationMetrics(acc, "accuracy", double.NaN, acc, acc, double.NaN, double.NaN, 0.5);
            }, DateTime.UtcNow.AddMinutes(2), paths);

        // then it learns the task as from memory
        Assert.Equal(TrialStatus.Succeeded, outcome.Metrics.Status);
        Assert.True(outcome.Metrics.Best!.Objective >= 0.9, $"validation accuracy {outcome.Metrics.Best.Objective:F3}");
        Assert.Equal(48, outcome.BestValProbabilities.Length);
    }

    private ImageSet Remap(ImageSet set, string name)
    {
        var store = PixelStore.Create(Path.Combine(_dir, name + ".u8"), set.Count, set.Channels, set.Size, write =>
        {
            var image = new byte[set.Pixels.BytesPerImage];
            for (int i = 0; i < set.Count; i++)
            {
                set.Pixels.Read(i, image);
                write(i, image);
            }
        });
        Assert.True(store.IsMapped);
        return set with { Pixels = store };
    }
}
