using System.Diagnostics;
using System.Text;

namespace Clinforge.Data.Tests;

/// <summary>
/// Independent decoders and tools from Debian used as references: dcmtk (dcmj2pnm, dcml2pnm, dcmdump,
/// dcmodify, dump2dcm, pdf2dcm), OpenJPEG (opj_decompress) and nifti-bin (nifti_tool). Tests that need
/// one say SKIPPED and pass when it is absent.
/// </summary>
public static class MedicalTools
{
    /// <summary>The path of a tool on PATH, or null after writing a SKIPPED message naming the package.</summary>
    public static string? Find(ITestOutputHelper output, string tool, string package)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        output.WriteLine($"SKIPPED: {tool} not found; this test checks against it (install with: sudo apt-get install {package}).");
        return null;
    }

    /// <summary>True when GDCM's bindings load; else writes SKIPPED with the install command.</summary>
    public static bool Gdcm(ITestOutputHelper output)
    {
        if (GdcmRuntime.Available) return true;
        output.WriteLine($"SKIPPED: {GdcmRuntime.Problem}");
        return false;
    }

    /// <summary>Runs a tool; returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Reads a binary PGM (P5) or PPM (P6) file, 8-bit: width, height, channels, samples.</summary>
    public static (int Width, int Height, int Channels, byte[] Pixels) ReadPnm(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int pos = 0;
        string Token()
        {
            while (true)
            {
                while (char.IsWhiteSpace((char)bytes[pos])) pos++;
                if (bytes[pos] != '#') break;
                while (bytes[pos] != '\n') pos++;
            }
            var start = pos;
            while (!char.IsWhiteSpace((char)bytes[pos])) pos++;
            return Encoding.ASCII.GetString(bytes, start, pos - start);
        }
        var magic = Token();
        int w = int.Parse(Token()), h = int.Parse(Token()), max = int.Parse(Token());
        pos++;
        if (max > 255) throw new InvalidDataException($"{path}: {max}-level PNM, expected 8-bit");
        int channels = magic == "P6" ? 3 : 1;
        return (w, h, channels, bytes.AsSpan(pos, w * h * channels).ToArray());
    }

    /// <summary>A DICOM attribute's value as dcmdump prints it (without brackets), or "" when absent.</summary>
    public static string DumpValue(string dcmdump, string file, string tag)
    {
        var (_, output, _) = Run(dcmdump, "-q", "+P", tag, file);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith($"({tag})", StringComparison.OrdinalIgnoreCase)) ?? "";
        int open = line.IndexOf('['), close = line.IndexOf(']');
        return open >= 0 && close > open ? line[(open + 1)..close].Trim() : "";
    }
}
