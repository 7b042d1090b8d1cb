using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Clinforge.Tests;

/// <summary>Builders of bad inputs for the bad-input suite, and the check that a failure reached the user cleanly.</summary>
public static class BadInput
{
    /// <summary>A grey PNG of the given size (real pixels).</summary>
    public static string Png(string path, int width, int height, byte value = 128)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Image<L8>(width, height, new L8(value));
        for (int y = 0; y < height; y++) image[width / 2, y] = new L8((byte)(y * 7));
        image.SaveAsPng(path);
        return path;
    }

    /// <summary>A binary segmentation mask: 255 in the left quarter, 0 elsewhere.</summary>
    public static string Mask(string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Image<L8>(width, height, new L8(0));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < Math.Max(1, width / 4); x++) image[x, y] = new L8(255);
        image.SaveAsPng(path);
        return path;
    }

    /// <summary>
    /// A small PNG whose header declares <paramref name="width"/> × <paramref name="height"/> pixels (one
    /// IDAT of a few bytes): what a decompression bomb looks like to a reader that trusts the header.
    /// </summary>
    public static string HugePngHeader(string path, int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // grey
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(ms, "IEND", []);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ms.ToArray());
        return path;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc(typeBytes.Concat(data).ToArray());
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    /// <summary>CRC-32 (IEEE), bitwise.</summary>
    public static uint Crc(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    /// <summary>A PNG cut in the middle (no IEND).</summary>
    public static string TruncatedPng(string path)
    {
        var full = File.ReadAllBytes(Png(path + ".full.png", 32, 32));
        File.Delete(path + ".full.png");
        File.WriteAllBytes(path, full[..(full.Length / 2)]);
        return path;
    }

    /// <summary>A DICOM Part 10 file: 128-byte preamble, "DICM", a few bytes.</summary>
    public static string Dicom(string path)
    {
        var bytes = new byte[200];
        "DICM"u8.CopyTo(bytes.AsSpan(128));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A folder per class with <paramref name="perClass"/> real 16×16 PNGs each.</summary>
    public static string ClassFolders(string root, int perClass = 6, params string[] classes)
    {
        if (classes.Length == 0) classes = ["benign", "malignant"];
        for (int c = 0; c < classes.Length; c++)
            for (int i = 0; i < perClass; i++) Png(Path.Combine(root, classes[c], $"img{i}.png"), 16, 16, (byte)(40 + 100 * c + i));
        return root;
    }

    /// <summary>A MedMNIST-style .npz with the given labels per split (images 16×16 grey).</summary>
    public static string Npz(string path, params (string Split, int[] Labels)[] parts)
    {
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (split, labels) in parts)
            {
                Npy(zip, $"{split}_images.npy", "|u1", $"({labels.Length}, 16, 16)", Enumerable.Range(0, labels.Length * 256).Select(i => (byte)(i * 13 % 251)).ToArray());
                Npy(zip, $"{split}_labels.npy", "<i8", $"({labels.Length}, 1)", labels.SelectMany(l => BitConverter.GetBytes((long)l)).ToArray());
            }
        }
        return path;
    }

    private static void Npy(ZipArchive zip, string name, string descr, string shape, byte[] data)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var s = zip.CreateEntry(name).Open();
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.ASCII.GetBytes(header));
        s.Write(data);
    }

    /// <summary>Creates a file whose name holds bytes that are not UTF-8 (0xE9, Latin-1 'é'), by copying <paramref name="source"/>.</summary>
    public static bool NonUtf8Copy(string source, string folder)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("cp \"$1\" \"$2/$(printf 'caf\\351.png')\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(source);
        psi.ArgumentList.Add(folder);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>What a user saw ended cleanly: an "error:" line (when it failed), no stack frame, no internal-error message.</summary>
    public static void AssertClean(string what, int code, string stdout, string stderr)
    {
        var all = stdout + stderr;
        Assert.False(all.Contains("   at ", StringComparison.Ordinal), $"{what}: a stack trace reached the user:\n{all}");
        Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
        Assert.DoesNotContain("an internal error stopped clinforge", all, StringComparison.Ordinal);
        if (code != 0) Assert.Contains("error: ", stderr, StringComparison.Ordinal);
    }

    /// <summary>Runs the CLI, as root with the capability to bypass file permissions dropped (so a folder without write permission is one), when <paramref name="asUnprivileged"/>.</summary>
    public static (int Code, string Stdout, string Stderr) RunCli(TimeSpan timeout, bool asUnprivileged, params string[] args)
    {
        if (!asUnprivileged || Environment.UserName != "root") return Repo.RunCli(timeout, args);
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", "dotnet", Repo.CliDll }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A classification package folder with a manifest and placeholder files (its model is never loaded when every file is refused).</summary>
    public static string Package(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "manifest.json"), """{"created_at":"2026-01-01T00:00:00Z","run":"r","trial":0,"classes":["a","b"]}""");
        foreach (var f in new[] { "model.bin", "recipe.json", "preprocessing.json" }) File.WriteAllText(Path.Combine(dir, f), "");
        return dir;
    }

    /// <summary>Runs a command; true when it exited 0.</summary>
    public static bool Sh(string command)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }
}
