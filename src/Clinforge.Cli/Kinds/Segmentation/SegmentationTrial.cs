using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;

namespace Clinforge.Cli;

/// <summary>The segmentation trial body: trains the segmenter on the development split, scored on validation by the spec's metric.</summary>
internal static class SegmentationTrial
{
    /// <summary>Runs one trial; 0 when it succeeded, 4 when it failed.</summary>
    public static int Run(TrialRequest r)
    {
        var dev = SplitStore.LoadDevelopment(r.Run);
        int labels = Json.Read<Recipe>(r.Run.Trial(r.Number).Recipe).Segmentation?.Labels.Count ?? 1;
        var metrics = SegmentationTrialWorker.Run(r.Run, r.Number, dev.Train, dev.Val,
            (truth, predicted, region, size) => SegmentationObjective.Score(r.Spec.PrimaryMetric, truth, predicted, region, size, size, labels),
            r.Deadline, r.Threads, line => Console.WriteLine(line));
        return metrics.Status == TrialStatus.Succeeded ? 0 : 4;
    }
}
