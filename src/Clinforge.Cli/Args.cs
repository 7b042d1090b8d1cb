using System.CommandLine;
using System.CommandLine.Parsing;
using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>
/// What a command was given, read from System.CommandLine's parse result: an option's text as typed
/// (already checked by its parser, <see cref="CliOptions"/>), flags, and the positional arguments in order.
/// </summary>
internal sealed class Args
{
    private readonly ParseResult _parse;
    private readonly Dictionary<string, Option> _options;

    public Args(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        _parse = parse;
        _options = [];
        // The command's own options and the recursive ones of its parents (--allow-root, --max-image-pixels).
        for (var symbol = parse.CommandResult; symbol is not null; symbol = symbol.Parent as CommandResult)
            foreach (var o in symbol.Command.Options)
                _options.TryAdd(o.Name, o);
        Positional = parse.CommandResult.Command.Arguments.SelectMany(arg => parse.GetValue<string[]>(arg.Name) ?? []).ToList();
        // An option nobody declared ends up among the positional arguments: a typo, refused as before.
        var unknown = Positional.Where(p => p.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (unknown.Count > 0) throw new ClinforgeException($"unknown option(s): {string.Join(", ", unknown)}. Run 'clinforge help'.");
    }

    /// <summary>The positional arguments, in order.</summary>
    public List<string> Positional { get; }

    /// <summary>The option's value as typed, or null when it was not given.</summary>
    public string? Get(string name) => Result(name) is { Implicit: false, Tokens.Count: > 0 } r ? r.Tokens[0].Value : null;

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> All(string name) => Result(name) is { Implicit: false } r ? r.Tokens.Select(t => t.Value).ToList() : [];

    public string Require(string name, string what) => Get(name) ?? throw new ClinforgeException($"missing --{name} ({what}).");

    public bool Flag(string name) => Result(name) is { Implicit: false } && _parse.GetValue<bool>("--" + name);

    public int Int(string name, int fallback) => Get(name) is { } v ? CliOptions.ParseCount("--" + name, v, out var i, out var error) ? i : throw new ClinforgeException(error!) : fallback;

    public double Double(string name, double fallback) => Get(name) is { } v ? CliOptions.ParseNumber("--" + name, v, out var d, out var error) ? d : throw new ClinforgeException(error!) : fallback;

    /// <summary>The largest number a duration option takes (about two years in minutes): any more cannot be a time budget, and Infinity or NaN would overflow every clock.</summary>
    public const double MaxNumber = CliOptions.MaxNumber;

    private OptionResult? Result(string name) =>
        _options.TryGetValue("--" + name, out var option) ? _parse.GetResult(option)
        : throw new InvalidOperationException($"option --{name} is not declared for '{_parse.CommandResult.Command.Name}'.");
}
