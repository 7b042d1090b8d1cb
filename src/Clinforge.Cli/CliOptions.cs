using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Cli;

/// <summary>
/// The kinds of option the commands take, each a typed System.CommandLine option whose parser checks
/// the value with the message a user needs (a count, a duration no clock overflows, a choice with tab
/// completion, a folder that exists), and the translation of a parse error into one clear line.
/// </summary>
internal static class CliOptions
{
    /// <summary>The largest number a duration option takes (about two years in minutes): any more cannot be a time budget, and Infinity or NaN would overflow every clock.</summary>
    public const double MaxNumber = 1_000_000;

    /// <summary>Free text: a request, a path, a name.</summary>
    public static Option<string> Text(string name, string help, string? valueName = null) =>
        new("--" + name) { Description = help, HelpName = valueName };

    /// <summary>A whole number ≥ 0.</summary>
    public static Option<int> Count(string name, string help, string valueName = "N") =>
        new("--" + name) { Description = help, HelpName = valueName, CustomParser = r => ParseCount("--" + name, r.Tokens[0].Value, out var v, out var e) ? v : Fail<int>(r, e!) };

    /// <summary>A positive, finite number no larger than <see cref="MaxNumber"/> (a duration).</summary>
    public static Option<double> Number(string name, string help, string valueName = "X") =>
        new("--" + name) { Description = help, HelpName = valueName, CustomParser = r => ParseNumber("--" + name, r.Tokens[0].Value, out var v, out var e) ? v : Fail<double>(r, e!) };

    /// <summary>One of <paramref name="values"/> (checked by the command, which says what each means); completed on Tab.</summary>
    public static Option<string> Choice(string name, string help, params string[] values)
    {
        var option = new Option<string>("--" + name) { Description = help, HelpName = values.Sum(v => v.Length + 1) <= 30 ? string.Join('|', values) : "KEY" };
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>A switch.</summary>
    public static Option<bool> Flag(string name, string help) => new("--" + name) { Description = help };

    /// <summary>A folder option that may be given several times.</summary>
    public static Option<string[]> Folders(string name, string help, bool mustExist, bool recursive = false)
    {
        var option = new Option<string[]>("--" + name) { Description = help, HelpName = "DIR", Recursive = recursive, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        if (mustExist)
            option.Validators.Add(r =>
            {
                foreach (var t in r.Tokens)
                    if (!Directory.Exists(Path.GetFullPath(t.Value))) r.AddError($"--{name} {t.Value}: no such folder.");
            });
        return option;
    }

    /// <summary>--max-image-pixels: the largest image decoded (width × height), checked before decoding.</summary>
    public static Option<long> Pixels(string name, string help) =>
        new("--" + name)
        {
            Description = help, HelpName = "N", Recursive = true,
            CustomParser = r => long.TryParse(r.Tokens[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p >= DataLimits.MinSide * DataLimits.MinSide
                ? p
                : Fail<long>(r, $"--{name} must be a whole number of pixels (width × height), at least {DataLimits.MinSide * DataLimits.MinSide} (got '{r.Tokens[0].Value}')."),
        };

    /// <summary>Positional arguments, checked by the command (which knows its usage line).</summary>
    public static Argument<string[]> Positional(string helpName, string help) =>
        new("args") { Description = help, HelpName = helpName, Arity = ArgumentArity.ZeroOrMore };

    public static bool ParseCount(string option, string text, out int value, out string? error)
    {
        error = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0 ? null : $"{option} must be a non-negative integer (got '{text}').";
        return error is null;
    }

    public static bool ParseNumber(string option, string text, out double value, out string? error)
    {
        error = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) && value > 0 && value <= MaxNumber
            ? null
            : $"{option} must be a positive number no larger than {MaxNumber.ToString("0", CultureInfo.InvariantCulture)} (got '{text}').";
        return error is null;
    }

    /// <summary>One line for what the parser refused: a missing value, an unknown command or option, or the option's own message.</summary>
    public static string Describe(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        foreach (var e in parse.Errors)
            if (e.SymbolResult is OptionResult { Tokens.Count: 0, Implicit: false } o) return $"option {o.Option.Name} needs a value.";
        var command = parse.CommandResult.Command;
        if (command.Subcommands.Count > 0 && command.Action is null && parse.UnmatchedTokens.Count == 0)
            return $"'clinforge {command.Name}' needs one of: {string.Join(", ", command.Subcommands.Select(c => c.Name))}. Run 'clinforge {command.Name} --help'.";
        if (parse.UnmatchedTokens.Count > 0)
            return parse.CommandResult.Command is RootCommand
                ? $"unknown command '{parse.UnmatchedTokens[0]}'. Run 'clinforge help'."
                : $"unknown option(s) or argument(s): {string.Join(", ", parse.UnmatchedTokens)}. Run 'clinforge {parse.CommandResult.Command.Name} --help'.";
        return parse.Errors[0].Message;
    }

    private static T Fail<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
