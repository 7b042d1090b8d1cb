using System.Runtime;

namespace Clinforge.Training;

/// <summary>
/// Keeps the garbage collector from starting on another thread while the training thread is inside a
/// libtorch call. TorchSharp passes the native handles of implicitly converted <c>Scalar</c>s (for
/// example the <c>1</c> in batch norm's <c>num_batches_tracked.add_(1)</c>) without keeping their
/// managed wrappers alive for the call (dotnet/TorchSharp pull requests 1434 and 1496, open). A
/// collection started by any other thread's allocation during that call can finalize the wrapper and
/// free the scalar while libtorch reads it; libtorch then fails on garbage ("For integral input
/// tensors, argument alpha must not be a floating point number", "Expected false to be true"). Seen
/// here in about 1 of 150 epochs of fine-tuning the pretrained ResNet-18 on BreastMNIST; reproduced in
/// seconds by a batch-norm loop beside a thread that allocates.
/// </summary>
/// <remarks>
/// The guard enters a no-GC region (<see cref="GC.TryStartNoGCRegion(long)"/>) of <see cref="Budget"/>
/// bytes before each training step and validation. Inside it no thread's allocation starts a collection
/// until the budget is spent; the training thread allocates nearly all of it (other threads here a few
/// KB per epoch, measured), so the collection that ends a region almost always starts on the training
/// thread at an allocation, outside any native call, and the next step enters a new region. Entering
/// runs one blocking collection, once per <see cref="Budget"/> bytes rather than per step.
/// </remarks>
public static class QuietCollector
{
    /// <summary>Bytes allocated before a collection may run: a few epochs of a training thread's wrappers.</summary>
    public const long Budget = 64L << 20;

    /// <summary>Enters a no-GC region unless one is active; false when the runtime refused.</summary>
    public static bool Enter()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return true;
        try
        {
            return GC.TryStartNoGCRegion(Budget);
        }
        catch (InvalidOperationException)
        {
            // Another thread entered one between the check and the call: it protects this step too.
            return GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        }
    }

    /// <summary>Leaves the no-GC region if one is still active (its budget may have ended it already).</summary>
    public static void Exit()
    {
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The region ended between the check and the call (a collection ran): nothing to leave.
        }
    }
}
