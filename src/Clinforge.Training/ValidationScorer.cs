using Clinforge.Core;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>Scores validation predictions with the clinician's objective (injected: Training does not reference Evaluation).</summary>
public delegate ValidationMetrics ValidationScorer(int[] labels, double[][] probabilities);
