using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>A box in pixels of the letterboxed square.</summary>
public readonly record struct PixelBox(double X1, double Y1, double X2, double Y2, int Class)
{
    /// <summary>Width × height in pixels.</summary>
    public double Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);
}
