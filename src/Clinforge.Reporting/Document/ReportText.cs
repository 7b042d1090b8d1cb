namespace Clinforge.Reporting;

/// <summary>How a run of text is shown: plain, strong, as code, as a warning, or as a kept decision.</summary>
public enum SpanStyle
{
    /// <summary>Plain text.</summary>
    Plain,

    /// <summary>Bold (Markdown **…**, HTML b).</summary>
    Strong,

    /// <summary>A file, column or identifier (Markdown `…`, HTML code).</summary>
    Code,

    /// <summary>Something the reader must not miss (bold; red in HTML).</summary>
    Warning,

    /// <summary>A change that was kept (bold; green in HTML).</summary>
    Kept,
}

/// <summary>A run of text in one style.</summary>
/// <param name="Text">The raw text (renderers escape it).</param>
/// <param name="Style">How it is shown.</param>
public sealed record Span(string Text, SpanStyle Style = SpanStyle.Plain);

/// <summary>
/// Inline text made of styled runs. A plain string converts implicitly, so most call sites write
/// strings; <see cref="Of"/> mixes styles ("Objective: ", strong "AUC", ".").
/// </summary>
/// <param name="Spans">The runs in order.</param>
public sealed record ReportText(IReadOnlyList<Span> Spans)
{
    /// <summary>Text from runs and strings (a string is a plain run).</summary>
    public static ReportText Of(params object[] parts) =>
        new(parts.Select(p => p switch
        {
            Span s => s,
            string s => new Span(s),
            null => new Span(""),
            _ => new Span(p.ToString() ?? ""),
        }).ToList());

    /// <summary>A strong run.</summary>
    public static Span Strong(string text) => new(text, SpanStyle.Strong);

    /// <summary>A code run.</summary>
    public static Span Code(string text) => new(text, SpanStyle.Code);

    /// <summary>A warning run.</summary>
    public static Span Warning(string text) => new(text, SpanStyle.Warning);

    /// <summary>A kept-decision run.</summary>
    public static Span Kept(string text) => new(text, SpanStyle.Kept);

    /// <summary>The text without styles.</summary>
    public string Plain => string.Concat(Spans.Select(s => s.Text));

    /// <summary>A plain run.</summary>
    public static implicit operator ReportText(string text) => new([new Span(text)]);

    /// <summary>Plain text as a report text (for languages without implicit conversions).</summary>
    public static ReportText FromString(string text) => text;
}
