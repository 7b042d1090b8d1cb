using System.Text.RegularExpressions;

namespace Clinforge.Reporting.Tests;

/// <summary>One document, two renderers: they must say the same thing, each escaped for its format.</summary>
public sealed class ReportDocumentTests
{
    private static ReportDocument Sample() => new("Title <1>", [new Paragraph(ReportText.Of("Run folder: ", ReportText.Code("/runs/a|b")), Tone.Note)],
    [
        new ReportSection("one", "First & only", [
            new Paragraph(ReportText.Of("Objective: ", ReportText.Strong("AUC"), ".")),
            new Paragraph("thin evidence", Tone.Warning),
            new Table(["metric", "value"], [["auc", Cell.Number("0.9 [0.8, 1.0]")], [new Cell(ReportText.Of(ReportText.Kept("kept"))), "a|b <c>"]], "t1"),
            new Panel(null, "Figures", [new SideBySide([new Figure("fig-x", "<svg></svg>", "A curve.")])], HeadingId: "figs"),
            new BulletList([new ListItem("looked at 1 time(s)", ["2026-01-01: first look"])]),
            new CodeBlock(["clinforge predict <package> x/"]),
        ]),
    ]);

    [Fact]
    public void Should_EscapeEachFormat_When_TheSameDocumentIsRendered()
    {
        // given one document with characters special to HTML and to Markdown tables
        var doc = Sample();

        // when it is rendered both ways
        var html = HtmlRenderer.Render(doc);
        var md = MarkdownRenderer.Render(doc, "/runs");

        // then HTML escapes markup and keeps styles as elements
        Assert.Contains("<h1>Title &lt;1&gt;</h1>", html);
        Assert.Contains("<h2 id=\"one\">First &amp; only</h2>", html);
        Assert.Contains("<td>a|b &lt;c&gt;</td>", html);
        Assert.Contains("<td class=\"n\">0.9 [0.8, 1.0]</td>", html);
        Assert.Contains("<span class=\"kept\">kept</span>", html);
        Assert.Contains("<p class=\"warn\"><b>thin evidence</b></p>", html);
        Assert.Contains("<h3 id=\"figs\">Figures</h3>", html);
        Assert.Contains("<figure id=\"fig-x\"><svg></svg></figure>", html);
        Assert.Contains("<li>looked at 1 time(s)<ul><li>2026-01-01: first look</li></ul></li>", html);
        Assert.Contains("<pre><code>clinforge predict &lt;package&gt; x/</code></pre>", html);
        // and Markdown escapes table pipes, says where the figure is, and keeps emphasis
        Assert.Contains("# Title <1>", md);
        Assert.Contains("## First & only", md);
        Assert.Contains("| **kept** | a\\|b <c> |", md);
        Assert.Contains("Objective: **AUC**.", md);
        Assert.Contains("**thin evidence**", md);
        Assert.Contains("*A curve (figure in report.html).*", md);
        Assert.Contains("- looked at 1 time(s)\n  - 2026-01-01: first look", md);
        Assert.Contains("```\nclinforge predict <package> x/\n```", md);
    }

    [Fact]
    public void Should_HaveTheSameSectionsAndTablesInBothFiles_When_AClassificationRunIsReported()
    {
        // given a run with every section (trials, an evaluation, predictions)
        var run = new SyntheticRun();
        var doc = ClassificationReport.Build(RunReport.Load(run.Run, run.Trials, run.Looks));

        // when both files are rendered from the one document
        var html = HtmlRenderer.Render(doc);
        var md = MarkdownRenderer.Render(doc, run.Run.ReportDir);

        // then every h2 and h3 of the page is a heading of the Markdown, and they have as many tables
        var headings = Regex.Matches(html, "<h([23])[^>]*>(.*?)</h\\1>").Select(m => System.Net.WebUtility.HtmlDecode(Regex.Replace(m.Groups[2].Value, "<[^>]+>", ""))).ToList();
        Assert.Contains("Test results", headings);
        Assert.Contains("Limitations", headings);
        Assert.True(headings.Count >= 8, string.Join(" | ", headings));
        foreach (var h in headings) Assert.Matches("(?m)^#{2,3} " + Regex.Escape(h) + "$", md.Replace("`", ""));
        Assert.Equal(Regex.Matches(html, "<table").Count, Regex.Matches(md, "(?m)^\\|(---\\|)+$").Count);
        // and each figure of the page is named in the Markdown
        Assert.Equal(Regex.Matches(html, "<figure id=\"fig-").Count, Regex.Matches(md, "\\(figure in report\\.html\\)").Count);
    }
}
