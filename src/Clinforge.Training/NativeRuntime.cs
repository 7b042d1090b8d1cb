using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>
/// Starts libtorch with a clear message when it cannot load, and sets the thread count and seed.
/// The loading fix itself is a build step (tools/Clinforge.NativeFix, ../shared/notes/torchsharp-on-linux.md).
/// </summary>
public static class NativeRuntime
{
    /// <summary>Initialises torch: thread count and global seed. Throws a readable error when the native library does not load.</summary>
    public static void Initialize(int threads, int seed)
    {
        try
        {
            if (threads > 0) set_num_threads(threads);
            random.manual_seed(seed);
            // Decided once per machine and cached: training must not run on wrong convolution gradients.
            _ = ConvolutionCheck.Current;
        }
        catch (TypeInitializationException e)
        {
            throw new ClinforgeException(
                "TorchSharp's native library did not load. On Debian 12 / Ubuntu 22.04 the build step " +
                "tools/Clinforge.NativeFix must run after each build (it does with 'dotnet build'); rebuild, " +
                "or see README 'TorchSharp native fix'. Inner error: " + (e.InnerException?.Message ?? e.Message), 3);
        }
    }

    /// <summary>The device to train on: CUDA when the CUDA build is used and a GPU is present, else CPU.</summary>
    public static Device PreferredDevice() => cuda.is_available() ? CUDA : CPU;
}
