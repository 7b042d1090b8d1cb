using System.Diagnostics;
using System.Globalization;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// Training throughput of each fine-tuning strategy of the pretrained ResNet-18 at 112 and 224 px, in
/// one run: images/s of a training step (forward, backward, AdamW), the multiply-accumulates per second
/// that this means as a share of the machine's measured convolution peak, and what caching the frozen
/// stages saves (the same strategy with its frozen stages run every step, against training from their
/// cached outputs, plus the one-time cost of filling the cache).
/// </summary>
/// <remarks>
/// Multiply-accumulates are counted from the architecture (every convolution's k²·C_in·C_out·H·W, the
/// package's [2, 2, 2, 3] layout, three input channels), and a training step is counted as three times
/// the forward pass of the stages that train (forward, gradient with respect to the input, gradient with
/// respect to the weights; the first trainable stage needs no input gradient, which the count ignores)
/// plus one forward pass of the frozen stages when they are not cached. The peak is the best of a few
/// large 3×3 convolutions (forward only) measured in the same process and thread count.
/// </remarks>
internal static class PretrainedThroughput
{
    private static int s_batch = 16;
    private static int s_channels = 3;
    private const int WarmUp = 2;

    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int threads = Program.Option(args, "--threads") is { } t ? int.Parse(t, inv) : Environment.ProcessorCount;
        int steps = Program.Option(args, "--steps") is { } s ? int.Parse(s, inv) : 5;
        // Grey images (radiographs) keep one channel with the stem summed over colour; --channels 1 times that path.
        s_channels = Program.Option(args, "--channels") is { } ch ? int.Parse(ch, inv) : 3;
        s_batch = Program.Option(args, "--batch") is { } b ? int.Parse(b, inv) : 16;
        var sizes = (Program.Option(args, "--sizes") ?? "112,224").Split(',').Select(v => int.Parse(v, inv)).ToArray();
        NativeRuntime.Initialize(threads, 1);
        Console.WriteLine($"torch threads {get_num_threads()}; batch {s_batch}; {s_channels} input channel(s); {WarmUp} warm-up + {steps} timed steps each; {ConvolutionCheck.Current.Describe()}");
        double peak = ConvPeak(steps);
        Console.WriteLine(string.Create(inv, $"measured convolution peak (best of 3x3 convolutions, forward): {peak / 1e9:F1} GMAC/s"));

        using var model = new PretrainedResNet(s_channels, 2, 0);
        var init = PretrainedWeights.TryLoad(model.Backbone);
        Console.WriteLine(init.Loaded ? $"weights: {init.Note}" : $"weights NOT loaded ({init.Note}): timings are the same for random weights");
        Console.WriteLine($"  {"size",-5} {"strategy",-38} {"img/s",8} {"GMAC/s",8} {"share of peak",13}   notes");
        foreach (int size in sizes)
        {
            double full = 0;
            foreach (var (name, frozen, cached) in new[]
                     {
                         ("full (all stages train)", 0, false),
                         ("partial, 1 stage frozen", 1, false), ("partial, 1 stage frozen", 1, true),
                         ("partial, 2 stages frozen", 2, false), ("partial, 2 stages frozen", 2, true),
                         ("partial, 3 stages frozen", 3, false), ("partial, 3 stages frozen", 3, true),
                         ("head only", 4, false), ("head only", 4, true),
                     })
            {
                var (ips, fill) = Measure(model, size, frozen, cached, steps);
                if (frozen == 0) full = ips;
                double macs = TrainingMacs(size, frozen, cached);
                string note = (frozen, cached) switch
                {
                    (0, _) => "same cost as training from scratch (same network)",
                    (_, false) => "frozen stages run every step, without gradients",
                    _ => string.Create(inv, $"cached: filling the cache runs at {fill:F0} img/s once per view; {ips / full:F1}x full fine-tuning"),
                };
                Console.WriteLine(string.Create(inv,
                    $"  {size,-5} {name + (frozen > 0 ? (cached ? " (cached)" : " (not cached)") : ""),-38} {ips,8:F1} {ips * macs / 1e9,8:F1} {ips * macs / peak,13:P0}   {note}"));
            }
        }
        return 0;
    }

    /// <summary>Images/s of training steps, and for a cached strategy the images/s of filling the cache.</summary>
    private static (double ImagesPerSecond, double FillPerSecond) Measure(PretrainedResNet model, int size, int frozen, bool cached, int steps)
    {
        model.Freeze(frozen);
        model.InputLevel = 0;
        model.train();
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var opt = optim.AdamW(trainable, 1e-4);
        using var images = randn(s_batch, s_channels, size, size);
        using var y = randint(0, 2, [s_batch]);
        double fill = double.NaN;
        Tensor input = images;
        if (cached)
        {
            using (no_grad())
            {
                model.CacheInput(images, frozen).Dispose(); // warm-up
                var clock = Stopwatch.StartNew();
                input = model.CacheInput(images, frozen);
                fill = s_batch / clock.Elapsed.TotalSeconds;
            }
            model.InputLevel = frozen;
        }
        var sw = new Stopwatch();
        for (int it = 0; it < WarmUp + steps; it++)
        {
            if (it == WarmUp) sw.Start();
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(input), y);
            loss.backward();
            opt.step();
        }
        sw.Stop();
        if (cached) input.Dispose();
        model.InputLevel = 0;
        return (s_batch * steps / sw.Elapsed.TotalSeconds, fill);
    }

    /// <summary>Best forward multiply-accumulates per second of a few large 3×3 convolutions.</summary>
    private static double ConvPeak(int steps)
    {
        double best = 0;
        foreach (var (channels, spatial) in new[] { (64, 56), (128, 28), (256, 14) })
        {
            using var conv = nn.Conv2d(channels, channels, 3, padding: 1, bias: false);
            using var x = randn(s_batch, channels, spatial, spatial);
            using var g = no_grad();
            for (int i = 0; i < WarmUp; i++) conv.forward(x).Dispose();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) conv.forward(x).Dispose();
            double macs = 9.0 * channels * channels * spatial * spatial * s_batch * steps;
            best = Math.Max(best, macs / sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>Multiply-accumulates of one training image: 3× the forward of the trained stages, plus the frozen forward when not cached.</summary>
    private static double TrainingMacs(int size, int frozen, bool cached)
    {
        var stage = StageMacs(size);
        double trained = stage.Skip(frozen).Sum() + 512 * 2;
        double frozenForward = cached ? 0 : stage.Take(frozen).Sum();
        return 3 * trained + frozenForward;
    }

    /// <summary>Forward multiply-accumulates per image of the stem with stage 1, and stages 2, 3, 4 (layout [2, 2, 2, 3], 3 input channels).</summary>
    private static double[] StageMacs(int size)
    {
        static double Conv(int k, int cin, int cout, double h) => (double)k * k * cin * cout * h * h;
        var layout = ResNet18Backbone.Layout;
        var channels = ResNet18Backbone.StageChannels;
        var result = new double[4];
        result[0] = Conv(7, 3, 64, size / 2.0);
        int cin = 64;
        for (int s = 0; s < 4; s++)
        {
            double h = size / (4.0 * (1 << s));
            int c = channels[s];
            for (int b = 0; b < layout[s]; b++)
            {
                int inC = b == 0 ? cin : c;
                result[s] += Conv(3, inC, c, h) + Conv(3, c, c, h);
                if (b == 0 && s > 0) result[s] += Conv(1, inC, c, h);
            }
            cin = c;
        }
        return result;
    }
}
