using System.Diagnostics;
using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>
/// Prints report.html to PDF with headless Chromium (Debian package <c>chromium</c>):
/// <c>chromium --headless --no-sandbox --disable-gpu --print-to-pdf=OUT file://…</c>.
/// </summary>
internal static class PdfPrinter
{
    /// <summary>Where the Debian package installs the browser; CLINFORGE_CHROMIUM overrides it.</summary>
    public static string Chromium => Environment.GetEnvironmentVariable("CLINFORGE_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>Writes <paramref name="pdf"/> from <paramref name="html"/>; throws a clear error when Chromium is missing or fails.</summary>
    public static string Print(string html, string pdf, TimeSpan timeout)
    {
        var chromium = Chromium;
        if (!File.Exists(chromium))
            throw new ClinforgeException($"{chromium}: Chromium is not installed, so the report cannot be printed to PDF. Install it (Debian: apt-get install chromium) or set CLINFORGE_CHROMIUM; {html} is the same report as HTML.");
        var partial = pdf + ".partial";
        if (File.Exists(partial)) File.Delete(partial);
        var psi = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", $"--print-to-pdf={partial}", new Uri(html).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new ClinforgeException($"{chromium}: could not be started.");
        var stderr = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new ClinforgeException($"{chromium} did not finish printing {html} within {timeout.TotalSeconds:F0} s.");
        }
        if (p.ExitCode != 0 || !File.Exists(partial) || new FileInfo(partial).Length == 0)
            throw new ClinforgeException($"{chromium} failed to print {html} (exit {p.ExitCode}): {stderr.Result.Trim()}");
        File.Move(partial, pdf, overwrite: true);
        return pdf;
    }
}
