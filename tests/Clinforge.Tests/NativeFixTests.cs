using Clinforge.NativeFix;
using Xunit.Abstractions;

namespace Clinforge.Tests;

public sealed class NativeFixTests(ITestOutputHelper output)
{
    private static string? PristineShim()
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var p = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(p) ? p : null;
    }

    [Fact]
    public void Should_WeakenOnlyTheMissingVersion_When_PatchingTheShippedShim()
    {
        // Given the unpatched shim from the NuGet cache and a libstdc++ that lacks GLIBCXX_3.4.32
        var shim = PristineShim();
        if (shim is null) { output.WriteLine("SKIPPED: TorchSharp 0.107.0 not in the NuGet cache"); return; }
        using var tmp = new TempDir();
        var copy = tmp.Combine("libLibTorchSharp.so");
        File.Copy(shim, copy);
        var before = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(copy));
        Assert.Contains(before, n => n.Version == "GLIBCXX_3.4.32" && !n.IsWeak);

        // When it is patched
        var result = ElfVersionNeedPatcher.Patch(copy, v => v != "GLIBCXX_3.4.32");

        // Then exactly that requirement became weak, nothing else changed, and a second run is a no-op
        Assert.True(result.Changed);
        Assert.Equal(["GLIBCXX_3.4.32"], result.Weakened);
        var after = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(copy));
        Assert.Equal(before.Count, after.Count);
        Assert.True(after.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.All(after.Where(n => n.Version != "GLIBCXX_3.4.32"), n => Assert.Equal(before.Single(b => b.FlagsOffset == n.FlagsOffset).Flags, n.Flags));
        var originalBytes = File.ReadAllBytes(shim);
        var patchedBytes = File.ReadAllBytes(copy);
        Assert.Equal(originalBytes.Length, patchedBytes.Length);
        Assert.Equal(1, originalBytes.Zip(patchedBytes).Count(p => p.First != p.Second));
        Assert.False(ElfVersionNeedPatcher.Patch(copy, v => v != "GLIBCXX_3.4.32").Changed);
    }

    [Fact]
    public void Should_LeaveTheFileUntouched_When_TheSystemProvidesEveryVersion()
    {
        // Given a shim and a system (GCC 13+) that defines every version it asks for
        var shim = PristineShim();
        if (shim is null) { output.WriteLine("SKIPPED: TorchSharp 0.107.0 not in the NuGet cache"); return; }
        using var tmp = new TempDir();
        var copy = tmp.Combine("libLibTorchSharp.so");
        File.Copy(shim, copy);
        var stamp = File.GetLastWriteTimeUtc(copy);

        // When the patcher runs
        var result = ElfVersionNeedPatcher.Patch(copy, _ => true);

        // Then it does nothing
        Assert.False(result.Changed);
        Assert.Equal(File.ReadAllBytes(shim), File.ReadAllBytes(copy));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(copy));
    }

    [Fact]
    public void Should_RejectTheFile_When_ItIsNotElf()
    {
        // Given bytes that are not an ELF object / When read / Then a clear error
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.ReadVersionNeeds(new byte[128]));
        Assert.Contains("not an ELF", e.Message);
    }

    [Fact]
    public void Should_RunTorch_When_BuiltOnThisMachine()
    {
        // Given the test output, patched by the build step (Directory.Build.targets)
        // When libtorch is used
        using var t = TorchSharp.torch.ones(3, 3);
        // Then it loads and computes
        Assert.Equal(9f, t.sum().item<float>());
    }
}
