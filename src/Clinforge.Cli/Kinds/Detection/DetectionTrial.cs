using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>The detection trial body: trains the detector on the development split, scored on validation by the spec's detection metric.</summary>
internal static class DetectionTrial
{
    /// <summary>Runs one trial; 0 when it succeeded, 4 when it failed.</summary>
    public static int Run(TrialRequest r)
    {
        var dev = SplitStore.LoadDevelopment(r.Run);
        // A detector that keeps classes apart also gets a threshold per class on validation.
        int classes = Json.Read<Recipe>(r.Run.Trial(r.Number).Recipe).Detection?.ClassCount ?? 1;
        var metrics = DetectionTrialWorker.Run(r.Run, r.Number, dev.Train, dev.Val,
            (truth, predicted, at) => DetectionObjective.Score(r.Spec.PrimaryMetric, truth, predicted, classes, at),
            r.Deadline, r.Threads, line => Console.WriteLine(line));
        return metrics.Status == TrialStatus.Succeeded ? 0 : 4;
    }
}
