using Clinforge.NativeFix;

// Usage: Clinforge.NativeFix <output-dir>...
// Finds every libLibTorchSharp.so below the given folders and weakens the libstdc++ version
// requirements this system cannot satisfy. A no-op on systems with GCC 13+ or off Linux.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Clinforge.NativeFix <output-dir>...");
    return 2;
}
var available = ElfVersionNeedPatcher.SystemLibstdcxxVersions();
if (available is null)
{
    Console.WriteLine("clinforge-nativefix: no system libstdc++ found (or not Linux); nothing to patch");
    return 0;
}
foreach (var dir in args.Where(Directory.Exists))
{
    foreach (var lib in Directory.EnumerateFiles(dir, "libLibTorchSharp.so", SearchOption.AllDirectories))
    {
        try
        {
            var result = ElfVersionNeedPatcher.Patch(lib, available.Contains);
            if (result.Changed) Console.WriteLine($"clinforge-nativefix: {lib}: {result.Message}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"clinforge-nativefix: {lib}: {e.Message}");
            return 1;
        }
    }
}
return 0;
