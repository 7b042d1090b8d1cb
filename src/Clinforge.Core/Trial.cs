namespace Clinforge.Core;

/// <summary>How a trial ended.</summary>
public enum TrialStatus { Succeeded, Failed, TimedOut }

/// <summary>
/// Kinds of trial failure. A loss that is NaN from the first epoch, or a native crash, is not a property
/// of the recipe (a lower learning rate does not cure it): when every recipe fails that way, the
/// machine is at fault and the loop stops instead of spending the budget.
/// </summary>
public static class TrialFailure
{
    /// <summary>The loss became NaN/inf after training had started well: an optimisation problem.</summary>
    public const string Diverged = "diverged";
    /// <summary>The loss was NaN/inf in the first epoch: bad input values or the machine's numerical library.</summary>
    public const string NanAtStart = "nan_at_start";
    /// <summary>The trial process died in native code (SIGABRT/SIGSEGV).</summary>
    public const string NativeCrash = "native_crash";
    /// <summary>The trial ran out of memory.</summary>
    public const string OutOfMemory = "out_of_memory";
    /// <summary>The trial overran its time box.</summary>
    public const string TimedOut = "timed_out";
    /// <summary>Any other error.</summary>
    public const string Error = "error";

    /// <summary>Kinds that point at the machine rather than the recipe when they repeat across recipes.</summary>
    public static bool PointsAtMachine(string? kind) => kind is NanAtStart or NativeCrash;
}

/// <summary>A proposed change to the recipe with its plain-language reason and source.</summary>
public sealed record Proposal(string Move, string Change, string Reason, string? Source, Recipe Recipe);

/// <summary>Validation metrics of one trial at the end of its best epoch.</summary>
public sealed record ValidationMetrics(
    double Objective,
    string ObjectiveName,
    double Auc,
    double Accuracy,
    double BalancedAccuracy,
    double Sensitivity,
    double Specificity,
    double Threshold,
    // Top-label expected calibration error (Guo et al. 2017): how far confidence is from accuracy.
    double Ece = double.NaN)
{
    /// <summary>
    /// Multi-class only (null for binary tasks): counts of validation images by true class (row) and
    /// predicted class (column, the most probable), in class order. The playbook reads which classes
    /// are confused with which.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>>? Confusion { get; init; }

    /// <summary>
    /// Detection that keeps classes apart (null otherwise): the score threshold of each class (index =
    /// class), chosen on validation like <see cref="Threshold"/>, which stays the pooled threshold.
    /// </summary>
    public IReadOnlyList<double>? ClassThresholds { get; init; }
}

/// <summary>One row of the learning curve.</summary>
public sealed record EpochLog(int Epoch, double TrainLoss, double ValLoss, double ValObjective, double ValAuc, double Seconds);

/// <summary>metrics.json of a trial, written by the trial process.</summary>
public sealed record TrialMetrics
{
    public required TrialStatus Status { get; init; }
    public ValidationMetrics? Best { get; init; }
    public int BestEpoch { get; init; }
    public IReadOnlyList<EpochLog> Curve { get; init; } = [];
    public double TrainSeconds { get; init; }
    public double ImagesPerSecond { get; init; }
    public int Epochs { get; init; }
    public string? Error { get; init; }
    public string? Diagnosis { get; init; }
    // What kind of failure (TrialFailure's names), so the loop can tell a recipe's problem from the machine's.
    public string? FailureKind { get; init; }
    // Which convolution path the trial ran on and why (the machine's numerical self-check).
    public string? Convolutions { get; init; }
    // Seed ensemble (recipe ensemble_size > 1): each member's best validation objective, in seed order.
    public IReadOnlyList<double>? MemberObjectives { get; init; }
    // Successive halving (recipe search): every candidate evaluated, rung by rung, and the value kept.
    public KnobSearchResult? Search { get; init; }
    // How the weights started: "pretrained …" or "trained from scratch: <why>" (null: a from-scratch model).
    public string? Initialization { get; init; }
    // Named confounder: how far the validation predictions depend on it.
    public ConfounderDependence? Confounder { get; init; }
    // Cross-validation: each fold model's objective on its own held-out fold, in fold order (Best is the pooled out-of-fold one).
    public IReadOnlyList<double>? FoldObjectives { get; init; }
    // Detection: which validation images chose the epoch and threshold and which judged them (Best is the judged half's).
    public DetectionJudging? Judging { get; init; }
    // Seconds of one-time work for the run (frozen features, converting the weights) by which the training deadline moved.
    public double PreparedSeconds { get; init; }
}

/// <summary>
/// A trial's reliance on the named confounder, on validation: the partial correlation of the positive
/// probability with the confounder probability given the label, and the share of false positives
/// (at Youden's threshold) that carry the confounder.
/// </summary>
public sealed record ConfounderDependence(string Confounder, double PartialCorrelation, double FalsePositiveShare, int FalsePositives, int Images);

/// <summary>One evaluation of a successive-halving search: a knob value trained for a budget, with its validation objective.</summary>
public sealed record KnobCandidate(int Rung, double Value, double Seconds, double? Objective, string? Failure = null);

/// <summary>What a successive-halving search inside a trial found: the rungs and the value kept.</summary>
public sealed record KnobSearchResult(string Knob, IReadOnlyList<KnobCandidate> Candidates, double Chosen);

/// <summary>A trial as recorded in the journal: what was tried, why, what came out, and whether it was kept.</summary>
public sealed record TrialRecord(
    int Number,
    string Move,
    string Change,
    string Reason,
    string? Source,
    TrialStatus Status,
    double? Objective,
    bool Accepted,
    double? BestBefore,
    string? Diagnosis,
    DateTimeOffset Finished)
{
    /// <summary>
    /// The accepted trial with the highest objective (ties: the earliest), or null. When some trial was
    /// kept with a lower objective than the best before it (the shortcut rule trades a little
    /// objective for less reliance on a confounder), the most recently accepted trial (by finish time,
    /// then number) is the best: each acceptance was judged against the best at that moment.
    /// </summary>
    public static TrialRecord? Best(IEnumerable<TrialRecord> trials)
    {
        var accepted = trials.Where(t => t.Accepted).ToList();
        bool tradedObjective = accepted.Any(t => t.BestBefore is { } before && t.Objective is { } o && o < before);
        return tradedObjective
            ? accepted.OrderByDescending(t => t.Finished).ThenByDescending(t => t.Number).FirstOrDefault()
            // Equal objectives: the later accepted trial, which an acceptance rule kept on a finer criterion (a saturated objective).
            : accepted.OrderByDescending(t => t.Objective ?? double.NegativeInfinity).ThenByDescending(t => t.Number).FirstOrDefault();
    }
}
