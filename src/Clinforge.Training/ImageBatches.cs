using System.Collections.Concurrent;
using Clinforge.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// Normalised input tensors assembled batch by batch from an <see cref="ImageSet"/>'s bytes, so no
/// more than a few batches of floats exist at once whatever the size of the set. When the loop says
/// in advance which images its epoch will visit (<see cref="Plan"/>), a background thread copies the
/// next batches' bytes out of the store while the current batch trains (a double-buffered loader, as
/// PyTorch's DataLoader does with its prefetch factor), so the cores doing the arithmetic never wait
/// for a page of a memory-mapped file.
/// </summary>
public sealed class ImageBatches(ImageSet set, Preprocessing pre) : IDisposable
{
    /// <summary>Batches gathered ahead of the one being trained.</summary>
    public const int Ahead = 2;

    private Prefetcher? _prefetcher;

    /// <summary>Number of images.</summary>
    public long Count => set.Count;

    /// <summary>Batches handed out from the background thread (for tests and the bench).</summary>
    public long Prefetched { get; private set; }

    /// <summary>Batches gathered on the caller's thread because none was ready ahead.</summary>
    public long GatheredInline { get; private set; }

    /// <summary>Images start..start+length as a normalised [length, C, S, S] tensor.</summary>
    public Tensor Take(long start, long length)
    {
        var indices = new long[length];
        for (long i = 0; i < length; i++) indices[i] = start + i;
        return ToTensor(Gather(indices), indices.Length);
    }

    /// <summary>
    /// The images at <paramref name="indices"/> as a normalised tensor; taken from the background
    /// thread when it gathered exactly these images ahead, gathered here otherwise.
    /// </summary>
    public Tensor Select(Tensor indices)
    {
        var idx = indices.data<long>().ToArray();
        if (_prefetcher is { } p)
        {
            var ready = p.Next(idx);
            if (ready is not null)
            {
                Prefetched++;
                return ToTensor(ready, idx.Length);
            }
            StopPrefetch(); // the loop left the plan (a skipped or cut batch): gather inline from here on
        }
        GatheredInline++;
        return ToTensor(Gather(idx), idx.Length);
    }

    /// <summary>Starts gathering, in the background, the batches of <paramref name="order"/> (consecutive slices of <paramref name="batchSize"/>).</summary>
    public void Plan(Tensor order, int batchSize)
    {
        StopPrefetch();
        var all = order.data<long>().ToArray();
        var batches = new List<long[]>();
        for (int start = 0; start < all.Length; start += batchSize)
            batches.Add(all.AsSpan(start, Math.Min(batchSize, all.Length - start)).ToArray());
        _prefetcher = new Prefetcher(this, batches);
    }

    /// <inheritdoc />
    public void Dispose() => StopPrefetch();

    private void StopPrefetch()
    {
        _prefetcher?.Dispose();
        _prefetcher = null;
    }

    private byte[] Gather(long[] indices)
    {
        var bytes = new byte[indices.Length * set.Pixels.BytesPerImage];
        set.Pixels.Gather(indices, bytes);
        return bytes;
    }

    private Tensor ToTensor(byte[] bytes, long count)
    {
        using var scope = NewDisposeScope();
        var raw = tensor(bytes, [count, set.Channels, set.Size, set.Size]);
        var x = raw.to_type(ScalarType.Float32).div_(255f);
        var mean = tensor(pre.Mean).view(1, -1, 1, 1);
        var std = tensor(pre.Std).view(1, -1, 1, 1);
        return x.sub_(mean).div_(std).MoveToOuterDisposeScope();
    }

    /// <summary>One epoch's batches gathered on a background thread, at most <see cref="Ahead"/> ahead; no TorchSharp calls off the caller's thread.</summary>
    private sealed class Prefetcher : IDisposable
    {
        private readonly BlockingCollection<(long[] Indices, byte[] Bytes)> _ready = new(Ahead);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _worker;

        public Prefetcher(ImageBatches owner, List<long[]> batches)
        {
            _worker = Task.Run(() =>
            {
                try
                {
                    foreach (var b in batches)
                    {
                        if (_stop.IsCancellationRequested) break;
                        _ready.Add((b, owner.Gather(b)), _stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    _ready.CompleteAdding();
                }
            });
        }

        /// <summary>The next gathered batch when it holds exactly <paramref name="indices"/>; null otherwise.</summary>
        public byte[]? Next(long[] indices)
        {
            if (!_ready.TryTake(out var item, Timeout.Infinite)) return null;
            return item.Indices.AsSpan().SequenceEqual(indices) ? item.Bytes : null;
        }

        public void Dispose()
        {
            _stop.Cancel();
            // Drain so a producer blocked on a full queue sees the cancellation.
            while (_ready.TryTake(out _)) { }
            try { _worker.Wait(); }
            catch (AggregateException) { }
            _ready.Dispose();
            _stop.Dispose();
        }
    }
}
