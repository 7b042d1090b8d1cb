using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Development;

/// <summary>
/// The one look at the sealed test split, as every kind's final evaluator opens it: the initial trial
/// must have succeeded, the best trial is the final model, and the test items are opened once (or, for
/// a look journaled without its results, continued: nothing had been shown, so it stays one look).
/// </summary>
/// <param name="Best">The final model's trial.</param>
/// <param name="Test">The sealed test items.</param>
/// <param name="LookedAt">When the look was journaled.</param>
public sealed record TestLook(TrialRecord Best, IReadOnlyList<DataItem> Test, DateTimeOffset LookedAt)
{
    /// <summary>The best trial of a run whose initial trial succeeded; a clear error otherwise.</summary>
    public static TrialRecord BestOf(RunPaths run, Journal journal)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(journal);
        var trials = journal.Trials();
        if (trials.Count == 0 || !trials[0].Accepted)
            throw new ClinforgeException($"{run.Journal}: the initial trial did not succeed, so there is no model to evaluate. See {run.Trial(0).Log}.");
        return TrialRecord.Best(trials)!;
    }

    /// <summary>
    /// The kind's evaluation of the run: read back when it was written before (the test split is never
    /// looked at twice; the view says so), else computed once by <paramref name="evaluate"/> on the run's dataset.
    /// </summary>
    public static T Once<T>(RunContext context, string evaluationFile, Func<Dataset, bool, T> evaluate)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(evaluate);
        if (File.Exists(evaluationFile))
        {
            context.View.Line("The test split was already evaluated for this run; not looking again.", Tone.Warning);
            return Json.Read<T>(evaluationFile);
        }
        return evaluate(DatasetReader.Open(context.Card.Source), context.Journal.TestLookCount > 0);
    }

    /// <summary>The journal's test looks, for a report's protocol section.</summary>
    public static List<(DateTimeOffset Time, string Kind, string Message)> Looks(Journal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return journal.Events("test_look").Select(e => (e.Time, e.Kind, e.Message)).ToList();
    }

    /// <summary>
    /// Opens the test split for <paramref name="what"/> ("final detection evaluation"), or continues an
    /// interrupted look (<paramref name="interrupted"/>), journaling that it was resumed with <paramref name="resumedHow"/>.
    /// </summary>
    public static TestLook Open(RunPaths run, Journal journal, string what, bool interrupted, string resumedHow = "by scoring again (nothing had been shown)")
    {
        var best = BestOf(run, journal);
        var test = interrupted
            ? SplitStore.ContinueTest(run, journal)
            : SplitStore.OpenTest(run, journal, $"{what} of trial 0 (initial) and trial {best.Number} (final)", allowRepeat: false);
        var lookedAt = interrupted ? journal.Events("test_look")[^1].Time : DateTimeOffset.UtcNow;
        if (interrupted)
            journal.Event("test_look_resumed", $"the test look journaled at {lookedAt:u} was interrupted before its results were written; it is finished now {resumedHow}; it is still one look");
        Directory.CreateDirectory(run.FinalDir);
        return new TestLook(best, test, lookedAt);
    }
}
