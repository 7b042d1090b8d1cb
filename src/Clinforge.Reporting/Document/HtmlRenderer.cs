using System.Net;
using System.Text;

namespace Clinforge.Reporting;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as one self-contained HTML page: inline CSS and SVG, images
/// as data URIs, nothing fetched; printable (`report --pdf`) with panels kept on one page where they fit.
/// </summary>
public static class HtmlRenderer
{
    /// <summary>The page's style sheet.</summary>
    public const string Style =
        "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222;line-height:1.4}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top;font-size:.92em}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}blockquote{border-left:4px solid #ccc;margin:0;padding:.3em 1em;background:#fafafa}.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.figs>*{flex:1 1 300px;max-width:420px}.keep{break-inside:avoid;page-break-inside:avoid}h2,h3{break-after:avoid}.note{color:#555;font-size:.9em}.kept{color:#080;font-weight:bold}.warn{color:#b00;font-weight:bold}h2{border-bottom:1px solid #ddd;page-break-after:avoid}figure{margin:0;page-break-inside:avoid}@media print{body{max-width:none}}";

    /// <summary>The HTML page.</summary>
    public static string Render(ReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(H(document.Title)).Append("</title><style>\n")
          .Append(Style).Append("\n</style></head><body>\n");
        sb.Append("<h1>").Append(H(document.Title)).Append("</h1>\n");
        foreach (var block in document.Lead) Block(sb, block);
        foreach (var section in document.Sections)
        {
            sb.Append(section.Id is null ? "<h2>" : $"<h2 id=\"{H(section.Id)}\">").Append(Inline(section.Title)).Append("</h2>\n");
            foreach (var block in section.Blocks) Block(sb, block);
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Block(StringBuilder sb, ReportBlock block)
    {
        switch (block)
        {
            case Paragraph p:
                sb.Append("<p").Append(Attributes(p.Id, p.Tone switch { Tone.Note => "note", Tone.Warning => "warn", _ => null })).Append('>')
                  .Append(p.Tone == Tone.Warning ? $"<b>{Inline(p.Text)}</b>" : Inline(p.Text)).Append("</p>\n");
                break;
            case Quote q:
                sb.Append("<blockquote>").Append(H(q.Text.Trim()).Replace("\n", "<br>")).Append("</blockquote>\n");
                break;
            case BulletList list:
                sb.Append("<ul").Append(Attributes(list.Id, list.Class)).Append('>');
                foreach (var item in list.Items)
                {
                    sb.Append("<li>").Append(Inline(item.Text));
                    if (item.Children is { Count: > 0 } children)
                        sb.Append("<ul>").Append(string.Concat(children.Select(c => $"<li>{Inline(c)}</li>"))).Append("</ul>");
                    sb.Append("</li>");
                }
                sb.Append("</ul>\n");
                break;
            case Table t:
                sb.Append("<table").Append(Attributes(t.Id, t.Class)).Append("><tr>").Append(string.Concat(t.Header.Select(h => $"<th>{H(h)}</th>"))).Append("</tr>");
                foreach (var row in t.Rows)
                {
                    sb.Append("<tr>");
                    foreach (var c in row)
                    {
                        string tag = c.RowHeader ? "th" : "td";
                        sb.Append('<').Append(tag).Append(c.Numeric ? " class=\"n\"" : "").Append(c.Background is { } bg ? $" style=\"background:{H(bg)}\"" : "").Append('>')
                          .Append(Inline(c.Text)).Append("</").Append(tag).Append('>');
                    }
                    sb.Append("</tr>\n");
                }
                sb.Append("</table>\n");
                break;
            case Figure f:
                sb.Append($"<figure id=\"{H(f.Id)}\"").Append(f.MaxWidth is { } w ? $" class=\"keep\" style=\"max-width:{H(w)}\"" : "").Append('>').Append(f.Svg).Append("</figure>\n");
                break;
            case SideBySide s:
                sb.Append("<div class=\"figs\"").Append(s.Gap is { } gap ? $" style=\"gap:{H(gap)}\"" : "").Append('>');
                foreach (var b in s.Blocks) Block(sb, b);
                sb.Append("</div>\n");
                break;
            case Panel panel:
                int level = Math.Clamp(panel.Level, 3, 6);
                sb.Append(panel.Level == 3 ? "<section" : "<div").Append(Attributes(panel.Id, panel.KeepTogether ? "keep" : null)).Append('>')
                  .Append($"<h{level}").Append(panel.HeadingId is { } hid ? $" id=\"{H(hid)}\"" : "").Append('>').Append(Inline(panel.Title)).Append($"</h{level}>\n");
                foreach (var b in panel.Blocks) Block(sb, b);
                sb.Append(panel.Level == 3 ? "</section>\n" : "</div>\n");
                break;
            case Gallery g:
                sb.Append("<div class=\"figs\" style=\"gap:.5em\">");
                foreach (var item in g.Items)
                {
                    sb.Append($"<figure style=\"flex:0 0 auto;max-width:{item.MaxWidth}px\">");
                    sb.Append(string.Join(" ", item.Images.Select(Image)));
                    sb.Append("<figcaption class=\"note\">").Append(Inline(item.Caption));
                    if (item.CodeLine is { } code) sb.Append($"<br><code style=\"word-break:break-all;font-size:.8em\">{H(code)}</code>");
                    sb.Append("</figcaption></figure>");
                }
                sb.Append("</div>\n");
                break;
            case CodeBlock code:
                sb.Append("<pre><code>").Append(H(string.Join('\n', code.Lines))).Append("</code></pre>\n");
                break;
            default:
                throw new NotSupportedException($"no HTML for {block.GetType().Name}");
        }
    }

    private static string Image(EmbeddedImage image) =>
        $"<img{(image.Class is { } c ? $" class=\"{H(c)}\"" : "")} alt=\"{H(image.Alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(image.Path))}\" style=\"width:{image.Width}px{(image.Pixelated ? ";image-rendering:pixelated" : "")}\">";

    /// <summary>Inline text as HTML, escaped, with its styles.</summary>
    public static string Inline(ReportText text) => string.Concat(text.Spans.Select(s => s.Style switch
    {
        SpanStyle.Plain => H(s.Text),
        SpanStyle.Strong => $"<b>{H(s.Text)}</b>",
        SpanStyle.Code => $"<code>{H(s.Text)}</code>",
        SpanStyle.Warning => $"<span class=\"warn\">{H(s.Text)}</span>",
        SpanStyle.Kept => $"<span class=\"kept\">{H(s.Text)}</span>",
        _ => H(s.Text),
    }));

    private static string Attributes(string? id, string? cssClass) =>
        (id is null ? "" : $" id=\"{H(id)}\"") + (cssClass is null ? "" : $" class=\"{H(cssClass)}\"");

    private static string H(string s) => WebUtility.HtmlEncode(s);
}
