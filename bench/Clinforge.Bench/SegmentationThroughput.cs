using System.Diagnostics;
using System.Globalization;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// Segmentation throughput on the CPU, in two parts. Inference: how the cost of whole-image inference grows with the image: the pretrained U-Net
/// (<c>unet_resnet18</c>, decoder width 32, two output maps) in evaluation mode on random 3-channel
/// squares of each size, one image per forward pass as validation runs it at 1024 px, against the
/// same number of pixels cut into tiles of each tile size (no overlap; the tiles' own cost only, so
/// the row says whether cutting large images would pay before any overlap is added). Prints the
/// median of the timed passes and milliseconds per megapixel; the forward multiply-accumulates are
/// counted from the architecture. The last rows per size are the product's sliding window
/// (<see cref="SegmentationPredictor.Probabilities"/>: tiles overlapping by a quarter, one per
/// forward pass, blended with Gaussian weights), whose time is what validation and prediction now take.
/// Training: patches per second of a training step (forward, Dice + cross-entropy, backward, AdamW) on
/// 256-px patches at each batch size of <c>--train-batches</c> (default 2,4,8), as the trainer takes them
/// (<c>--model unet</c>: the from-scratch U-Net instead of the pretrained one).
/// </summary>
internal static class SegmentationThroughput
{
    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int threads = Program.Option(args, "--threads") is { } t ? int.Parse(t, inv) : Environment.ProcessorCount;
        int repeats = Program.Option(args, "--repeats") is { } r ? int.Parse(r, inv) : 3;
        var sizes = (Program.Option(args, "--sizes") ?? "256,512,1024").Split(',').Select(v => int.Parse(v, inv)).ToArray();
        var tiles = (Program.Option(args, "--tiles") ?? "256,512").Split(',').Select(v => int.Parse(v, inv)).ToArray();
        var batches = (Program.Option(args, "--train-batches") ?? "2,4,8").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, inv)).ToArray();
        int patch = Program.Option(args, "--patch") is { } pt ? int.Parse(pt, inv) : 256;
        // --model unet times the from-scratch U-Net's training steps instead (width 16, four poolings, as planned).
        bool scratch = Program.Option(args, "--model") is { } mo && (mo == "unet" ? true : mo == "unet_resnet18" ? false : throw new ArgumentException($"--model {mo}: unet_resnet18 or unet"));
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
        if (batches.Length > 0)
        {
            Console.WriteLine($"  training steps of {(scratch ? "unet (width 16, 4 levels; GMAC/s not counted)" : "unet_resnet18")} on {patch}-px patches ({TrainWarmUp} warm-up + {repeats * 2} timed steps, median):");
            Console.WriteLine($"  {"batch",7} {"median step s",14} {"patches/s",10} {"GMAC/s",8}");
            foreach (int b in batches) TrainRow(patch, b, repeats * 2, scratch);
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

    /// <summary>
    /// Untimed training steps per row. With two, a fresh network's first rows ran up to twice as slow as
    /// the same batch size measured again later in the process (batch 4: 2.61 then 5.21 patches/s).
    /// </summary>
    private const int TrainWarmUp = 8;

    /// <summary>One training step as <c>SegmentationTrainer</c> takes it, timed at batch <paramref name="batch"/>; MACs counted as three forward passes.</summary>
    private static void TrainRow(int patch, int batch, int steps, bool scratch)
    {
        random.manual_seed(1);
        using var model = scratch ? ModelRegistry.Create(new Clinforge.Core.ModelSpec("unet", 16, 4), 3, 2) : new UNetResNet18(3, 2, 32);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), 1e-3, weight_decay: 1e-4);
        var seg = new Clinforge.Core.SegmentationRecipe { PatchSize = patch };
        using var x = rand(batch, 3, patch, patch);
        using var y = randint(0, 2, [batch, patch, patch]).to_type(ScalarType.Int64);
        using var r = ones(batch, patch, patch);
        var times = new List<double>();
        for (int i = 0; i < steps + TrainWarmUp; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            var loss = SegmentationLoss.Compute(model.forward(x), y, r, seg);
            loss.backward();
            optimizer.step();
            if (i >= TrainWarmUp) times.Add(clock.Elapsed.TotalSeconds);
        }
        double median = times.Order().ElementAt(times.Count / 2);
        double gmac = 3 * ForwardMacs(patch) * batch / 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {batch,7} {median,14:F3} {batch / median,10:F2} {(scratch ? "-" : (gmac / median).ToString("F1", CultureInfo.InvariantCulture)),8}"));
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
