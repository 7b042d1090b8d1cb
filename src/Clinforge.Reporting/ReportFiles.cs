using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>Writes a run's report documents: report/report.md and report/report.html from one document, report/model_card.md from another.</summary>
public static class ReportFiles
{
    /// <summary>Writes the three files (each atomically) and returns report.html.</summary>
    public static string Write(RunPaths run, ReportDocument report, ReportDocument modelCard)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(run.ReportDir);
        AtomicFile.WriteAllText(run.ReportMarkdown, MarkdownRenderer.Render(report, run.ReportDir));
        AtomicFile.WriteAllText(run.ModelCard, MarkdownRenderer.Render(modelCard, run.ReportDir));
        AtomicFile.WriteAllText(run.ReportHtml, HtmlRenderer.Render(report));
        return run.ReportHtml;
    }
}
