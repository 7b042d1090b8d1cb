using System.Diagnostics;
using Clinforge.Core;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// Training throughput of the detector (forward + FCOS loss + backward + AdamW step, batch 16, grey
/// input) at several resolutions, widths and depths (the first row repeats to show the warm-up), to choose the initializer's resolution with numbers.
/// </summary>
internal static class DetectionThroughput
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        set_num_threads(threads);
        random.manual_seed(1);
        Console.WriteLine($"torch threads {get_num_threads()}; batch 16; 2 warm-up + 5 timed steps each");
        foreach (var (size, width, depth) in new[] { (224, 8, 1), (224, 8, 1), (224, 16, 1), (224, 16, 2), (320, 8, 1), (320, 16, 1), (448, 8, 1), (384, 16, 1) })
        {
            using var model = ModelRegistry.Create(new ModelSpec("fcos_lite", width, depth), 1, 1);
            using var opt = optim.AdamW(model.parameters(), 1e-3);
            var boxes = Enumerable.Range(0, 16).Select(i => (IReadOnlyList<PixelBox>)[new PixelBox(size * 0.3, size * 0.3, size * 0.45, size * 0.5, 0)]).ToArray();
            var targets = FcosAssigner.Build(boxes, size, 1, 1.5);
            var x = randn(16, 1, size, size);
            var clock = new Stopwatch();
            for (int step = 0; step < 7; step++)
            {
                if (step == 2) clock.Start();
                using var scope = NewDisposeScope();
                opt.zero_grad();
                var loss = FcosLoss.Compute(model.forward(x), targets, 1, 0.25, 2);
                loss.backward();
                opt.step();
            }
            double ips = 16 * 5 / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"fcos_lite {size}px w{width} d{depth}: {ips:F1} img/s (training)");
        }
        return 0;
    }
}
