using Clinforge.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>Progress of a running trial, for a progress bar.</summary>
public sealed record TrainProgress(int Epoch, int PlannedEpochs, double Fraction, double? BestObjective);
