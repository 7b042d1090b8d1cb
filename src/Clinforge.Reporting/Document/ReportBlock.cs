namespace Clinforge.Reporting;

/// <summary>One block of a report section; the renderers know each kind below.</summary>
public abstract record ReportBlock;

/// <summary>How a paragraph reads: normal, a side note (smaller, grey), or a warning (bold, red).</summary>
public enum Tone
{
    /// <summary>Body text.</summary>
    Normal,

    /// <summary>A side note.</summary>
    Note,

    /// <summary>A warning the reader must not miss.</summary>
    Warning,
}

/// <summary>A paragraph.</summary>
/// <param name="Text">Its text.</param>
/// <param name="Tone">How it reads.</param>
/// <param name="Id">An HTML anchor, or null.</param>
public sealed record Paragraph(ReportText Text, Tone Tone = Tone.Normal, string? Id = null) : ReportBlock;

/// <summary>A quotation (the clinician's own words).</summary>
/// <param name="Text">The quoted text; line breaks are kept.</param>
public sealed record Quote(string Text) : ReportBlock;

/// <summary>A bulleted list; items may carry nested items (indented in Markdown, nested in HTML).</summary>
/// <param name="Items">The items.</param>
/// <param name="Id">An HTML anchor, or null.</param>
/// <param name="Class">An HTML class, or null.</param>
public sealed record BulletList(IReadOnlyList<ListItem> Items, string? Id = null, string? Class = null) : ReportBlock
{
    /// <summary>A list of plain items without nesting.</summary>
    public static BulletList Of(IEnumerable<ReportText> items, string? id = null, string? cssClass = null) =>
        new(items.Select(i => new ListItem(i)).ToList(), id, cssClass);
}

/// <summary>A list item and the items under it.</summary>
/// <param name="Text">The item.</param>
/// <param name="Children">Items under it (none by default).</param>
public sealed record ListItem(ReportText Text, IReadOnlyList<ReportText>? Children = null);

/// <summary>A table cell: its text, whether it is a number (right-aligned), a header cell in a row, and an optional background colour.</summary>
/// <param name="Text">The cell's text.</param>
/// <param name="Numeric">Right-aligned tabular figures.</param>
/// <param name="Background">A CSS colour for the HTML background (Markdown ignores it).</param>
/// <param name="RowHeader">Rendered as a header cell (th) in HTML, bold in Markdown.</param>
public sealed record Cell(ReportText Text, bool Numeric = false, string? Background = null, bool RowHeader = false)
{
    /// <summary>A numeric cell.</summary>
    public static Cell Number(ReportText text) => new(text, Numeric: true);

    /// <summary>A text cell.</summary>
    public static implicit operator Cell(string text) => new((ReportText)text);

    /// <summary>A text cell from a string (for languages without implicit conversions).</summary>
    public static Cell FromString(string text) => text;
}

/// <summary>A table with a header row.</summary>
/// <param name="Header">Column headings.</param>
/// <param name="Rows">The rows, each as many cells as the header.</param>
/// <param name="Id">An HTML anchor, or null.</param>
/// <param name="Class">An HTML class, or null.</param>
public sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<Cell>> Rows, string? Id = null, string? Class = null) : ReportBlock;

/// <summary>A figure: SVG for the HTML page; in Markdown its description, pointing to report.html.</summary>
/// <param name="Id">The HTML anchor.</param>
/// <param name="Svg">The inline SVG.</param>
/// <param name="Description">What the figure shows, in words (the Markdown line).</param>
/// <param name="MaxWidth">A CSS max-width, or null.</param>
public sealed record Figure(string Id, string Svg, string Description, string? MaxWidth = null) : ReportBlock;

/// <summary>Blocks shown side by side on the HTML page (figures and their tables), one after another in Markdown.</summary>
/// <param name="Blocks">The blocks.</param>
/// <param name="Gap">A CSS gap, or null for the default.</param>
public sealed record SideBySide(IReadOnlyList<ReportBlock> Blocks, string? Gap = null) : ReportBlock;

/// <summary>A panel inside a section (an h3, kept on one printed page when it fits).</summary>
/// <param name="Id">The HTML anchor of the panel, or null.</param>
/// <param name="Title">The heading.</param>
/// <param name="Blocks">What it holds.</param>
/// <param name="KeepTogether">Avoid a page break inside it when printed.</param>
/// <param name="HeadingId">An anchor on the heading itself rather than the panel, or null.</param>
/// <param name="Level">3 for a panel, 4 for a panel inside a panel.</param>
public sealed record Panel(string? Id, ReportText Title, IReadOnlyList<ReportBlock> Blocks, bool KeepTogether = true, string? HeadingId = null, int Level = 3) : ReportBlock;

/// <summary>An image of the run folder, embedded in the HTML page as a data URI (so the file stays self-contained) and linked by path in Markdown.</summary>
/// <param name="Path">The PNG file.</param>
/// <param name="Alt">Its alternative text.</param>
/// <param name="Width">Its displayed width in CSS pixels.</param>
/// <param name="Class">An HTML class, or null.</param>
/// <param name="Pixelated">Drawn without smoothing (small images enlarged).</param>
public sealed record EmbeddedImage(string Path, string Alt, int Width, string? Class = null, bool Pixelated = false);

/// <summary>A captioned group of images (an example and its saliency map).</summary>
/// <param name="Images">The images, side by side.</param>
/// <param name="Caption">Lines under them.</param>
/// <param name="CodeLine">A last line shown as code (an image id), or null.</param>
/// <param name="MaxWidth">The figure's CSS max-width.</param>
public sealed record GalleryItem(IReadOnlyList<EmbeddedImage> Images, ReportText Caption, string? CodeLine, int MaxWidth);

/// <summary>Example images with captions, in a row that wraps.</summary>
/// <param name="Items">The images.</param>
public sealed record Gallery(IReadOnlyList<GalleryItem> Items) : ReportBlock;

/// <summary>Lines shown as they are, in a monospaced block (commands to run).</summary>
/// <param name="Lines">The lines.</param>
public sealed record CodeBlock(IReadOnlyList<string> Lines) : ReportBlock;
