using Clinforge.Cli;
using Clinforge.Core;

// The clinforge command: a thin shell over the rooms; every command's work lives in Commands.
// Every failure ends here (CliBoundary): a clear message and an exit code, never a stack trace.
return CliBoundary.Run(() =>
{
    args = CliBoundary.ApplyGlobalOptions(args);
    if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
    {
        Commands.PrintHelp();
        return args.Length == 0 ? 1 : 0;
    }
    return args[0] switch
    {
        "demo" => Commands.Demo(args[1..]),
        "develop" => Commands.Develop(args[1..]),
        "trial" => Commands.Trial(args[1..]),
        "report" => Commands.Report(args[1..]),
        "resume" => ResumeCommand.Run(args[1..]),
        "explain" => ExplainCommand.Run(args[1..]),
        "predict" => PredictCommand.Run(args[1..]),
        "evaluate" => EvaluateCommand.Run(args[1..]),
        "parse" => Commands.Parse(args[1..]),
        "data" => DataCommand.Run(args[1..]),
        "serve" => ServeCommand.Run(args[1..]),
        _ => throw new ClinforgeException($"unknown command '{args[0]}'. Run 'clinforge help'."),
    };
});
