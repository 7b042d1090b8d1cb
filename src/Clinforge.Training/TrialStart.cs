using System.Text;
using Clinforge.Core;

namespace Clinforge.Training;

/// <summary>
/// How every trial body starts (classification, detection, segmentation): its folder and log.txt
/// (appended, one timestamped line per entry), its recipe checked against the schema, the data card,
/// the native runtime set up with the recipe's seed, and the convolution path written first in the log.
/// </summary>
public sealed class TrialStart : IDisposable
{
    private readonly StreamWriter _log;

    private TrialStart(TrialPaths paths, StreamWriter log, Recipe recipe, DataCard card)
    {
        Paths = paths;
        _log = log;
        Recipe = recipe;
        Card = card;
    }

    /// <summary>The trial's folder.</summary>
    public TrialPaths Paths { get; }

    /// <summary>The trial's recipe (valid).</summary>
    public Recipe Recipe { get; }

    /// <summary>The run's data card.</summary>
    public DataCard Card { get; }

    /// <summary>Opens trial <paramref name="number"/> of <paramref name="run"/> with <paramref name="threads"/> torch threads.</summary>
    public static TrialStart Open(RunPaths run, int number, int threads)
    {
        ArgumentNullException.ThrowIfNull(run);
        var paths = run.Trial(number);
        Directory.CreateDirectory(paths.Root);
        var log = new StreamWriter(paths.Log, append: true, Encoding.UTF8) { AutoFlush = true };
        try
        {
            var recipe = Json.Read<Recipe>(paths.Recipe);
            if (RecipeSchema.Problems(recipe) is { Count: > 0 } problems)
                throw new ClinforgeException($"{paths.Recipe}: invalid recipe: {string.Join("; ", problems)}. Fix the file or let the developer loop propose again.");
            var start = new TrialStart(paths, log, recipe, Json.Read<DataCard>(run.DataCard));
            NativeRuntime.Initialize(threads, recipe.Seed);
            start.Log(ConvolutionCheck.Current.Describe());
            return start;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Appends a timestamped line to log.txt.</summary>
    public void Log(string line) => _log.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();
}
