using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>Minimal "--name value" / "--flag" parser with clear errors; positional arguments kept in order.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public Args(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                var name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (!flags.Contains(name))
                {
                    if (i + 1 >= list.Count) throw new ClinforgeException($"option --{name} needs a value.");
                    value = list[++i];
                }
                _options[name] = value;
            }
            else Positional.Add(a);
        }
    }

    public string? Get(string name) { _used.Add(name); return _options.TryGetValue(name, out var v) ? v : null; }

    public string Require(string name, string what) => Get(name) ?? throw new ClinforgeException($"missing --{name} ({what}).");

    public bool Flag(string name) { _used.Add(name); return _options.ContainsKey(name); }

    public int Int(string name, int fallback) => Get(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 ? i : throw new ClinforgeException($"--{name} must be a non-negative integer (got '{v}').")
        : fallback;

    /// <summary>The largest number a duration option takes (about two years in minutes): any more cannot be a time budget, and Infinity or NaN would overflow every clock.</summary>
    public const double MaxNumber = 1_000_000;

    public double Double(string name, double fallback) => Get(name) is { } v
        ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d > 0 && d <= MaxNumber
            ? d
            : throw new ClinforgeException($"--{name} must be a positive number no larger than {MaxNumber.ToString("0", CultureInfo.InvariantCulture)} (got '{v}').")
        : fallback;

    /// <summary>Fails on options nobody asked for (typos).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ClinforgeException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}. Run 'clinforge help'.");
    }
}
