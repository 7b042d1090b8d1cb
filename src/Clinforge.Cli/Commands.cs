using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Intent;
using Clinforge.Reporting;
using Clinforge.Training;
using Clinforge.Training.Onnx;
using Spectre.Console;

namespace Clinforge.Cli;

/// <summary>The clinforge commands. Each reads and writes the run folder of DESIGN.md.</summary>
internal static class Commands
{
    /// <summary>The request the demo uses on the generated lesions.</summary>
    public const string DemoRequest = "Help me tell melanoma from nevus on these skin lesion images; try not to miss a single melanoma.";

    public static void PrintHelp() => Console.WriteLine("""
        clinforge: from a clinician's request and a folder of images to a validated model.

          clinforge demo [--out DIR] [--rounds N] [--trial-seconds S]
              Generates a synthetic lesion dataset and runs the whole workflow on it.
          clinforge develop --request "TEXT" [--data PATH | --workspace W] [--rounds N] [--trial-minutes M]
                            [--budget-minutes B] [--patience P] [--parallel K] [--proposer playbook|random]
                            [--answers FILE | --non-interactive] [--run DIR] [--seed S] [--threads T]
                            [--trade-off later|sensitivity_first|specificity_first|balanced] [--start auto|pretrained|scratch]
                            [--protocol auto|holdout|folds] [--fold-workers W]
                            [--executor local|slurm] [--slurm-partition P] [--slurm-account A] [--slurm-cpus C]
                            [--slurm-mem 8G] [--slurm-gres gpu:1] [--slurm-grace-minutes G] [--slurm-config FILE]
              Parses the request, inspects and splits the data (test split sealed), trains and
              refines for N rounds (stopping early when the total budget B would be exceeded, or
              after P rounds in a row without improvement; K trials at a time, cores split), evaluates
              initial and final once on the test split, writes the report and the model package.
              PATH: a folder per class, a folder with images + one CSV, a CSV, or a MedMNIST .npz.
              Without --data, the best-matching dataset of the library (see 'data') is used, with reasons.
              On a terminal it asks the open questions; --answers FILE (JSON field -> value) or
              --non-interactive answer them for scripts. Running it again with --run continues a run.
              --executor slurm submits each trial as a Slurm job (settings also from WORKSPACE/clinforge.slurm.json).
              --protocol: how changes are judged; auto picks k-fold cross-validation when the validation
              split would hold too few images of the class that matters (the data card says why).
              --fold-workers W: folds trained at once, one process each (default: one per two cores).
          clinforge resume RUN [--rounds N] [--executor local|slurm] [--slurm-* ...]
              Continues a run after an interruption (even kill -9): no finished trial is lost and
              the interrupted one runs again.
          clinforge explain RUN [--round N] ["question"]
              Answers from the journal: "why did you add focal loss?", "why was round 3 discarded?".
          clinforge report RUN [--pdf]
              Rewrites report.md, report.html and model_card.md; --pdf prints report.pdf with Chromium.
          clinforge predict PACKAGE IMAGE_OR_DIR... [--out DIR] [--threads N] [--runtime torch|onnx]
              Scores new images with a run's package/: predictions.csv with probabilities and the
              decision at the operating point chosen on validation; --runtime onnx runs model.onnx.
          clinforge evaluate PACKAGE DATA [--split test|val|train|all] [--out DIR] [--seed S]
              External validation: the package on labelled data it never saw, at its packaged
              operating point, every metric with a 95% bootstrap CI (external_evaluation.json/.md).
          clinforge parse "REQUEST" (--data PATH | --classes "a,b,c") [--json]
          clinforge parse --eval corpus.jsonl
              Shows how a request is understood, or measures the parser on a corpus.
          clinforge data add DIR --name N [--card "free text"] [--workspace W]
          clinforge data list [--workspace W]
              Registers datasets (checked, with classes and counts) in the workspace's library
              (--workspace, else $CLINFORGE_WORKSPACE, else ~/.clinforge).
          clinforge serve [--port P] [--workspace W] [--allow DIR]...
              The web app for clinicians on 127.0.0.1: prints a link with an access token.
          clinforge trial --run DIR --trial N --budget-seconds S [--threads T] [--fold-workers W]
                          [--fold F --until UTC --parent-pid P]
              (internal) trains one trial, or one fold of it; started by the developer loop
              (a fold: by its trial) as a child process.

        Every command: --allow-root DIR (repeatable) lets data files lie in DIR besides the dataset's own
        folder; --max-image-pixels N raises the largest image read (default 64000000, checked before decoding).

        Environment: CLINFORGE_LLM=openai:MODEL | openai-compatible:URL:MODEL | ollama:MODEL makes the
        parser and the proposer use a language model (validated, with the offline rules as fallback).
        """);

    public static int Demo(string[] argv)
    {
        var a = new Args(argv, new HashSet<string>());
        string outDir = Path.GetFullPath(a.Get("out") ?? Path.Combine("runs", "demo-" + Stamp()));
        int rounds = a.Int("rounds", 3);
        double trialSeconds = a.Double("trial-seconds", 25);
        a.RejectUnknown();
        var data = Path.Combine(outDir, "data");
        AnsiConsole.MarkupLine($"[bold]Clinforge demo[/]: generating 600 synthetic skin-lesion images (melanoma-like vs nevus-like) in [blue]{Markup.Escape(data)}[/]");
        SyntheticLesions.Generate(data, count: 600, seed: 7, positiveShare: 0.3, size: 64);
        return RunWorkflow(DemoRequest, Path.Combine(outDir, "run"), new RunSettings(data, rounds, trialSeconds, Seed: 17, Threads: 0));
    }

    public static int Develop(string[] argv)
    {
        var a = new Args(argv, new HashSet<string> { "non-interactive" });
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
        a.RejectUnknown();
        // Without --data the workspace's dataset library is searched (a run being continued keeps its data).
        data ??= File.Exists(new RunPaths(Path.GetFullPath(run)).Settings)
            ? Json.Read<RunSettings>(new RunPaths(Path.GetFullPath(run)).Settings).Data
            : DataCommand.Choose(request, workspace, canAsk: answers is null && !nonInteractive && !Console.IsInputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        return RunWorkflow(request, Path.GetFullPath(run), new RunSettings(Path.GetFullPath(data), rounds, minutes * 60, seed, threads, total, patience, parallel, proposer, tradeOff, Executor: executor, Slurm: slurm, Start: start, Protocol: protocol, FoldWorkers: foldWorkers),
            spec => IntentCommands.Review(spec, answers, nonInteractive), IntentCommands.TradeOffAsker(answers, nonInteractive));
    }

    /// <summary>--trade-off: an operating-point option key chosen in advance, or "later" to stop before the test look and wait for a choice.</summary>
    internal static string? TradeOffOption(Args a)
    {
        var value = a.Get("trade-off");
        if (value is null or "later" || TradeOffKeys.All.Contains(value)) return value;
        throw new ClinforgeException($"--trade-off must be later or one of {string.Join(", ", TradeOffKeys.All)} (got '{value}').");
    }

    /// <summary>The walk of one run (DESIGN.md): spec → data card and sealed splits → recipe v0 → loop → one test look → report.</summary>
    public static int RunWorkflow(string request, string runDir, RunSettings settings, Func<TaskSpec, TaskSpec>? reviewSpec = null,
        Func<IReadOnlyList<OperatingOption>, OperatingOption?>? askTradeOff = null)
    {
        string dataPath = settings.Data;
        int rounds = settings.Rounds, seed = settings.Seed, threads = settings.Threads;
        var budget = TimeSpan.FromSeconds(settings.TrialSeconds);
        var run = new RunPaths(runDir);
        // One writer per run (run.lock); a run continued must be the run asked for.
        using var runLock = RunLock.Acquire(run);
        bool resuming = File.Exists(run.TaskSpec) && File.Exists(run.Splits) && File.Exists(run.DataCard);
        if (resuming) RunLock.CheckSameRun(run, request, dataPath);
        if (resuming && File.Exists(run.Settings)) CliBoundary.ApplyRecorded(Json.Read<RunSettings>(run.Settings));
        TaskSpec spec;
        DataCard card;
        Splits? newSplits = null;
        (string Column, Dictionary<string, double> Values)? confounderValues = null;
        if (resuming)
        {
            spec = Json.Read<TaskSpec>(run.TaskSpec);
            card = Json.Read<DataCard>(run.DataCard);
        }
        else
        {
            // Everything that can fail on bad input happens before the run folder is created.
            var dataset = DatasetReader.Open(Path.GetFullPath(dataPath));
            if (dataset.Detection is not null)
            {
                // Detection data: the card's supervision structure comes first, then the spec (DetectionCommands.cs).
                (spec, newSplits, card) = DetectionCommands.Prepare(request, dataset, seed, reviewSpec);
            }
            else
            {
                spec = IntentParsers.FromEnvironment(say: Console.Error.WriteLine).Parse(request, dataset.Classes, Context(dataset));
                if (reviewSpec is not null) spec = reviewSpec(spec);
                // Merged classes ("nevus" = common + atypical) are labels from here on; the pixels stay where they are.
                if (spec.ClassGroups.Count > 0) dataset = dataset.Grouped(spec.ClassGroups);
                else if (spec.Classes.Order(StringComparer.Ordinal).SequenceEqual(dataset.Classes.Order(StringComparer.Ordinal)))
                    spec = spec with { Classes = dataset.Classes.ToList() }; // the data's label order, also after an ungrouping answer
                newSplits = Splitter.Split(dataset, seed);
                // Hold-out or folds, chosen from the data before any training (the card says why).
                (newSplits, var protocol) = ProtocolRule.Choose(newSplits, dataset.Classes, spec, settings.Protocol, settings.TrialSeconds);
                card = Inspector.Inspect(dataset, newSplits, seed) with { Protocol = protocol };
                confounderValues = ShortcutSetup.ReadColumn(spec, dataset, dataPath);
            }
        }
        Directory.CreateDirectory(run.Root);
        using var journal = new Journal(run.Journal);
        if (newSplits is null)
        {
            // Continuing is the answer to a pause: the request is withdrawn.
            File.Delete(run.PauseRequest);
            AnsiConsole.MarkupLine($"Continuing run [blue]{Markup.Escape(run.Root)}[/] ({journal.Trials().Count} trials recorded).");
            journal.Event("resume", $"run continued ({journal.Trials().Count} trials were recorded; an interrupted trial is run again)");
        }
        else
        {
            // The spec is written last: its presence is what marks a prepared run.
            AtomicFile.WriteAllText(run.Request, request + "\n");
            Json.Write(run.Settings, settings with { Data = Path.GetFullPath(dataPath), AllowRoots = DataLimits.ExtraRoots, MaxImagePixels = DataLimits.MaxPixels });
            Json.Write(run.Splits, newSplits);
            // Debiasing: per-image confounder labels for the trial processes, before the spec marks the run prepared.
            if (confounderValues is { } cv) card = ShortcutSetup.WriteLabels(run, journal, spec, card, newSplits, DatasetReader.Open(card.Source), cv.Column, cv.Values, seed, threads);
            Json.Write(run.DataCard, card);
            Json.Write(run.TaskSpec, spec);
            journal.Event("request", request);
            journal.Event("spec", spec.Restatement, payload: Json.Serialize(spec));
            journal.Event("seal", $"test split sealed: {newSplits.Test.Count} images; only the final evaluation opens it (method {newSplits.Method}, seed {newSplits.Seed})");
        }

        ShowSpec(spec);
        ShowData(card);
        var initial = Initializer.Plan(spec, card, seed, settings.Start);
        var launcher = TrialLauncher.ForAssembly(typeof(Commands).Assembly.Location);
        int parallel = Math.Max(1, settings.Parallel);
        var runner = ExecutorOptions.Create(run, settings, launcher);
        IProposer proposer = settings.Proposer == "random" ? new RandomSearchProposer(seed) : WithLlm(new PlaybookProposer());
        IAcceptance? acceptance = null;
        if (spec.Confounders.Count > 0 && File.Exists(run.ConfounderLabels))
        {
            // The spec names a confounder and every image has a label: debiasing moves first, judged by the shortcut rule.
            proposer = new ChainProposer(new ShortcutPlaybook(), proposer);
            acceptance = new ShortcutAcceptanceRule(Objective.From(spec), ShortcutPolicy.From(spec));
            AnsiConsole.MarkupLine($"[bold]Confounder[/] '{Markup.Escape(spec.Confounders[0].Name)}': debiasing moves first; a change is kept by the shortcut rule (primary metric and reliance on the confounder).");
        }
        else if (spec.Task == TaskKind.Detection && card.Detection is not null && DatasetReader.Open(card.Source).Detection is { } boxes)
        {
            // Detection objectives on a few hundred validation images are noisy: a change is kept only when it beats the best beyond validation resampling noise.
            acceptance = new DetectionAcceptance(Objective.From(spec), run, boxes.LabelsFor(initial.Detection?.Classes ?? []), seed);
        }
        else if (spec.Task == TaskKind.Classification)
        {
            // A change is kept only when it beats the best on the same images beyond resampling noise (and, on folds, the out-of-fold predictions of the whole pool).
            acceptance = new PairedAcceptance(Objective.From(spec), run, spec.ReportedClassIndex(card.Classes), seed);
        }
        var loop = new DeveloperLoop(run, journal, proposer, runner, new ConsoleMonitor(Objective.From(spec)), parallel, acceptance);
        AnsiConsole.MarkupLine($"[bold]Developing[/]: 1 initial trial + up to {rounds} refinement rounds, {budget.TotalSeconds:F0}s each; objective on validation: [green]{Markup.Escape(Objective.From(spec).Describe())}[/]");
        var stop = new StopPolicy(rounds, settings.BudgetMinutes is { } m ? TimeSpan.FromMinutes(m) : null, settings.PlateauPatience);
        LoopEnd end;
        using (var signal = new SignalStop()) end = loop.Run(spec, card, initial, stop, budget, signal.Token);
        ShowResultsTable(journal);
        if (end == LoopEnd.Cancelled)
        {
            journal.Event("stop", "stopped by a signal (Ctrl-C or SIGTERM); the running trials were stopped and will run again on resume");
            AnsiConsole.MarkupLine($"[yellow]Stopped[/]; no trial keeps running. Continue with 'clinforge resume {Markup.Escape(run.Root)}'.");
            return 130;
        }
        if (end == LoopEnd.Paused)
        {
            AnsiConsole.MarkupLine($"[yellow]Paused[/] at your request after {journal.Trials().Count} trial(s); nothing is lost. Continue with 'clinforge resume {Markup.Escape(run.Root)}'.");
            return 0;
        }
        if (spec.Task == TaskKind.Detection && card.Detection is not null) return DetectionCommands.Finish(run, journal, spec, card, seed);

        if (File.Exists(run.Evaluation))
        {
            AnsiConsole.MarkupLine("[yellow]The test split was already evaluated for this run; not looking again.[/]");
        }
        else
        {
            // An operating point the validation predictions leave open (conflicting floors, or a margin
            // for new patients that costs most of the specificity) is settled before the test look; with
            // --trade-off later the run stops here until the clinician chooses (resume --trade-off KEY).
            if (settings.TradeOff == "later" && TradeOffs.Undecided(run, journal, spec, card) is { } pending)
            {
                Json.Write(run.TradeOffOptions, pending.Options);
                journal.Event("question", $"{pending.Question} The run is waiting for the clinician to choose an operating point: " +
                    string.Join("; ", pending.Options.Select(o => $"[{o.Key}] {o.Description}")), payload: Json.Serialize(pending.Options));
                AnsiConsole.MarkupLine($"[yellow]trade-off[/]: {Markup.Escape(pending.Question)} Options in {Markup.Escape(run.TradeOffOptions)}; continue with 'clinforge resume RUN --trade-off KEY'.");
                return 0;
            }
            if (settings.TradeOff is { } key && key != "later") askTradeOff = TradeOffs.Choose(key);
            if (TradeOffs.Negotiate(run, journal, spec, card, askTradeOff) is { } decision)
                AnsiConsole.MarkupLine($"[yellow]trade-off[/] ({Markup.Escape(decision.ChosenBy)}): {Markup.Escape(decision.Reason)}");
            var dataset = DatasetReader.Open(card.Source);
            // A recorded look without evaluation.json means the process died during the evaluation:
            // the look is repeated, and the journal and report say so.
            // A look journaled without evaluation.json was interrupted: it is finished (from its saved predictions), still one look.
            var evaluation = FinalEvaluator.Evaluate(run, journal, new TorchModelScorer(dataset), spec, card, seed, interrupted: journal.TestLookCount > 0);
            WriteExamples(run, dataset, card, evaluation);
            WriteSubgroups(run, dataset, card, evaluation, seed);
            WriteConfound(run, dataset, spec, card, evaluation, seed);
            ShowEvaluation(evaluation);
        }
        // Model package for `clinforge predict`, with model.onnx; written before the report so the model card can describe it.
        var package = ModelPackage.Write(run, Json.Read<FinalEvaluation>(run.Evaluation), DateTimeOffset.UtcNow, new OnnxModelExporter());
        var report = WriteReport(run, journal);
        AnsiConsole.MarkupLine($"Report: [blue]{Markup.Escape(report)}[/]");
        AnsiConsole.MarkupLine($"Package: [blue]{Markup.Escape(package)}[/]");
        if (ModelPackage.ReadManifest(package).OnnxUnavailable is { } noOnnx) AnsiConsole.MarkupLine($"[yellow]no model.onnx[/]: {Markup.Escape(noOnnx)}");
        return 0;
    }

    /// <summary>Counts and names a parser may use (and an LLM backend may receive): never pixels, paths or ids.</summary>
    internal static DatasetContext Context(Dataset dataset) => new(
        dataset.Classes.Select((c, i) => (c, dataset.Items.Count(x => x.Label == i))).ToDictionary(x => x.c, x => x.Item2),
        dataset.Columns, dataset.Format);

    /// <summary>
    /// Part of the one test look: saves the most confident true/false positives/negatives of the final
    /// model (binary tasks) as PNGs under report/examples, so the report can show them without ever
    /// reading test pixels again.
    /// </summary>
    private static void WriteExamples(RunPaths run, Dataset dataset, DataCard card, FinalEvaluation evaluation, int perKind = 4)
    {
        if (card.Classes.Count != 2 || double.IsNaN(evaluation.Final.Threshold)) return;
        int positive = card.Classes.ToList().IndexOf(evaluation.PositiveClass);
        if (positive < 0) return;
        var test = PredictionTable.Read(run.TestPredictions);
        var picks = Examples.Select(test.Labels.Select(l => l == positive ? 1 : 0).ToArray(), test.Probabilities.Select(p => p[positive]).ToArray(),
            evaluation.Final.Threshold, perKind);
        Directory.CreateDirectory(run.ExamplesDir);
        var items = picks.Select(p => new DataItem(test.Ids[p.Index], test.Labels[p.Index])).ToList();
        var (maps, mapSize) = Saliency(run.Trial(evaluation.Final.Trial), dataset, items, positive);
        var list = new List<ExampleImage>();
        for (int k = 0; k < picks.Count; k++)
        {
            var (kind, i) = picks[k];
            var stem = $"{kind.Replace(' ', '_')}_{list.Count(e => e.Kind == kind) + 1}";
            var image = dataset.Load(items[k]);
            AtomicFile.WriteAllBytes(Path.Combine(run.ExamplesDir, stem + ".png"), ImageExport.ToPng(image, 128));
            string? cam = null;
            if (maps is not null)
            {
                cam = stem + "_gradcam.png";
                AtomicFile.WriteAllBytes(Path.Combine(run.ExamplesDir, cam), ImageExport.ToPng(SaliencyOverlay.Render(image, maps[k], mapSize, 128), 128));
            }
            list.Add(new ExampleImage(kind, test.Ids[i], card.Classes[test.Labels[i]], test.Probabilities[i][positive], stem + ".png", cam));
        }
        Json.Write(Path.Combine(run.ExamplesDir, "examples.json"), list);
    }

    /// <summary>Subgroup tables from the saved test predictions and the data's metadata columns (none without metadata).</summary>
    private static void WriteSubgroups(RunPaths run, Dataset dataset, DataCard card, FinalEvaluation evaluation, int seed)
    {
        int positive = card.Classes.ToList().IndexOf(evaluation.PositiveClass);
        var tables = SubgroupAnalysis.Compute(PredictionTable.Read(run.TestPredictions), dataset.Metadata, positive, evaluation.Final.Threshold, seed);
        if (tables.Count == 0) return;
        Json.Write(run.Subgroups, tables);
        AnsiConsole.MarkupLine($"Subgroups: {Markup.Escape(string.Join(", ", tables.Select(t => t.Column)))} ({Markup.Escape(run.Subgroups)})");
    }

    /// <summary>The named confounder's check when a metadata column records it (final/confound.json).</summary>
    private static void WriteConfound(RunPaths run, Dataset dataset, TaskSpec spec, DataCard card, FinalEvaluation evaluation, int seed)
    {
        if (spec.Confounders.Count == 0) return;
        int positive = card.Classes.ToList().IndexOf(evaluation.PositiveClass);
        var final = PredictionTable.Read(run.TestPredictions);
        var initialPath = RunReport.InitialTestPredictions(run);
        var initial = File.Exists(initialPath) ? PredictionTable.Read(initialPath) : final;
        var report = ConfoundCheck.Run(spec, Json.Read<Splits>(run.Splits), ConfounderValues(run, dataset, spec), positive, initial, evaluation.Initial.Trial, evaluation.Initial.Threshold, final, evaluation.Final.Trial, evaluation.Final.Threshold, seed);
        if (report is null)
        {
            AnsiConsole.MarkupLine($"[yellow]confounder:[/] no column of the data records {Markup.Escape(string.Join(", ", spec.Confounders.Select(c => c.Name)))}; the confound analysis needs one (or annotations for an auxiliary classifier).");
            return;
        }
        // A debiasing run adds baseline vs refined with CIs, the labelling and a verdict.
        if (ShortcutSetup.Summarize(run, report, initial, evaluation.Initial.Trial, final, evaluation.Final.Trial, positive, card.Source, seed) is { } shortcut)
            report = report with { Shortcut = shortcut };
        Json.Write(run.Confound, report);
        AnsiConsole.MarkupLine($"Confounder '{Markup.Escape(report.Confounder)}' (column {Markup.Escape(report.Column)}): {Markup.Escape(run.Confound)}");
    }

    /// <summary>
    /// The confounder value per image for the check: for a debiasing run, its labels (the column where
    /// annotated, the auxiliary classifier's probability elsewhere, test images included at this look),
    /// else the data's metadata.
    /// </summary>
    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfounderValues(RunPaths run, Dataset dataset, TaskSpec spec)
    {
        if (ShortcutSetup.AllLabels(run, dataset, spec, Json.Read<Splits>(run.Splits)) is not { } found) return dataset.Metadata;
        var (column, labels) = found;
        return labels.ToDictionary(p => p.Key,
            p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { [column] = p.Value.Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture) },
            StringComparer.Ordinal);
    }

    /// <summary>Grad-CAM maps for the examples, or none (with a note) when the model has no convolutional feature map.</summary>
    private static (float[][]? Maps, int Size) Saliency(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items, int positive)
    {
        try { return GradCam.ForTrial(trial, dataset, items, positive); }
        catch (ClinforgeException e)
        {
            AnsiConsole.MarkupLine($"[yellow]saliency:[/] {Markup.Escape(e.Message)}");
            return (null, 0);
        }
    }

    /// <summary>
    /// With CLINFORGE_LLM set and usable, proposals come from the language model, validated against the
    /// recipe schema, with the playbook as fallback; otherwise the playbook alone (offline default).
    /// </summary>
    private static IProposer WithLlm(IProposer playbook)
    {
        var config = LlmConfig.Parse(Environment.GetEnvironmentVariable(LlmConfig.Variable));
        if (config is null) return playbook;
        var client = config.CreateClient(Environment.GetEnvironmentVariable, out var reason);
        if (client is null)
        {
            AnsiConsole.MarkupLine($"[yellow]proposer:[/] {Markup.Escape($"{LlmConfig.Variable} is set but {reason}; using the playbook")}");
            return playbook;
        }
        AnsiConsole.MarkupLine($"proposer: {Markup.Escape($"{config.Provider} {config.Model}, validated against the recipe schema, with the playbook as fallback")}");
        return new LlmProposer(client, playbook);
    }

    public static int Trial(string[] argv)
    {
        var a = new Args(argv, new HashSet<string>());
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
        a.RejectUnknown();
        if (parentPid > 0) FoldProcesses.ExitWithParent(parentPid);
        var started = DateTime.UtcNow;
        var recipe = Json.Read<Recipe>(run.Trial(number).Recipe);
        var spec = Json.Read<TaskSpec>(run.TaskSpec);
        var card = Json.Read<DataCard>(run.DataCard);
        if (spec.Task == TaskKind.Detection && card.Detection is not null)
            return DetectionCommands.Trial(run, number, spec, started.AddSeconds(seconds * recipe.TrainBudgetFraction), threads);
        var dev = SplitStore.LoadDevelopment(run);
        var objective = Objective.From(spec);
        int positive = spec.ReportedClassIndex(card.Classes);
        var deadline = started.AddSeconds(seconds * recipe.TrainBudgetFraction);
        ValidationScorer scorer = (labels, probs) => ObjectiveEvaluator.Evaluate(objective, labels, probs, positive);
        if (fold is { } f)
        {
            if (card.Protocol is not { UsesFolds: true } || dev.Folds is null) throw new ClinforgeException($"--fold {f}: {run.Root} does not develop on folds.");
            return TrialWorker.RunFold(run, number, f, dev.Train, dev.Val, dev.Folds, scorer, until ?? deadline, threads, line => Console.WriteLine(line));
        }
        int cores = threads > 0 ? threads : Environment.ProcessorCount;
        // Default: side by side only where each fold keeps at least two threads. On 2 cores, two 1-thread
        // folds were no faster than folds in turn (bench -- fold-workers, docs/benchmarks.md).
        var foldLauncher = new FoldProcesses(run, number, foldWorkers > 0 ? foldWorkers : Math.Max(1, cores / 2));
        var metrics = TrialWorker.Run(run, number, dev.Train, dev.Val, scorer,
            deadline, threads, line => Console.WriteLine(line), card.Protocol is { UsesFolds: true } ? dev.Folds : null, foldLauncher);
        // The trial's reliance on the named confounder, kept in its metrics for the acceptance rule.
        if (metrics.Status == TrialStatus.Succeeded && ShortcutDependence.Measure(run, number, spec, card) is { } dependence)
        {
            metrics = metrics with { Confounder = dependence };
            Json.Write(run.Trial(number).Metrics, metrics);
        }
        return metrics.Status == TrialStatus.Succeeded ? 0 : 4;
    }

    public static int Parse(string[] argv)
    {
        var a = new Args(argv, new HashSet<string> { "json", "show-heldout" });
        // parse --eval: measure the parser on a corpus (IntentCommands) instead of parsing one request.
        if (a.Get("eval") is { } corpus)
        {
            bool showHeldOut = a.Flag("show-heldout");
            a.RejectUnknown();
            if (a.Positional.Count != 0) throw new ClinforgeException("usage: clinforge parse --eval corpus.jsonl [--show-heldout]");
            return IntentCommands.Eval(corpus, showHeldOut);
        }
        if (a.Positional.Count != 1) throw new ClinforgeException("usage: clinforge parse \"REQUEST\" (--data PATH | --classes \"a,b\") [--json]  |  clinforge parse --eval corpus.jsonl");
        var dataset = a.Get("classes") is null ? DatasetReader.Open(Path.GetFullPath(a.Require("data", "the dataset whose class names the request refers to"))) : null;
        var classes = dataset?.Classes.ToArray() ?? a.Get("classes")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool json = a.Flag("json");
        a.RejectUnknown();
        // CLINFORGE_LLM selects the LLM backend; the note on which parser runs goes to stderr so --json stays clean.
        var spec = IntentParsers.FromEnvironment(say: Console.Error.WriteLine).Parse(a.Positional[0], classes, dataset is null ? null : Context(dataset));
        if (json) Console.WriteLine(Json.Serialize(spec));
        else ShowSpec(spec);
        return 0;
    }

    private static void ShowSpec(TaskSpec spec)
    {
        AnsiConsole.Write(new Panel(Markup.Escape(spec.Restatement)).Header("I understood").BorderColor(Color.Green));
        var t = new Table().AddColumns("field", "value", "from the words");
        void Row(string field, string value) => t.AddRow(field, Markup.Escape(value), Markup.Escape(spec.Provenance.TryGetValue(field, out var p) ? p : "default"));
        Row("task", spec.Task.ToString().ToLowerInvariant());
        Row("classes", string.Join(", ", spec.Classes));
        Row("positive_class", spec.PositiveClass ?? "—");
        Row("priority_classes", string.Join(", ", spec.PriorityClasses));
        Row("error_preference", spec.ErrorPreference.ToString().ToLowerInvariant());
        Row("primary_metric", spec.PrimaryMetric);
        Row("operating_point", spec.OperatingPoint is { } op ? $"{op.Maximize} at {op.Constraint} ≥ {op.ConstraintValue.ToString("0.00", CultureInfo.InvariantCulture)}" : "—");
        if (spec.Requirements.Count > 0) Row("requirements", string.Join("; ", spec.Requirements.Select(r => $"{r.Metric} ≥ {r.Minimum.ToString("0.00", CultureInfo.InvariantCulture)}")));
        if (spec.ClassGroups.Any(g => g.Value.Count > 1)) Row("class_groups", string.Join("; ", spec.ClassGroups.Where(g => g.Value.Count > 1).Select(g => $"{g.Key} = {string.Join(" + ", g.Value)}")));
        Row("confounders", string.Join(", ", spec.Confounders.Select(c => c.Name)));
        Row("supervision", spec.Supervision ?? "—");
        Row("budget", spec.Budget ?? "—");
        AnsiConsole.Write(t);
        foreach (var q in spec.Questions) AnsiConsole.MarkupLine($"[grey]open question:[/] {Markup.Escape(q.Question)} [grey](default: {Markup.Escape(q.Default)})[/]");
    }

    public static int Report(string[] argv)
    {
        var a = new Args(argv, new HashSet<string> { "pdf" });
        if (a.Positional.Count != 1) throw new ClinforgeException("usage: clinforge report RUN [--pdf]");
        bool pdf = a.Flag("pdf");
        a.RejectUnknown();
        var run = new RunPaths(Path.GetFullPath(a.Positional[0]));
        if (!File.Exists(run.TaskSpec)) throw new ClinforgeException($"{run.Root}: not a run folder (no task_spec.json).");
        using var runLock = RunLock.Acquire(run);
        using var journal = new Journal(run.Journal);
        var html = DetectionCommands.Rewrite(run, journal) ?? WriteReport(run, journal);
        Console.WriteLine(html);
        if (pdf) Console.WriteLine(PdfPrinter.Print(html, Path.Combine(run.ReportDir, "report.pdf"), TimeSpan.FromMinutes(2)));
        return 0;
    }

    /// <summary>Writes report.md, report.html and model_card.md from the run folder and journal; returns the HTML path.</summary>
    private static string WriteReport(RunPaths run, Journal journal) => RunReport.WriteAll(RunReport.Load(
        run, journal.Trials(), journal.Events("test_look").Select(e => (e.Time, e.Kind, e.Message)).ToList(), ExplainCommand.Decisions(journal)));

    private static void ShowData(DataCard card)
    {
        var t = new Table().AddColumns("split", "images", "per class");
        foreach (var (split, counts) in card.Counts)
            t.AddRow(split, counts.Values.Sum().ToString(CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}"))));
        AnsiConsole.Write(t);
        if (card.Protocol is { } protocol) AnsiConsole.MarkupLine($"[bold]Protocol[/]: {Markup.Escape(protocol.Reason)}");
        if (card.Protocol?.FloorEvidence is { } floor) AnsiConsole.MarkupLine($"[yellow]Sensitivity floor[/]: {Markup.Escape(floor)}.");
        foreach (var note in card.Notes) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
    }

    private static void ShowResultsTable(Journal journal)
    {
        var t = new Table().Title("Results table (validation)").AddColumns("#", "change", "objective", "decision");
        foreach (var r in journal.Trials())
            t.AddRow(r.Number.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Change),
                r.Objective is { } o ? o.ToString("F4", CultureInfo.InvariantCulture) : Markup.Escape(r.Status.ToString()),
                r.Accepted ? "[green]kept[/]" : "[grey]discarded[/]");
        AnsiConsole.Write(t);
    }

    private static void ShowEvaluation(FinalEvaluation e)
    {
        var t = new Table().Title($"Test split, looked at {(e.TestLooks == 1 ? "once" : $"{e.TestLooks} times")} ({e.TestCases} images); 95% bootstrap CIs").AddColumns("metric", "initial", "final", "difference (p)");
        foreach (var (name, fin) in e.Final.Metrics)
        {
            var ini = e.Initial.Metrics[name];
            var cmp = e.Comparisons.FirstOrDefault(c => c.Metric == name);
            t.AddRow(name, Fmt(ini), Fmt(fin), cmp is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{cmp.Difference:+0.000;-0.000} (p{(cmp.PValue < 0.001 ? "<0.001" : "=" + cmp.PValue.ToString("0.000", CultureInfo.InvariantCulture))})"));
        }
        AnsiConsole.Write(t);
        static string Fmt(Estimate x) => string.Create(CultureInfo.InvariantCulture, $"{x.Value:0.000} [[{x.Lower:0.000}, {x.Upper:0.000}]]");
    }

    private static string Stamp() => DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);

    private static string Slug(string text)
    {
        var words = new string(text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : ' ').ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4);
        return string.Join('-', words);
    }
}

/// <summary>Shows the loop's progress: the current round, a progress bar for the running trial, the running best.</summary>
internal sealed class ConsoleMonitor(Objective objective) : IMonitor
{
    private int _lastPercent = -1;

    public void RoundStarted(int round, int rounds, Proposal proposal)
    {
        _lastPercent = -1;
        AnsiConsole.MarkupLine(round == 0
            ? "[bold]Round 0[/] (initial recipe)"
            : $"[bold]Round {round}/{rounds}[/] [blue]{Markup.Escape(proposal.Move)}[/]: {Markup.Escape(proposal.Change)}");
        if (round > 0) AnsiConsole.MarkupLine($"  [grey]why: {Markup.Escape(proposal.Reason)}{(proposal.Source is null ? "" : " — " + Markup.Escape(proposal.Source))}[/]");
    }

    public void TrialProgress(int round, TrialProgressReport report)
    {
        int percent = (int)(report.Fraction * 100);
        if (percent / 10 == _lastPercent / 10) return;
        _lastPercent = percent;
        int filled = Math.Clamp(percent / 5, 0, 20);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  [[{new string('#', filled)}{new string('.', 20 - filled)}]] epoch {report.Epoch}/{report.PlannedEpochs}  trial best {(report.Best is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-")}"));
    }

    public void Stopped(string reason) => AnsiConsole.MarkupLine($"[bold]Stopping[/]: {Markup.Escape(reason)}.");

    public void TrialFinished(int round, TrialRecord record, double? best)
    {
        string value = record.Objective is { } o ? o.ToString("F4", CultureInfo.InvariantCulture) : record.Status.ToString();
        string decision = record.Accepted ? "[green]kept[/]" : record.Status == TrialStatus.Succeeded ? "[grey]discarded[/]" : $"[red]failed[/] ({Markup.Escape(record.Diagnosis ?? "")})";
        AnsiConsole.MarkupLine($"  {Markup.Escape(objective.Describe())} = {value} → {decision}; running best {(best is { } b ? b.ToString("F4", CultureInfo.InvariantCulture) : "-")}");
    }
}
