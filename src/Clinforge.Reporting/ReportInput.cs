using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>Everything the report shows, read from the run folder and the journal by the caller.</summary>
public sealed record ReportInput(
    RunPaths Run,
    string Request,
    TaskSpec Spec,
    DataCard Card,
    IReadOnlyList<TrialRecord> Trials,
    IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> TestLooks,
    FinalEvaluation? Evaluation,
    PredictionTable? TestPredictions = null,
    PredictionTable? InitialTestPredictions = null,
    IReadOnlyList<ExampleImage>? Examples = null,
    TradeOffDecision? TradeOff = null,
    IReadOnlyList<SubgroupTable>? Subgroups = null,
    Clinforge.Evaluation.ConfoundReport? Confound = null,
    IReadOnlyList<string>? Convolutions = null,
    IReadOnlyDictionary<int, string>? Decisions = null);
