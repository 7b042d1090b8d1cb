using Clinforge.Core;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>What a finished training run produced.</summary>
public sealed record TrainingOutcome(TrialMetrics Metrics, double[][] BestValProbabilities);
