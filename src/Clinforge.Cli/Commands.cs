using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Intent;
using Spectre.Console;

namespace Clinforge.Cli;

/// <summary>The clinforge commands. Each reads and writes the run folder of DESIGN.md.</summary>
internal static class Commands
{
    /// <summary>The request the demo uses on the generated lesions.</summary>
    public const string DemoRequest = "Help me tell melanoma from nevus on these skin lesion images; try not to miss a single melanoma.";

    /// <summary>
    /// Side (px) of the demo's generated images. 128 px is a "real-size" image for the initializer, so the
    /// demo shows the default a user gets on their own photographs: the pretrained ResNet-18 with a
    /// linear head on frozen features. Measured on these 600 images (2 cores, 25-s trials): test AUC 0.95,
    /// against 0.82 for the from-scratch CNN the demo ran on 64-px images.
    /// </summary>
    public const int DemoImageSize = 128;

    public static int Demo(Args a)
    {
        string outDir = Path.GetFullPath(a.Get("out") ?? Path.Combine("runs", "demo-" + Stamp()));
        int rounds = a.Int("rounds", 3);
        double trialSeconds = a.Double("trial-seconds", 25);
        var data = Path.Combine(outDir, "data");
        AnsiConsole.MarkupLine($"[bold]Clinforge demo[/]: generating 600 synthetic skin-lesion images of {DemoImageSize} px (melanoma-like vs nevus-like) in [blue]{Markup.Escape(data)}[/]");
        SyntheticLesions.Generate(data, count: 600, seed: 7, positiveShare: 0.3, size: DemoImageSize);
        return Workflow().Run(DemoRequest, Path.Combine(outDir, "run"), new RunSettings(data, rounds, trialSeconds, Seed: 17, Threads: 0));
    }

    public static int Develop(Args a)
    {
        string request = a.Require("request", "what the model should do, in your words");
        string? data = a.Get("data");
        string? workspace = a.Get("workspace");
        int rounds = a.Int("rounds", 8);
        double minutes = a.Double("trial-minutes", 1.5);
        int seed = a.Int("seed", 17);
        int threads = a.Int("threads", 0);
        double? total = a.Get("budget-minutes") is null ? null : a.Double("budget-minutes", 60);
        int patience = a.Int("patience", 0);
        int parallel = Math.Max(1, a.Int("parallel", 1));
        string proposer = a.Get("proposer") ?? "playbook";
        string start = a.Get("start") ?? "auto";
        if (!Initializer.Starts.Contains(start)) throw new ClinforgeException($"--start must be {string.Join(", ", Initializer.Starts)} (got '{start}').");
        string protocol = a.Get("protocol") ?? "auto";
        if (protocol is not ("auto" or "holdout" or "folds")) throw new ClinforgeException($"--protocol must be auto, holdout or folds (got '{protocol}').");
        int foldWorkers = a.Int("fold-workers", 0);
        string? tradeOff = TradeOffOption(a);
        if (proposer is not ("playbook" or "random")) throw new ClinforgeException($"--proposer must be 'playbook' or 'random' (got '{proposer}').");
        string run = a.Get("run") ?? Path.Combine("runs", Stamp() + "-" + Slug(request));
        // Review of the parsed spec (IntentCommands.Review): answers file, defaults, or questions on a terminal.
        string? answers = a.Get("answers");
        bool nonInteractive = a.Flag("non-interactive");
        if (answers is not null && nonInteractive) throw new ClinforgeException("give either --answers FILE or --non-interactive, not both.");
        var (executor, slurm) = ExecutorOptions.Read(a, DatasetLibrary.ResolveWorkspace(workspace), null, null);
        // Without --data the workspace's dataset library is searched (a run being continued keeps its data).
        data ??= File.Exists(new RunPaths(Path.GetFullPath(run)).Settings)
            ? Json.Read<RunSettings>(new RunPaths(Path.GetFullPath(run)).Settings).Data
            : DataCommand.Choose(request, workspace, canAsk: answers is null && !nonInteractive && !Console.IsInputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        return Workflow().Run(request, Path.GetFullPath(run), new RunSettings(Path.GetFullPath(data), rounds, minutes * 60, seed, threads, total, patience, parallel, proposer, tradeOff, Executor: executor, Slurm: slurm, Start: start, Protocol: protocol, FoldWorkers: foldWorkers, Recipe: a.Get("recipe") is { } recipe ? Path.GetFullPath(recipe) : null),
            spec => IntentCommands.Review(spec, answers, nonInteractive), IntentCommands.TradeOffAsker(answers, nonInteractive));
    }

    /// <summary>--trade-off: an operating-point option key chosen in advance, or "later" to stop before the test look and wait for a choice.</summary>
    internal static string? TradeOffOption(Args a)
    {
        var value = a.Get("trade-off");
        if (value is null or "later" || TradeOffKeys.All.Contains(value)) return value;
        throw new ClinforgeException($"--trade-off must be later or one of {string.Join(", ", TradeOffKeys.All)} (got '{value}').");
    }

    /// <summary>The workflow on this machine: networks through TorchSharp, the account on the console, trials as child processes of this command.</summary>
    internal static Workflow Workflow() =>
        new(new TorchModelRuntime(), new ConsoleView(), TrialLauncher.ForAssembly(typeof(Commands).Assembly.Location));

    public static int Trial(Args a)
    {
        var run = new RunPaths(Path.GetFullPath(a.Require("run", "run folder")));
        int number = a.Int("trial", 0);
        double seconds = a.Double("budget-seconds", 60);
        int threads = a.Int("threads", 0);
        int? fold = a.Get("fold") is null ? null : a.Int("fold", 0);
        var until = a.Get("until") is { } u
            ? DateTime.TryParse(u, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed) ? parsed
                : throw new ClinforgeException($"--until must be a UTC time such as 2026-01-01T12:00:00Z (got '{u}').")
            : (DateTime?)null;
        int parentPid = a.Int("parent-pid", 0);
        // 0: as many folds at once as leave each at least two threads (see below).
        int foldWorkers = a.Int("fold-workers", 0);
        if (parentPid > 0) FoldProcesses.ExitWithParent(parentPid);
        var started = DateTime.UtcNow;
        var recipe = Json.Read<Recipe>(run.Trial(number).Recipe);
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        var card = Json.Read<DataCard>(run.DataCard);
        // How much later the trial may end when it computes frozen-stage outputs for the whole run (the local executor waits that long; 0: charged to the trial).
        double allowance = Math.Max(0, a.Double("preparation-allowance", 0));
        var request = new TrialRequest(run, number, spec, card, started.AddSeconds(seconds * recipe.TrainBudgetFraction), threads, fold, until, foldWorkers, TimeSpan.FromSeconds(allowance));
        return TrialBodies.Run(TaskKinds.For(spec, card).Name, request);
    }

    public static int Parse(Args a)
    {
        // parse --eval: measure the parser on a corpus (IntentCommands) instead of parsing one request.
        if (a.Get("eval") is { } corpus)
        {
            bool showHeldOut = a.Flag("show-heldout");
            if (a.Positional.Count != 0) throw new ClinforgeException("usage: clinforge parse --eval corpus.jsonl [--show-heldout]");
            return IntentCommands.Eval(corpus, showHeldOut);
        }
        if (a.Positional.Count != 1) throw new ClinforgeException("usage: clinforge parse \"REQUEST\" (--data PATH | --classes \"a,b\") [--json]  |  clinforge parse --eval corpus.jsonl");
        var dataset = a.Get("classes") is null ? DatasetReader.Open(Path.GetFullPath(a.Require("data", "the dataset whose class names the request refers to"))) : null;
        var classes = dataset?.Classes.ToArray() ?? a.Get("classes")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool json = a.Flag("json");
        // CLINFORGE_LLM selects the LLM backend; the note on which parser runs goes to stderr so --json stays clean.
        var spec = IntentParsers.FromEnvironment(say: Console.Error.WriteLine).Parse(a.Positional[0], classes, dataset is null ? null : Development.Workflow.ParserContext(dataset));
        if (json) Console.WriteLine(Json.Serialize(spec));
        else new ConsoleView().Spec(spec);
        return 0;
    }

    public static int Report(Args a)
    {
        if (a.Positional.Count != 1) throw new ClinforgeException("usage: clinforge report RUN [--pdf]");
        bool pdf = a.Flag("pdf");
        var run = new RunPaths(Path.GetFullPath(a.Positional[0]));
        if (!File.Exists(run.TaskSpec)) throw new ClinforgeException($"{run.Root}: not a run folder (no task_spec.json).");
        using var runLock = RunLock.Acquire(run);
        using var journal = new Journal(run.Journal);
        var html = TaskKinds.For(Json.Read<TaskSpec>(run.TaskSpec), Json.Read<DataCard>(run.DataCard)).WriteReport(run, journal);
        Console.WriteLine(html);
        if (pdf) Console.WriteLine(PdfPrinter.Print(html, run.ReportPdf, TimeSpan.FromMinutes(2)));
        return 0;
    }

    private static string Stamp() => DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);

    private static string Slug(string text)
    {
        var words = new string(text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : ' ').ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4);
        return string.Join('-', words);
    }
}
