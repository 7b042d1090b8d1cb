using System.Diagnostics;
using Clinforge.Core;

namespace Clinforge.Training;

/// <summary>The loop's limits.</summary>
/// <param name="MaxEpochs">Epochs at most.</param>
/// <param name="StartUtc">When the budget started (the learning-rate schedules run on the clock from here).</param>
/// <param name="DeadlineUtc">When training and validation must be done.</param>
/// <param name="KeepLastEpoch">Keep the last epoch rather than the best on validation (fold models; debiasing, whose validation carries the shortcut).</param>
/// <param name="ShortLastEpochSeconds">When a whole epoch no longer fits, a shorter one still runs if this much training fits (0: never).</param>
public sealed record LoopSettings(int MaxEpochs, DateTime StartUtc, DateTime DeadlineUtc, bool KeepLastEpoch = false, double ShortLastEpochSeconds = 0);

/// <summary>What the loop did: the curve, the kept epoch, time and images; <see cref="NonFinite"/> when the training loss became NaN or infinite.</summary>
public sealed record LoopResult(List<EpochLog> Curve, EpochCheck? Best, int BestEpoch, int Epochs, long Images, double TrainSeconds, bool NonFinite);

/// <summary>
/// The one training loop (nanoGPT's and AIDE's "one loop in one place"): epochs on the clock, each cut
/// at the deadline after at least one batch, validated, the kept epoch checkpointed, stopped when the
/// next epoch no longer fits the budget. Every kind trains through it with its <see cref="ITrainingHooks"/>.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Runs the loop.</summary>
    public static LoopResult Run(ITrainingHooks hooks, LoopSettings settings, Action<string> log, Action<TrainProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            return Epochs(hooks, settings, log, progress);
        }
        finally
        {
            QuietCollector.Exit();
        }
    }

    private static LoopResult Epochs(ITrainingHooks hooks, LoopSettings settings, Action<string> log, Action<TrainProgress>? progress)
    {
        double Fraction() => Math.Clamp((DateTime.UtcNow - settings.StartUtc).TotalSeconds / Math.Max((settings.DeadlineUtc - settings.StartUtc).TotalSeconds, 1e-3), 0, 1);
        var curve = new List<EpochLog>();
        var times = new List<double>();
        EpochCheck? best = null;
        int bestEpoch = 0, epoch = 0;
        long images = 0;
        double trainSeconds = 0, reserve = 0;
        while (epoch < settings.MaxEpochs)
        {
            epoch++;
            var clock = Stopwatch.StartNew();
            int batches = hooks.EpochStart(epoch), run = 0, counted = 0;
            double loss = 0;
            // Training stops early enough for the epoch's validation to finish by the deadline.
            var until = hooks.TrainUntil(epoch, settings.DeadlineUtc - TimeSpan.FromSeconds(reserve));
            for (int b = 0; b < batches && (run == 0 || DateTime.UtcNow < until); b++, run++)
            {
                QuietCollector.Enter();
                if (hooks.Batch(epoch, b, batches, Fraction()) is not { } step) continue;
                loss += step.Loss; counted++; images += step.Images;
            }
            loss /= Math.Max(counted, 1);
            trainSeconds += clock.Elapsed.TotalSeconds;
            if (run < batches) log($"epoch {epoch} cut at the deadline after {run}/{batches} batches: validating and saving what was learned rather than losing the trial");
            if (!double.IsFinite(loss)) return new LoopResult(curve, best, bestEpoch, epoch, images, trainSeconds, NonFinite: true);

            QuietCollector.Enter();
            var check = hooks.Validate(epoch);
            reserve = 1.2 * check.Seconds;
            times.Add(clock.Elapsed.TotalSeconds);
            curve.Add(new EpochLog(epoch, loss, check.Loss, check.Metrics.Objective, check.Metrics.Auc, clock.Elapsed.TotalSeconds));
            double remaining = (settings.DeadlineUtc - DateTime.UtcNow).TotalSeconds, typical = times.Order().ElementAt(times.Count / 2);
            int planned = Math.Min(settings.MaxEpochs, epoch + (int)Math.Min(settings.MaxEpochs, Math.Floor(Math.Max(remaining, 0) / Math.Max(typical, 1e-6))));
            log(hooks.Describe(new EpochReport(epoch, planned, loss, check, clock.Elapsed.TotalSeconds, images, run, batches)));
            if (best is null || check.Metrics.Objective > best.Metrics.Objective || settings.KeepLastEpoch)
            {
                best = check; bestEpoch = epoch;
                hooks.Checkpoint(epoch, check);
            }
            progress?.Invoke(new TrainProgress(epoch, planned, Fraction(), best.Metrics.Objective));
            var next = hooks.EpochEnd(epoch, best, bestEpoch, typical);
            if (next == LoopStep.Stop) break;
            if (next == LoopStep.ContinueNewPhase || remaining >= typical) continue;
            // A slow epoch (a pretrained detector at 320 px takes minutes) must not leave a third of the
            // budget unused: a shorter last epoch runs when enough training still fits.
            if (settings.ShortLastEpochSeconds > 0 && remaining - reserve >= settings.ShortLastEpochSeconds)
            {
                log($"a shorter last epoch: {remaining - reserve:F0}s of training fit before the deadline (an epoch takes {typical:F1}s)");
                continue;
            }
            log($"stopping after epoch {epoch}: {Math.Max(remaining, 0):F0}s of the budget left, an epoch takes {typical:F1}s");
            break;
        }
        return new LoopResult(curve, best, bestEpoch, epoch, images, trainSeconds, NonFinite: false);
    }
}
