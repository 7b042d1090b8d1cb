using Clinforge.Data;
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

    private PixelStore Pixels => set.Pixels;

    /// <summary>Number of images.</summary>
    public long Count => set.Count;

    /// <summary>Batches handed out from the background thread (for tests and the bench).</summary>
    public long Prefetched { get; private set; }

    /// <summary>Batches gathered on the caller's thread because none was ready ahead.</summary>
    public long GatheredInline { get; private set; }

    /// <summary>Managed bytes the background thread allocated while gathering, over the finished plans (kept at zero; see the prefetcher).</summary>
    public long PrefetchAllocatedBytes { get; private set; }

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
        if (_prefetcher is null) return;
        _prefetcher.Dispose();
        PrefetchAllocatedBytes += _prefetcher.AllocatedBytes;
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

    /// <summary>
    /// One epoch's batches gathered on a background thread, at most <see cref="Ahead"/> ahead, into
    /// buffers allocated here, on the caller's thread. The thread makes no TorchSharp call and allocates
    /// no managed memory once started: a garbage collection set off from another thread while the training
    /// thread is inside a native call can finalize a TorchSharp <c>Scalar</c> that the call still reads
    /// (TorchSharp's implicit scalars, e.g. an optimizer's <c>add_(x, alpha)</c>, are not kept alive for
    /// the call), and libtorch then fails on garbage ("Expected false to be true ... toFloat"). Only the
    /// training thread may allocate while it trains.
    /// </summary>
    private sealed class Prefetcher : IDisposable
    {
        private readonly ImageBatches _owner;
        private readonly List<long[]> _batches;
        private readonly byte[][] _slots;
        private readonly byte[]? _last;
        private readonly object _gate = new();
        private readonly Thread _worker;
        private int _produced;
        private int _consumed;
        private bool _stop;

        /// <summary>Managed bytes the thread allocated between its start and its end (read after <see cref="Dispose"/>).</summary>
        public long AllocatedBytes { get; private set; }

        public Prefetcher(ImageBatches owner, List<long[]> batches)
        {
            _owner = owner;
            _batches = batches;
            long per = owner.Pixels.BytesPerImage;
            int full = batches.Count == 0 ? 0 : batches[0].Length;
            // A batch handed out may still be read by the caller while the next Ahead are gathered.
            _slots = Enumerable.Range(0, Ahead + 1).Select(_ => new byte[full * per]).ToArray();
            if (batches.Count > 0 && batches[^1].Length != full) _last = new byte[batches[^1].Length * per];
            _worker = new Thread(Produce) { IsBackground = true, Name = "batch prefetch" };
            _worker.Start();
        }

        private byte[] Buffer(int batch) => batch == _batches.Count - 1 && _last is not null ? _last : _slots[batch % _slots.Length];

        private void Produce()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                for (int b = 0; b < _batches.Count; b++)
                {
                    lock (_gate)
                    {
                        while (!_stop && b >= _consumed + Ahead) Monitor.Wait(_gate);
                        if (_stop) return;
                    }
                    _owner.Pixels.Gather(_batches[b], Buffer(b));
                    lock (_gate)
                    {
                        _produced = b + 1;
                        Monitor.PulseAll(_gate);
                    }
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                // The caller gathers the batch itself and meets the same error on its own thread, with its message.
            }
            finally
            {
                AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
                lock (_gate) Monitor.PulseAll(_gate);
            }
        }

        /// <summary>The next gathered batch when it holds exactly <paramref name="indices"/>; null otherwise (the plan is then abandoned).</summary>
        public byte[]? Next(long[] indices)
        {
            int b;
            lock (_gate)
            {
                b = _consumed;
                if (b >= _batches.Count) return null;
                while (_produced <= b && _worker.IsAlive) Monitor.Wait(_gate, 100);
                if (_produced <= b) return null;
                _consumed = b + 1;
                Monitor.PulseAll(_gate);
            }
            return _batches[b].AsSpan().SequenceEqual(indices) ? Buffer(b) : null;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _stop = true;
                Monitor.PulseAll(_gate);
            }
            _worker.Join();
        }
    }
}
