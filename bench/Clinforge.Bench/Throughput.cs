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
        // Precision: the same model in fp32 and in bf16 (weights and activations), measured back to back.
        foreach (var size in new[] { 28, 64 })
        {
            double fp32 = Measure(new ModelSpec("resnet", 16, 1), 1, size, false);
            double bf16 = Measure(new ModelSpec("resnet", 16, 1), 1, size, false, ScalarType.BFloat16);
            Console.WriteLine($"resnet {size,3}px w16 d1 fp32 {fp32,8:F0} img/s, bf16 {bf16,8:F0} img/s  (bf16/fp32 = {bf16 / fp32:F2})");
        }
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

    private static double Measure(ModelSpec spec, int channels, int size, bool aug, ScalarType dtype = ScalarType.Float32)
    {
        using var model = ModelRegistry.Create(spec, channels, 2);
        model.to(dtype);
        using var opt = optim.AdamW(model.parameters(), 1e-3);
        using var x = randn(32, channels, size, size).to(dtype);
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
            var loss = nn.functional.cross_entropy(model.forward(xb).to(ScalarType.Float32), y);
            loss.backward();
            opt.step();
        }
        return 32 * 10 / sw.Elapsed.TotalSeconds;
    }
}
