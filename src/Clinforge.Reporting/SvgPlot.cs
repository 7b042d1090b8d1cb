using System.Globalization;
using System.Net;
using System.Text;

namespace Clinforge.Reporting;

/// <summary>
/// A minimal line/scatter chart rendered as inline SVG, so report.html stays one self-contained
/// file with no native drawing library (ScottPlot would pull SkiaSharp's native assets).
/// </summary>
public sealed class SvgPlot
{
    private const double Width = 420, Height = 320, Left = 56, Right = 16, Top = 30, Bottom = 46;
    private readonly StringBuilder _body = new();
    private readonly List<(string Label, string Color, bool Dashed, bool Marker)> _legend = [];
    private readonly string _title, _xLabel, _yLabel;
    private readonly double _xMin, _xMax, _yMin, _yMax;

    /// <summary>A plot with fixed axis ranges.</summary>
    public SvgPlot(string title, string xLabel, string yLabel, double xMin, double xMax, double yMin, double yMax)
    {
        if (!(xMax > xMin) || !(yMax > yMin)) throw new ArgumentException("Axis ranges must be non-empty.");
        (_title, _xLabel, _yLabel, _xMin, _xMax, _yMin, _yMax) = (title, xLabel, yLabel, xMin, xMax, yMin, yMax);
    }

    private double X(double x) => Left + (x - _xMin) / (_xMax - _xMin) * (Width - Left - Right);
    private double Y(double y) => Height - Bottom - (y - _yMin) / (_yMax - _yMin) * (Height - Top - Bottom);
    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A polyline through the points; optional legend label.</summary>
    public SvgPlot Line(IEnumerable<(double X, double Y)> points, string color, string? label = null, bool dashed = false, bool step = false)
    {
        var pts = points.ToList();
        if (pts.Count == 0) return this;
        var path = new StringBuilder();
        for (int i = 0; i < pts.Count; i++)
        {
            if (i > 0 && step) path.Append(N(X(pts[i].X))).Append(',').Append(N(Y(pts[i - 1].Y))).Append(' ');
            path.Append(N(X(pts[i].X))).Append(',').Append(N(Y(pts[i].Y))).Append(' ');
        }
        _body.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"5,4\"" : "")} points=\"{path.ToString().TrimEnd()}\"/>");
        if (label is not null) _legend.Add((label, color, dashed, false));
        return this;
    }

    /// <summary>Circles at the points, each with an optional hover title.</summary>
    public SvgPlot Points(IEnumerable<(double X, double Y, string? Tip)> points, string color, double radius = 4, string? label = null, bool hollow = false)
    {
        foreach (var (x, y, tip) in points)
            _body.Append($"<circle cx=\"{N(X(x))}\" cy=\"{N(Y(y))}\" r=\"{N(radius)}\" fill=\"{(hollow ? "white" : color)}\" stroke=\"{color}\" stroke-width=\"2\">{(tip is null ? "" : $"<title>{WebUtility.HtmlEncode(tip)}</title>")}</circle>");
        if (label is not null) _legend.Add((label, color, false, true));
        return this;
    }

    /// <summary>A text note at data coordinates.</summary>
    public SvgPlot Text(double x, double y, string text, string anchor = "start") =>
        Append($"<text x=\"{N(X(x))}\" y=\"{N(Y(y))}\" font-size=\"11\" text-anchor=\"{anchor}\">{WebUtility.HtmlEncode(text)}</text>");

    private SvgPlot Append(string s) { _body.Append(s); return this; }

    /// <summary>The SVG element.</summary>
    /// <param name="xTicks">Number of x intervals.</param>
    /// <param name="yTicks">Number of y intervals.</param>
    /// <param name="integerX">Label x ticks as integers (trial numbers).</param>
    /// <param name="legendBottom">Put the legend in the lower right corner instead of the upper right.</param>
    /// <param name="legendLeft">Put the legend on the left instead of the right.</param>
    public string Render(int xTicks = 5, int yTicks = 5, bool integerX = false, bool legendBottom = false, bool legendLeft = false)
    {
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(Width)} {N(Height)}\" style=\"width:100%;max-width:{N(Width)}px;height:auto\" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(_title)}\" font-family=\"sans-serif\">");
        sb.Append($"<text x=\"{N(Width / 2)}\" y=\"18\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">{WebUtility.HtmlEncode(_title)}</text>");
        sb.Append($"<rect x=\"{N(Left)}\" y=\"{N(Top)}\" width=\"{N(Width - Left - Right)}\" height=\"{N(Height - Top - Bottom)}\" fill=\"none\" stroke=\"#888\"/>");
        var xs = integerX
            ? Enumerable.Range((int)Math.Ceiling(_xMin), (int)Math.Floor(_xMax) - (int)Math.Ceiling(_xMin) + 1)
                .Where(k => k % Math.Max(1, (int)Math.Ceiling((_xMax - _xMin) / xTicks)) == 0).Select(k => (double)k)
            : Enumerable.Range(0, xTicks + 1).Select(i => _xMin + (_xMax - _xMin) * i / xTicks);
        foreach (var v in xs)
        {
            sb.Append($"<line x1=\"{N(X(v))}\" x2=\"{N(X(v))}\" y1=\"{N(Top)}\" y2=\"{N(Height - Bottom)}\" stroke=\"#eee\"/>");
            sb.Append($"<text x=\"{N(X(v))}\" y=\"{N(Height - Bottom + 14)}\" font-size=\"10\" text-anchor=\"middle\">{(integerX ? Math.Round(v).ToString(CultureInfo.InvariantCulture) : v.ToString("0.0#", CultureInfo.InvariantCulture))}</text>");
        }
        for (int i = 0; i <= yTicks; i++)
        {
            double v = _yMin + (_yMax - _yMin) * i / yTicks;
            sb.Append($"<line x1=\"{N(Left)}\" x2=\"{N(Width - Right)}\" y1=\"{N(Y(v))}\" y2=\"{N(Y(v))}\" stroke=\"#eee\"/>");
            sb.Append($"<text x=\"{N(Left - 4)}\" y=\"{N(Y(v) + 3)}\" font-size=\"10\" text-anchor=\"end\">{v.ToString("0.0##", CultureInfo.InvariantCulture)}</text>");
        }
        sb.Append($"<text x=\"{N((Left + Width - Right) / 2)}\" y=\"{N(Height - 8)}\" font-size=\"11\" text-anchor=\"middle\">{WebUtility.HtmlEncode(_xLabel)}</text>");
        sb.Append($"<text transform=\"translate(14 {N((Top + Height - Bottom) / 2)}) rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">{WebUtility.HtmlEncode(_yLabel)}</text>");
        sb.Append(_body);
        double ly = legendBottom ? Height - Bottom - 8 - 14 * (_legend.Count - 1) : Top + 14;
        if (_legend.Count > 0)
        {
            double lx0 = legendLeft ? Left + 4 : Width - Right - 156;
            sb.Append($"<rect x=\"{N(lx0)}\" y=\"{N(ly - 12)}\" width=\"152\" height=\"{N(14 * _legend.Count + 4)}\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>");
        }
        foreach (var (label, color, dashed, marker) in _legend)
        {
            double lx = legendLeft ? Left + 10 : Width - Right - 150;
            sb.Append(marker
                ? $"<circle cx=\"{N(lx + 9)}\" cy=\"{N(ly - 4)}\" r=\"4\" fill=\"{color}\" stroke=\"{color}\"/>"
                : $"<line x1=\"{N(lx)}\" x2=\"{N(lx + 18)}\" y1=\"{N(ly - 4)}\" y2=\"{N(ly - 4)}\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"5,4\"" : "")}/>");
            sb.Append($"<text x=\"{N(lx + 22)}\" y=\"{N(ly)}\" font-size=\"10\">{WebUtility.HtmlEncode(label)}</text>");
            ly += 14;
        }
        sb.Append("</svg>");
        return sb.ToString();
    }
}
