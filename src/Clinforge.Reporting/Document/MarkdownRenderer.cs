using System.Text;

namespace Clinforge.Reporting;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as Markdown (CommonMark with GitHub tables): figures become
/// a line saying what they show and that report.html draws them; images are linked relative to the
/// Markdown file.
/// </summary>
public static class MarkdownRenderer
{
    /// <summary>The Markdown text; image links are relative to <paramref name="folder"/> (the file's folder).</summary>
    public static string Render(ReportDocument document, string folder)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sb = new StringBuilder();
        sb.Append("# ").Append(document.Title).Append("\n\n");
        foreach (var block in document.Lead) Block(sb, block, folder);
        foreach (var section in document.Sections)
        {
            sb.Append("## ").Append(Inline(section.Title)).Append("\n\n");
            foreach (var block in section.Blocks) Block(sb, block, folder);
        }
        return sb.ToString().TrimEnd('\n') + "\n";
    }

    private static void Block(StringBuilder sb, ReportBlock block, string folder)
    {
        switch (block)
        {
            case Paragraph p:
                var text = Inline(p.Text);
                sb.Append(p.Tone == Tone.Warning && !text.StartsWith("**", StringComparison.Ordinal) ? $"**{text}**" : text).Append("\n\n");
                break;
            case Quote q:
                sb.Append("> ").Append(q.Text.Trim().Replace("\n", "\n> ")).Append("\n\n");
                break;
            case BulletList list:
                foreach (var item in list.Items)
                {
                    sb.Append("- ").Append(Inline(item.Text)).Append('\n');
                    foreach (var child in item.Children ?? []) sb.Append("  - ").Append(Inline(child)).Append('\n');
                }
                sb.Append('\n');
                break;
            case Table t:
                sb.Append("| ").Append(string.Join(" | ", t.Header.Select(Escape))).Append(" |\n");
                sb.Append('|').Append(string.Concat(t.Header.Select(_ => "---|"))).Append('\n');
                foreach (var row in t.Rows)
                    sb.Append("| ").Append(string.Join(" | ", row.Select(c => c.RowHeader ? $"**{Escape(Inline(c.Text))}**" : Escape(Inline(c.Text))))).Append(" |\n");
                sb.Append('\n');
                break;
            case Figure f:
                sb.Append('*').Append(f.Description.TrimEnd('.')).Append(" (figure in report.html).*\n\n");
                break;
            case SideBySide s:
                foreach (var b in s.Blocks) Block(sb, b, folder);
                break;
            case Panel panel:
                sb.Append(new string('#', Math.Clamp(panel.Level, 3, 6))).Append(' ').Append(Inline(panel.Title)).Append("\n\n");
                foreach (var b in panel.Blocks) Block(sb, b, folder);
                break;
            case Gallery g:
                foreach (var item in g.Items)
                {
                    sb.Append("- ");
                    foreach (var image in item.Images) sb.Append($"![{image.Alt}]({Relative(folder, image.Path)}) ");
                    sb.Append(Inline(item.Caption));
                    if (item.CodeLine is { } code) sb.Append(" `").Append(code).Append('`');
                    sb.Append('\n');
                }
                sb.Append('\n');
                break;
            case CodeBlock code:
                sb.Append("```\n").Append(string.Join('\n', code.Lines)).Append("\n```\n\n");
                break;
            default:
                throw new NotSupportedException($"no Markdown for {block.GetType().Name}");
        }
    }

    /// <summary>Inline text with Markdown emphasis.</summary>
    public static string Inline(ReportText text) => string.Concat(text.Spans.Select(s => s.Style switch
    {
        SpanStyle.Plain => s.Text,
        SpanStyle.Code => $"`{s.Text}`",
        _ => s.Text.Length == 0 ? "" : $"**{s.Text}**",
    }));

    private static string Escape(string s) => s.Replace("|", "\\|").Replace("\n", " ");

    private static string Relative(string folder, string path) =>
        Path.GetRelativePath(folder, path).Replace('\\', '/').Replace(" ", "%20");
}
