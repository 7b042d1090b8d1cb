using System.CommandLine;
using Clinforge.Core;

namespace Clinforge.Cli;

/// <summary>
/// The <c>clinforge</c> command line on System.CommandLine: every command with its typed options
/// (generated help, validation, tab completion), each a thin shell over the rooms. A parse error is
/// one clear line and exit code 2 (<see cref="CliBoundary"/>), never a stack trace.
/// </summary>
internal static class ClinforgeCommandLine
{
    private static readonly Option<string[]> s_allowRoot = CliOptions.Folders("allow-root", "A folder besides the dataset's own that its files may lie in (repeatable).", mustExist: true, recursive: true);
    private static readonly Option<long> s_maxPixels = CliOptions.Pixels("max-image-pixels", "The largest image read, width × height (default 64000000), checked before decoding.");

    /// <summary>Parses and runs a command line; the exit code.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = Build();
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke();
            return 1;
        }
        // "clinforge help [COMMAND]" is "clinforge [COMMAND] --help".
        if (args[0] == "help") args = [.. args[1..], "--help"];
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0) throw new ClinforgeException(CliOptions.Describe(parse));
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    /// <summary>The command tree.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("clinforge: from a clinician's request and a folder of images to a validated model. Environment: CLINFORGE_LLM=openai:MODEL | anthropic:MODEL | openai-compatible:URL:MODEL | ollama:MODEL makes the parser and the proposer use a language model (validated, with the offline rules as fallback).");
        root.Options.Add(s_allowRoot);
        root.Options.Add(s_maxPixels);

        root.Subcommands.Add(Define("demo", "Generates a synthetic lesion dataset and runs the whole workflow on it.", Commands.Demo, [],
            CliOptions.Text("out", "Where the data and the run are written (default runs/demo-TIME).", "DIR"),
            CliOptions.Count("rounds", "Refinement rounds (default 3)."),
            CliOptions.Number("trial-seconds", "Each trial's budget in seconds (default 25).", "S")));

        root.Subcommands.Add(Define("develop", "Parses the request, inspects and splits the data (test split sealed), trains and refines for N rounds, evaluates initial and final once on the test split, writes the report and the model package. DATA: a folder per class, a folder with images and one CSV, a CSV, a MedMNIST .npz, a detection folder (YOLO/COCO), DICOM or NIfTI. Without --data the workspace's dataset library is searched. On a terminal it asks the open questions; --answers or --non-interactive answer them for scripts. Running it again with --run continues a run.", Commands.Develop, [],
            [
                CliOptions.Text("request", "What the model should do, in your words.", "TEXT"),
                CliOptions.Text("data", "The dataset.", "PATH"),
                CliOptions.Text("workspace", "The workspace whose dataset library is searched (else $CLINFORGE_WORKSPACE, else ~/.clinforge).", "DIR"),
                CliOptions.Count("rounds", "Refinement rounds (default 8)."),
                CliOptions.Number("trial-minutes", "Each trial's budget in minutes (default 1.5).", "M"),
                CliOptions.Number("budget-minutes", "Stop before the total would exceed this many minutes.", "B"),
                CliOptions.Count("patience", "Stop after this many rounds in a row without improvement (0: never).", "P"),
                CliOptions.Count("parallel", "Trials at once, cores split between them (default 1).", "K"),
                CliOptions.Choice("proposer", "Where changes come from: the playbook, or the random-search baseline.", "playbook", "random"),
                CliOptions.Text("answers", "A JSON file answering the open questions (field -> value).", "FILE"),
                CliOptions.Flag("non-interactive", "Take the defaults for the open questions."),
                CliOptions.Text("run", "The run folder (default runs/TIME-WORDS).", "DIR"),
                CliOptions.Count("seed", "The seed of splits, training and bootstrap (default 17).", "S"),
                CliOptions.Count("threads", "Torch threads per trial (0: the cores split between trials).", "T"),
                CliOptions.Choice("trade-off", "When stated floors conflict: stop before the test look and wait (later), or an option chosen in advance.", ["later", .. TradeOffKeys.All]),
                CliOptions.Choice("start", "The starting point: the initializer's rule, pretrained weights, or from scratch.", "auto", "pretrained", "scratch"),
                CliOptions.Choice("protocol", "How changes are judged: auto picks k-fold cross-validation when validation would hold too few of the class that matters.", "auto", "holdout", "folds"),
                CliOptions.Count("fold-workers", "Folds trained at once, one process each (default: one per two cores).", "W"),
                CliOptions.Text("recipe", "Start from this recipe.json (e.g. one of a run's trials, edited) instead of the initializer's plan; it must fit the task kind.", "FILE"),
                .. ExecutorOptions.Declare(),
            ]));

        root.Subcommands.Add(Define("resume", "Continues a run after an interruption (even kill -9): no finished trial is lost and the interrupted one runs again.", ResumeCommand.Run,
            [CliOptions.Positional("RUN", "The run folder.")],
            [
                CliOptions.Count("rounds", "Refinement rounds in all (default: as recorded)."),
                CliOptions.Text("trade-off", "The operating point chosen after 'develop --trade-off later' stopped for it.", "KEY"),
                CliOptions.Number("trial-minutes", "A new budget per trial, in minutes.", "M"),
                CliOptions.Number("budget-minutes", "A new total budget, in minutes.", "B"),
                .. ExecutorOptions.Declare(),
            ]));

        root.Subcommands.Add(Define("explain", "Answers from the journal: \"why did you add focal loss?\", \"why was round 3 discarded?\".", ExplainCommand.Run,
            [CliOptions.Positional("RUN [QUESTION]", "The run folder and, optionally, a question.")],
            CliOptions.Count("round", "The round to explain.")));

        root.Subcommands.Add(Define("report", "Rewrites report.md, report.html and model_card.md from the run folder.", Commands.Report,
            [CliOptions.Positional("RUN", "The run folder.")],
            CliOptions.Flag("pdf", "Also print report.pdf with Chromium.")));

        root.Subcommands.Add(Define("predict", "Scores new images with a run's package/: probabilities and the decision at the operating point chosen on validation (detection: boxes and marked images).", PredictCommand.Run,
            [CliOptions.Positional("PACKAGE IMAGE_OR_DIR...", "The package folder, then images or folders of images.")],
            CliOptions.Text("out", "Where predictions.csv (or detections.json) goes (default: here).", "DIR"),
            CliOptions.Count("threads", "Torch threads (0: all cores).", "T"),
            CliOptions.Choice("runtime", "Score with TorchSharp, or with model.onnx through ONNX Runtime.", "torch", "onnx")));

        root.Subcommands.Add(Define("evaluate", "External validation: the package on labelled data it never saw, at its packaged operating point, every metric with a 95% bootstrap CI.", EvaluateCommand.Run,
            [CliOptions.Positional("PACKAGE DATA", "The package folder and a labelled dataset.")],
            CliOptions.Choice("split", "Which part of DATA (default: its official test split, else all).", "test", "val", "train", "all"),
            CliOptions.Text("out", "Where external_evaluation.json/.md go (default: here).", "DIR"),
            CliOptions.Count("seed", "The bootstrap seed (default 17).", "S"),
            CliOptions.Count("threads", "Torch threads (0: all cores).", "T")));

        root.Subcommands.Add(Define("parse", "Shows how a request is understood (with --data or --classes), or measures the parser on a corpus (--eval).", Commands.Parse,
            [CliOptions.Positional("REQUEST", "The request, in your words.")],
            CliOptions.Text("data", "The dataset whose class names the request refers to.", "PATH"),
            CliOptions.Text("classes", "Class names, comma-separated, instead of a dataset.", "A,B"),
            CliOptions.Flag("json", "Print the task spec as JSON."),
            CliOptions.Text("eval", "A JSONL corpus of requests with expected fields.", "FILE"),
            CliOptions.Flag("show-heldout", "With --eval: also list the held-out half's misses.")));

        var data = new Command("data", "The workspace's dataset library (--workspace, else $CLINFORGE_WORKSPACE, else ~/.clinforge).");
        data.Subcommands.Add(Define("add", "Registers a dataset (checked, with classes and counts).", DataCommand.Add,
            [CliOptions.Positional("DIR", "The dataset.")],
            CliOptions.Text("name", "A short name for the dataset.", "N"),
            CliOptions.Text("card", "What the data are, in free text.", "TEXT"),
            CliOptions.Text("workspace", "The workspace.", "DIR")));
        data.Subcommands.Add(Define("list", "Lists the registered datasets.", DataCommand.List, [],
            CliOptions.Text("workspace", "The workspace.", "DIR")));
        root.Subcommands.Add(data);

        root.Subcommands.Add(Define("serve", "The web app for clinicians on 127.0.0.1: prints a link with an access token.", ServeCommand.Run, [],
            [
                CliOptions.Count("port", "The port (0: a free one).", "P"),
                CliOptions.Text("workspace", "The workspace.", "DIR"),
                CliOptions.Folders("allow", "A folder whose data the web app may read (repeatable).", mustExist: false),
                .. ExecutorOptions.Declare(),
            ]));

        root.Subcommands.Add(Define("trial", "(internal) Trains one trial, or one fold of it; started by the developer loop as a child process.", Commands.Trial, [],
            CliOptions.Text("run", "The run folder.", "DIR"),
            CliOptions.Count("trial", "The trial number."),
            CliOptions.Number("budget-seconds", "The trial's budget in seconds.", "S"),
            CliOptions.Number("preparation-allowance", "Seconds the trial may add to its deadline for one-time work it does for the run (frozen features); default 0.", "S"),
            CliOptions.Count("threads", "Torch threads.", "T"),
            CliOptions.Count("fold-workers", "Folds at once.", "W"),
            CliOptions.Count("fold", "Train only this fold.", "F"),
            CliOptions.Text("until", "The fold's deadline (UTC).", "UTC"),
            CliOptions.Count("parent-pid", "Exit when this process is gone.", "P")));
        return root;
    }

    /// <summary>A command whose action applies the options every command takes, then runs <paramref name="handler"/>.</summary>
    private static Command Define(string name, string description, Func<Args, int> handler, Argument[] arguments, params Option[] options)
    {
        var command = new Command(name, description);
        foreach (var a in arguments) command.Arguments.Add(a);
        foreach (var o in options) command.Options.Add(o);
        command.SetAction(parse =>
        {
            CliBoundary.ApplyGlobalOptions(parse.GetResult(s_maxPixels) is { Implicit: false } ? parse.GetValue(s_maxPixels) : null, parse.GetValue(s_allowRoot) ?? []);
            return handler(new Args(parse));
        });
        return command;
    }
}
