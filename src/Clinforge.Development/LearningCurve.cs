using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>What the learning curve of the best trial says.</summary>
public enum CurveDiagnosis { Overfitting, Underfitting, StillImproving, Plateau }

/// <summary>What a trial's learning curve says, read the same way by every kind's playbook.</summary>
public static class LearningCurve
{
    /// <summary>
    /// Reads a learning curve: over-fitting when validation loss has risen ≥ 10% above its minimum
    /// while training loss kept falling; still improving when the best epoch is in the last fifth;
    /// under-fitting when training loss stays above 60% of its first value.
    /// </summary>
    public static CurveDiagnosis Diagnose(TrialMetrics? m)
    {
        if (m is null || m.Curve.Count < 3) return CurveDiagnosis.StillImproving;
        var c = m.Curve;
        double minVal = c.Min(e => e.ValLoss);
        int argMin = c.ToList().FindIndex(e => e.ValLoss == minVal);
        if (c[^1].ValLoss > minVal * 1.10 && c[^1].TrainLoss < c[argMin].TrainLoss) return CurveDiagnosis.Overfitting;
        if (c[^1].TrainLoss > 0.6 * c[0].TrainLoss) return CurveDiagnosis.Underfitting;
        if (m.BestEpoch >= c.Count - Math.Max(1, c.Count / 5)) return CurveDiagnosis.StillImproving;
        return CurveDiagnosis.Plateau;
    }
}
