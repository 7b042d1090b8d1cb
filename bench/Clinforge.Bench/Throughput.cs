using System.Diagnostics;
using Clinforge.Core;
using Clinforge.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// Training throughput (images/s, forward + backward + AdamW step) of registry models across
/// resolutions and widths, measured in one run so the ratios are comparable. Used to choose the
/// initializer's defaults (../shared/BENCHMARKS.md: this CPU is compute-bound).
/// </summary>
internal static class Throughput
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        set_num_threads(threads);
        random.manual_seed(1);
        Console.WriteLine($"torch threads {get_num_threads()}; batch 32; 3 warm-up + 10 timed steps each");
        double? baseline = null;
        foreach (var (model, size, width, depth, aug) in new[]
                 {
                     ("resnet", 28, 16, 1, false), ("resnet", 32, 16, 1, false), ("resnet", 30, 16, 1, false), ("resnet", 26, 16, 1, false), ("resnet", 28, 16, 1, true), ("resnet", 28, 32, 1, false), ("resnet", 28, 16, 2, false),
                     ("simple_cnn", 28, 16, 1, false), ("resnet", 48, 16, 1, false), ("resnet", 64, 16, 1, false), ("resnet", 64, 16, 1, true),
                 })
        {
            double ips = Measure(new ModelSpec(model, width, depth), 1, size, aug);
            baseline ??= ips;
            Console.WriteLine($"{model,-10} {size,3}px w{width,-3} d{depth} aug={(aug ? "on " : "off")}  {ips,8:F0} img/s  ({ips / baseline.Value:F2}x the first row)");
        }
        return 0;
    }

    private static double Measure(ModelSpec spec, int channels, int size, bool aug)
    {
        using var model = ModelRegistry.Create(spec, channels, 2);
        using var opt = optim.AdamW(model.parameters(), 1e-3);
        using var x = randn(32, channels, size, size);
        using var y = randint(0, 2, [32]);
        var gen = new Generator(1);
        var augSpec = new AugmentationSpec(0.5, 0, 0, 0.08, 0.1);
        var sw = new Stopwatch();
        for (int it = 0; it < 13; it++)
        {
            if (it == 3) sw.Start();
            using var scope = NewDisposeScope();
            var xb = aug ? Augmenter.Apply(x, augSpec, gen) : x;
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(xb), y);
            loss.backward();
            opt.step();
        }
        return 32 * 10 / sw.Elapsed.TotalSeconds;
    }
}
