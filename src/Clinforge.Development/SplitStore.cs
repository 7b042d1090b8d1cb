using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>Train and validation items: everything a trial may see; under cross-validation also the folds of the pool they make up.</summary>
public sealed record DevelopmentSplits(IReadOnlyList<DataItem> Train, IReadOnlyList<DataItem> Val, IReadOnlyList<IReadOnlyList<string>>? Folds = null);

/// <summary>
/// Access to splits.json that keeps the test split sealed: trials and the loop get
/// <see cref="LoadDevelopment"/>; only <see cref="OpenTest"/> returns test items, and it records the
/// look in the journal first (a second look is refused unless explicitly allowed).
/// </summary>
public static class SplitStore
{
    /// <summary>Train and validation items only.</summary>
    public static DevelopmentSplits LoadDevelopment(RunPaths run)
    {
        var s = Json.Read<Splits>(run.Splits);
        return new DevelopmentSplits(s.Train, s.Val, s.Folds);
    }

    /// <summary>
    /// The test items of a look already journaled and interrupted before its results were written:
    /// finishing it is the same look, so nothing new is recorded here (the evaluator notes how it finished).
    /// </summary>
    public static IReadOnlyList<DataItem> ContinueTest(RunPaths run, ITestLookRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(recorder);
        if (recorder.TestLookCount == 0) throw new InvalidOperationException("no journaled test look to continue");
        return Json.Read<Splits>(run.Splits).Test;
    }

    /// <summary>Breaks the seal: records the look, then returns the test items.</summary>
    public static IReadOnlyList<DataItem> OpenTest(RunPaths run, ITestLookRecorder recorder, string purpose, bool allowRepeat)
    {
        recorder.RecordTestLook(purpose, allowRepeat);
        return Json.Read<Splits>(run.Splits).Test;
    }
}
