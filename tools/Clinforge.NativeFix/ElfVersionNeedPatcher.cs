using System.Buffers.Binary;
using System.Text;

namespace Clinforge.NativeFix;

/// <summary>
/// Marks GNU symbol-version requirements (<c>Vernaux</c> entries of <c>.gnu.version_r</c>) as weak
/// when the running system's libstdc++ does not provide them.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> is linked against GCC 13's libstdc++ and so
/// asks for <c>GLIBCXX_3.4.32</c>, although the only symbol tied to it
/// (<c>std::ios_base_library_init()</c>) is a link-time marker that is never relocated. Debian 12 and
/// Ubuntu 22.04 ship libstdc++ up to 3.4.30, so the loader refuses the library. Setting
/// <c>VER_FLG_WEAK</c> (0x2) in <c>vna_flags</c> turns the hard requirement into a weak one; the ELF
/// layout is described in the System V gABI and the LSB "Symbol Versioning" chapter.
/// Checked on this machine: ../shared/notes/torchsharp-on-linux.md.
/// </remarks>
public static class ElfVersionNeedPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Outcome of one patch attempt.</summary>
    public sealed record Result(bool Changed, IReadOnlyList<string> Weakened, string Message);

    /// <summary>One version requirement found in a library.</summary>
    public sealed record VersionNeed(string File, string Version, ushort Flags, long FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlgWeak) != 0;
    }

    /// <summary>Lists every version requirement in an ELF64 little-endian shared object.</summary>
    public static IReadOnlyList<VersionNeed> ReadVersionNeeds(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF is supported");

        var span = elf.AsSpan();
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var needs = new List<VersionNeed>();
        for (int i = 0; i < shnum; i++)
        {
            var sh = span.Slice(checked((int)(shoff + (long)i * shentsize)), shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]);
            var strSh = span.Slice(checked((int)(shoff + (long)link * shentsize)), shentsize);
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]);

            long vn = offset;
            for (int n = 0; n < count; n++)
            {
                var v = span[(int)vn..];
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(v[2..]);
                string file = ReadCString(span, strOffset + BinaryPrimitives.ReadUInt32LittleEndian(v[4..]));
                long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(v[8..]);
                for (int a = 0; a < cnt; a++)
                {
                    var x = span[(int)aux..];
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(x[4..]);
                    string name = ReadCString(span, strOffset + BinaryPrimitives.ReadUInt32LittleEndian(x[8..]));
                    needs.Add(new VersionNeed(file, name, flags, aux + 4));
                    uint next = BinaryPrimitives.ReadUInt32LittleEndian(x[12..]);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BinaryPrimitives.ReadUInt32LittleEndian(v[12..]);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return needs;
    }

    /// <summary>
    /// Weakens the requirements on <c>libstdc++.so.6</c> that <paramref name="available"/> says the
    /// system cannot satisfy. The file is rewritten through a temporary copy and a rename, so a
    /// hard link into the NuGet cache is never modified. Idempotent.
    /// </summary>
    public static Result Patch(string path, Func<string, bool> available)
    {
        var bytes = File.ReadAllBytes(path);
        var weakened = new List<string>();
        foreach (var need in ReadVersionNeeds(bytes))
        {
            if (!need.File.StartsWith("libstdc++", StringComparison.Ordinal) || need.IsWeak || available(need.Version))
                continue;
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)need.FlagsOffset), (ushort)(need.Flags | VerFlgWeak));
            weakened.Add(need.Version);
        }
        if (weakened.Count == 0)
            return new Result(false, weakened, $"{Path.GetFileName(path)}: nothing to do");

        string temp = path + ".clinforge-tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return new Result(true, weakened, $"{Path.GetFileName(path)}: marked weak {string.Join(", ", weakened)} (not provided by this system's libstdc++)");
    }

    /// <summary>
    /// The version names the system's libstdc++ defines (from its <c>.gnu.version_d</c> strings), or
    /// null when no libstdc++ can be found (then nothing is patched: we cannot judge).
    /// </summary>
    public static HashSet<string>? SystemLibstdcxxVersions(IEnumerable<string>? searchDirs = null)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var dirs = searchDirs ?? DefaultSearchDirs();
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, "libstdc++.so.6");
            if (!File.Exists(candidate)) continue;
            var text = Encoding.Latin1.GetString(File.ReadAllBytes(candidate));
            var versions = new HashSet<string>(StringComparer.Ordinal);
            // Version definitions are NUL-terminated names in .dynstr; collecting every string with a
            // libstdc++ version prefix is enough to answer "does this system define X?".
            foreach (var prefix in new[] { "GLIBCXX_", "CXXABI_" })
            {
                int i = 0;
                while ((i = text.IndexOf(prefix, i, StringComparison.Ordinal)) >= 0)
                {
                    int end = text.IndexOf('\0', i);
                    if (end < 0) break;
                    versions.Add(text[i..end]);
                    i = end;
                }
            }
            return versions;
        }
        return null;
    }

    private static IEnumerable<string> DefaultSearchDirs()
    {
        var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ld))
            foreach (var d in ld.Split(':', StringSplitOptions.RemoveEmptyEntries)) yield return d;
        yield return "/lib/x86_64-linux-gnu";
        yield return "/usr/lib/x86_64-linux-gnu";
        yield return "/lib/aarch64-linux-gnu";
        yield return "/usr/lib/aarch64-linux-gnu";
        yield return "/usr/lib64";
        yield return "/lib64";
        yield return "/usr/lib";
    }

    private static string ReadCString(ReadOnlySpan<byte> span, long offset)
    {
        int start = checked((int)offset);
        int end = span[start..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(span.Slice(start, end));
    }
}
