using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Intent;

namespace Clinforge.Development;

/// <summary>
/// The walk of one run (DESIGN.md): request → task spec → data card and sealed splits → recipe v0 →
/// developer loop → one test look → report and package. The CLI (<c>develop</c>, <c>resume</c>,
/// <c>demo</c>) and the web app (through those commands) are shells over this class; what differs
/// between classification, detection and segmentation is asked of the run's <see cref="ITaskKind"/>.
/// </summary>
/// <param name="runtime">The networks' side (Training), given by the host.</param>
/// <param name="view">Where the account of the run goes.</param>
/// <param name="launcher">How a trial child process is started (<c>clinforge trial …</c>).</param>
public sealed class Workflow(IModelRuntime runtime, IWorkflowView view, TrialLauncher launcher)
{
    /// <summary>
    /// Runs (or continues) the run in <paramref name="runDir"/>; returns the exit code: 0 when finished or
    /// paused, 130 when stopped by a signal. <paramref name="review"/> settles the parsed spec's open
    /// questions; <paramref name="askTradeOff"/> asks for an operating point when floors conflict.
    /// </summary>
    public int Run(string request, string runDir, RunSettings settings, Func<TaskSpec, TaskSpec>? review = null,
        Func<IReadOnlyList<OperatingOption>, OperatingOption?>? askTradeOff = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var run = new RunPaths(runDir);
        // One writer per run (run.lock); a run continued must be the run asked for.
        using var runLock = RunLock.Acquire(run);
        bool resuming = File.Exists(run.TaskSpec) && File.Exists(run.Splits) && File.Exists(run.DataCard);
        if (resuming) RunLock.CheckSameRun(run, request, settings.Data);
        if (resuming && File.Exists(run.Settings)) ApplyRecorded(Json.Read<RunSettings>(run.Settings));
        // Everything that can fail on bad input happens before the run folder is created.
        var given = settings.Recipe is { } recipeFile && (!resuming || File.Exists(recipeFile)) ? GivenRecipe(recipeFile) : null;
        var prepared = resuming ? null : Prepare(request, settings, review);
        Directory.CreateDirectory(run.Root);
        using var journal = new Journal(run.Journal);
        var (spec, card) = prepared is null ? Continue(run, journal) : Record(run, journal, request, settings, prepared);

        view.Spec(spec);
        view.Data(card);
        var kind = TaskKinds.For(spec, card);
        var context = new RunContext(run, journal, spec, card, settings, view, runtime) { AskTradeOff = askTradeOff };
        if (given is not null && KindMismatch(kind.Name, given) is { } mismatch)
            throw new ClinforgeException($"{settings.Recipe}: {mismatch}; give a recipe of this run's kind (one of its trials' recipe.json) or leave --recipe out.");
        var initial = given ?? kind.Plan(spec, card, settings.Seed, settings.Start);
        if (given is not null) view.Line($"recipe v0 is {settings.Recipe} (--recipe), not the initializer's plan", Tone.Plain, "Start");
        IProposer general = settings.Proposer == "random" ? new RandomSearchProposer(settings.Seed) : WithLlm(new PlaybookProposer());
        var (proposer, acceptance) = kind.Develop(context, initial, general);
        var objective = Objective.From(spec);
        var loop = new DeveloperLoop(run, journal, proposer, Executors.Create(run, settings, launcher, view), view.Monitor(objective), Math.Max(1, settings.Parallel), acceptance);
        view.Line($"1 initial trial + up to {settings.Rounds} refinement rounds, {settings.TrialSeconds:F0}s each; objective on validation: {objective.Describe()}", Tone.Heading, "Developing");
        var stop = new StopPolicy(settings.Rounds, settings.BudgetMinutes is { } m ? TimeSpan.FromMinutes(m) : null, settings.PlateauPatience);
        LoopEnd end;
        using (var signal = new SignalStop()) end = loop.Run(spec, card, initial, stop, TimeSpan.FromSeconds(settings.TrialSeconds), signal.Token);
        view.Results(journal.Trials());
        if (end == LoopEnd.Cancelled)
        {
            journal.Event("stop", "stopped by a signal (Ctrl-C or SIGTERM); the running trials were stopped and will run again on resume");
            view.Line($"no trial keeps running. Continue with 'clinforge resume {run.Root}'.", Tone.Warning, "Stopped");
            return 130;
        }
        if (end == LoopEnd.Paused)
        {
            view.Line($"at your request after {journal.Trials().Count} trial(s); nothing is lost. Continue with 'clinforge resume {run.Root}'.", Tone.Warning, "Paused");
            return 0;
        }
        return kind.Finish(context);
    }

    /// <summary>The recipe a person gave with --recipe, checked before anything is written; its origins say where it came from.</summary>
    internal static Recipe GivenRecipe(string path)
    {
        var recipe = Json.Read<Recipe>(path);
        if (RecipeSchema.Problems(recipe) is { Count: > 0 } problems)
            throw new ClinforgeException($"{path}: invalid recipe: {string.Join("; ", problems)}.");
        return recipe.WithOrigin("recipe", $"given with --recipe {Path.GetFileName(path)}");
    }

    /// <summary>Why a given recipe cannot train a run of <paramref name="kindName"/>, or null when it can.</summary>
    internal static string? KindMismatch(string kindName, Recipe recipe)
    {
        string recipeKind = recipe.Detection is not null ? "detection" : recipe.Segmentation is not null ? "segmentation" : "classification";
        return recipeKind == kindName ? null : $"this is a {recipeKind} recipe, and the run is {kindName}";
    }

    /// <summary>Reads the data and lets its kind understand the request and fix splits, protocol and card.</summary>
    private PreparedRun Prepare(string request, RunSettings settings, Func<TaskSpec, TaskSpec>? review)
    {
        var dataset = DatasetReader.Open(Path.GetFullPath(settings.Data));
        return TaskKinds.ForData(dataset).Prepare(request, dataset, settings, review, view, runtime);
    }

    /// <summary>Writes a new run's decisions; the spec is written last: its presence is what marks a prepared run.</summary>
    private static (TaskSpec, DataCard) Record(RunPaths run, Journal journal, string request, RunSettings settings, PreparedRun prepared)
    {
        AtomicFile.WriteAllText(run.Request, request + "\n");
        Json.Write(run.Settings, settings with { Data = Path.GetFullPath(settings.Data), AllowRoots = DataLimits.ExtraRoots, MaxImagePixels = DataLimits.MaxPixels });
        Json.Write(run.Splits, prepared.Splits);
        var card = prepared.Complete is { } complete ? complete(run, journal) : prepared.Card;
        Json.Write(run.DataCard, card);
        Json.Write(run.TaskSpec, prepared.Spec);
        journal.Event("request", request);
        journal.Event("spec", prepared.Spec.Restatement, payload: Json.Serialize(prepared.Spec));
        journal.Event("seal", $"test split sealed: {prepared.Splits.Test.Count} images; only the final evaluation opens it (method {prepared.Splits.Method}, seed {prepared.Splits.Seed})");
        return (prepared.Spec, card);
    }

    /// <summary>A run continued: its recorded decisions; continuing is also the answer to a pause.</summary>
    private (TaskSpec, DataCard) Continue(RunPaths run, Journal journal)
    {
        File.Delete(run.PauseRequest);
        view.Line($"Continuing run {run.Root} ({journal.Trials().Count} trials recorded).");
        journal.Event("resume", $"run continued ({journal.Trials().Count} trials were recorded; an interrupted trial is run again)");
        return (Json.Read<TaskSpec>(run.TaskSpec), Json.Read<DataCard>(run.DataCard));
    }

    /// <summary>Counts and names a parser may use (and an LLM backend may receive): never pixels, paths or ids.</summary>
    public static DatasetContext ParserContext(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new(dataset.Classes.Select((c, i) => (c, dataset.Items.Count(x => x.Label == i))).ToDictionary(x => x.c, x => x.Item2), dataset.Columns, dataset.Format);
    }

    /// <summary>The data limits a run was started with (extra roots, largest image), so that a continued run reads the same data.</summary>
    public static void ApplyRecorded(RunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.AllowRoots is { Count: > 0 } roots) DataLimits.AllowRoots(roots.Where(Directory.Exists));
        if (settings.MaxImagePixels is { } pixels && pixels > DataLimits.MaxPixels) DataLimits.SetMaxPixels(pixels);
    }

    /// <summary>
    /// With CLINFORGE_LLM set and usable, proposals come from the language model, validated against the
    /// recipe schema, with the playbook as fallback; otherwise the playbook alone (offline default).
    /// </summary>
    private IProposer WithLlm(IProposer playbook)
    {
        var config = LlmConfig.Parse(Environment.GetEnvironmentVariable(LlmConfig.Variable));
        if (config is null) return playbook;
        var client = config.CreateClient(Environment.GetEnvironmentVariable, out var reason);
        if (client is null)
        {
            view.Line($"{LlmConfig.Variable} is set but {reason}; using the playbook", Tone.Warning, "proposer");
            return playbook;
        }
        view.Line($"proposer: {config.Provider} {config.Model}, validated against the recipe schema, with the playbook as fallback");
        return new LlmProposer(client, playbook);
    }
}
