using System.Diagnostics;
using System.Globalization;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// How the cost of whole-image segmentation inference grows with the image: the pretrained U-Net
/// (<c>unet_resnet18</c>, decoder width 32, two output maps) in evaluation mode on random 3-channel
/// squares of each size, one image per forward pass as validation runs it at 1024 px, against the
/// same number of pixels cut into tiles of each tile size (no overlap; the tiles' own cost only, so
/// the row says whether cutting large images would pay before any overlap is added). Prints the
/// median of the timed passes and milliseconds per megapixel; the forward multiply-accumulates are
/// counted from the architecture. The last rows per size are the product's sliding window
/// (<see cref="SegmentationPredictor.Probabilities"/>: tiles overlapping by a quarter, in batches of
/// four, blended with Gaussian weights), whose time is what validation and prediction now take.
/// </summary>
internal static class SegmentationInference
{
    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int threads = Program.Option(args, "--threads") is { } t ? int.Parse(t, inv) : Environment.ProcessorCount;
        int repeats = Program.Option(args, "--repeats") is { } r ? int.Parse(r, inv) : 3;
        var sizes = (Program.Option(args, "--sizes") ?? "256,512,1024").Split(',').Select(v => int.Parse(v, inv)).ToArray();
        var tiles = (Program.Option(args, "--tiles") ?? "256,512").Split(',').Select(v => int.Parse(v, inv)).ToArray();
        NativeRuntime.Initialize(threads, 1);
        Console.WriteLine($"torch threads {get_num_threads()}; 1 warm-up + {repeats} timed passes each (median); {ConvolutionCheck.Current.Describe()}");
        using var model = new UNetResNet18(3, 2, 32);
        model.eval();
        Console.WriteLine($"  {"image",7} {"passes",-22} {"median s",9} {"ms/MPx",8} {"GMAC/s",8}");
        foreach (int size in sizes)
        {
            Row(model, size, size, repeats);
            foreach (int tile in tiles.Where(x => x < size && size % x == 0))
                Row(model, size, tile, repeats);
            foreach (int tile in tiles.Where(x => x < size))
                WindowRow(model, size, tile, repeats);
        }
        return 0;
    }

    private static void Row(UNetResNet18 model, int size, int tile, int repeats)
    {
        int perSide = size / tile;
        using var x = rand(perSide * perSide, 3, tile, tile);
        var times = new List<double>();
        using (no_grad())
        {
            for (int i = 0; i <= repeats; i++)
            {
                var clock = Stopwatch.StartNew();
                for (int k = 0; k < perSide * perSide; k++)
                {
                    using var scope = NewDisposeScope();
                    model.forward(x.narrow(0, k, 1)).Dispose();
                }
                if (i > 0) times.Add(clock.Elapsed.TotalSeconds);
            }
        }
        double median = times.Order().ElementAt(times.Count / 2);
        double mpx = size * (double)size / 1e6;
        double gmac = ForwardMacs(tile) * perSide * perSide / 1e9;
        string passes = tile == size ? "whole image" : $"{perSide * perSide} tiles of {tile} px";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {size,5}px {passes,-22} {median,9:F2} {median * 1000 / mpx,8:F0} {gmac / median,8:F1}"));
    }

    /// <summary>The product's sliding window (<see cref="SegmentationPredictor.Probabilities"/>): overlapping tiles, flip averaging off, Gaussian blending included.</summary>
    private static void WindowRow(UNetResNet18 model, int size, int tile, int repeats)
    {
        var seg = new Clinforge.Core.SegmentationRecipe { PatchSize = tile };
        var window = new SlidingWindow(size, tile);
        using var x = rand(1, 3, size, size);
        var times = new List<double>();
        using (no_grad())
        {
            for (int i = 0; i <= repeats; i++)
            {
                var clock = Stopwatch.StartNew();
                SegmentationPredictor.Probabilities(model, x, seg).Dispose();
                if (i > 0) times.Add(clock.Elapsed.TotalSeconds);
            }
        }
        double median = times.Order().ElementAt(times.Count / 2);
        double mpx = size * (double)size / 1e6;
        double gmac = ForwardMacs(tile) * window.Origins.Count / 1e9;
        string passes = $"window: {window.Origins.Count} tiles of {tile}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {size,5}px {passes,-22} {median,9:F2} {median * 1000 / mpx,8:F0} {gmac / median,8:F1}"));
    }

    /// <summary>Forward multiply-accumulates of the U-Net on an S×S input: the ResNet-18 encoder and the five decoder blocks (width 32).</summary>
    private static double ForwardMacs(int s)
    {
        double Conv(double hw, int cin, int cout, int k) => hw * cin * cout * k * k;
        double a2 = Math.Pow(s / 2.0, 2), a4 = Math.Pow(s / 4.0, 2), a8 = Math.Pow(s / 8.0, 2), a16 = Math.Pow(s / 16.0, 2), a32 = Math.Pow(s / 32.0, 2), a1 = (double)s * s;
        double encoder = Conv(a2, 3, 64, 7)
            + 4 * Conv(a4, 64, 64, 3)
            + Conv(a8, 64, 128, 3) + 3 * Conv(a8, 128, 128, 3) + Conv(a8, 64, 128, 1)
            + Conv(a16, 128, 256, 3) + 3 * Conv(a16, 256, 256, 3) + Conv(a16, 128, 256, 1)
            + Conv(a32, 256, 512, 3) + 3 * Conv(a32, 512, 512, 3) + Conv(a32, 256, 512, 1);
        double decoder = Conv(a16, 512 + 256, 256, 3) + Conv(a16, 256, 256, 3)
            + Conv(a8, 256 + 128, 128, 3) + Conv(a8, 128, 128, 3)
            + Conv(a4, 128 + 64, 64, 3) + Conv(a4, 64, 64, 3)
            + Conv(a2, 64 + 64, 32, 3) + Conv(a2, 32, 32, 3)
            + Conv(a1, 32, 16, 3) + Conv(a1, 16, 16, 3) + Conv(a1, 16, 2, 1);
        return encoder + decoder;
    }
}
