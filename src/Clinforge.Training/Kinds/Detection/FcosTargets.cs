using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>FCOS training targets for a batch: per location class targets, side distances, centre-ness and positive indices.</summary>
public sealed record FcosTargets(float[] Cls, float[] Box, float[] Centerness, long[] Positive, int Grid);
