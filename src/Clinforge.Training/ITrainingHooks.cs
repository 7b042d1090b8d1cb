using Clinforge.Core;

namespace Clinforge.Training;

/// <summary>What validation after an epoch measured.</summary>
/// <param name="Loss">The validation loss.</param>
/// <param name="Metrics">The clinician's objective and the metrics beside it.</param>
/// <param name="Seconds">How long validation took (the loop keeps that much time for the last one).</param>
public sealed record EpochCheck(double Loss, ValidationMetrics Metrics, double Seconds);

/// <summary>One epoch as the log line describes it.</summary>
/// <param name="Epoch">The epoch (from 1).</param>
/// <param name="Planned">Epochs the loop expects to run in the budget.</param>
/// <param name="TrainLoss">Mean training loss over the batches run.</param>
/// <param name="Check">Validation after the epoch.</param>
/// <param name="Seconds">Training and validation time of the epoch.</param>
/// <param name="Images">Training images the epoch showed.</param>
/// <param name="BatchesRun">Batches run (fewer than planned when the epoch was cut at the deadline).</param>
/// <param name="Batches">Batches planned.</param>
public sealed record EpochReport(int Epoch, int Planned, double TrainLoss, EpochCheck Check, double Seconds, long Images, int BatchesRun, int Batches);

/// <summary>How the loop goes on after an epoch.</summary>
public enum LoopStep
{
    /// <summary>The next epoch, if it fits the budget.</summary>
    Continue,

    /// <summary>The next epoch whatever the budget says of the last one (a new phase has just started).</summary>
    ContinueNewPhase,

    /// <summary>Stop here.</summary>
    Stop,
}

/// <summary>
/// The named hooks through which a kind's training plugs into <see cref="TrainingLoop"/>: classification
/// (<see cref="Trainer"/>), debiasing (<see cref="ShortcutTrainer"/>), detection with its teacher–student
/// phases (<see cref="DetectionTrainer"/>). The loop owns epochs, the deadline, the batch budget, the
/// choice of the kept epoch, progress and the non-finite-loss guard; a body owns its model, data,
/// loss and learning-rate schedule.
/// </summary>
public interface ITrainingHooks
{
    /// <summary>Epoch start: plans the epoch (visiting order, image pool) and returns its number of batches.</summary>
    int EpochStart(int epoch);

    /// <summary>
    /// One optimisation step on batch <paramref name="batch"/> of <paramref name="batches"/>, at
    /// <paramref name="budgetFraction"/> of the time budget; its loss and image count, or null when the
    /// batch was skipped (batch norm needs two samples).
    /// </summary>
    (double Loss, int Images)? Batch(int epoch, int batch, int batches, double budgetFraction);

    /// <summary>When training in this epoch must stop: the deadline, or earlier (the end of a phase).</summary>
    DateTime TrainUntil(int epoch, DateTime deadlineUtc);

    /// <summary>Validation after the epoch.</summary>
    EpochCheck Validate(int epoch);

    /// <summary>The epoch just validated is now the kept one (better than every earlier one, or the last one when the last is kept).</summary>
    void Checkpoint(int epoch, EpochCheck check);

    /// <summary>Epoch end, after the loop's bookkeeping: phase changes happen here.</summary>
    LoopStep EpochEnd(int epoch, EpochCheck best, int bestEpoch, double typicalEpochSeconds);

    /// <summary>The epoch's line in the trial log.</summary>
    string Describe(EpochReport report);
}
