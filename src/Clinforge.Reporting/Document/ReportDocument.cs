namespace Clinforge.Reporting;

/// <summary>
/// A report as data: a title, a few lines under it and its sections, each a list of blocks
/// (paragraphs, tables, figures, panels). A task kind builds one from its run; one Markdown renderer
/// and one HTML renderer turn it into report.md, report.html and the model card, so the two files say
/// the same thing and a new panel is written once.
/// </summary>
/// <param name="Title">The page title (the Markdown "#" heading, the HTML title and h1).</param>
/// <param name="Lead">Blocks under the title, before the first section.</param>
/// <param name="Sections">The sections in reading order.</param>
public sealed record ReportDocument(string Title, IReadOnlyList<ReportBlock> Lead, IReadOnlyList<ReportSection> Sections);

/// <summary>A section of a report (an h2): its anchor id, heading and blocks.</summary>
/// <param name="Id">The HTML anchor (null: none).</param>
/// <param name="Title">The heading.</param>
/// <param name="Blocks">What the section holds, in order.</param>
public sealed record ReportSection(string? Id, ReportText Title, IReadOnlyList<ReportBlock> Blocks);
