using System.Diagnostics;
using Clinforge.Core;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// What correct convolution gradients cost: training throughput (forward + backward + AdamW step) of
/// registry models under each convolution path, measured back to back in one run. On a CPU with the
/// oneDNN backward-data defect the default path is fast but wrong for narrow convolutions; the padded
/// path and oneDNN switched off are correct; the ratio to the default is the price of correctness.
/// </summary>
internal static class ConvPaths
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        set_num_threads(threads);
        var decided = ConvolutionCheck.Current;
        Console.WriteLine($"torch threads {get_num_threads()}; this machine: {decided.Describe()}");
        Console.WriteLine("images/s, batch 16, 2 warm-up + 6 timed steps; ratio = path / onednn (the unchecked default)");
        var cases = new (string Label, ModelSpec Spec, int Channels, int Size, int Classes)[]
        {
            ("resnet w8 28px (narrow first stage)", new ModelSpec("resnet", 8, 1), 1, 28, 2),
            ("resnet w16 64px (no narrow conv)", new ModelSpec("resnet", 16, 1), 1, 64, 2),
            ("fcos_lite w8 224px (narrow head convs)", new ModelSpec("fcos_lite", 8, 1), 1, 224, 1),
        };
        foreach (var c in cases)
        {
            var rates = new Dictionary<string, double>();
            foreach (var path in new[] { "onednn", "padded", "onednn-off" })
            {
                ConvolutionCheck.Use(path);
                rates[path] = Measure(c.Spec, c.Channels, c.Size, c.Classes);
            }
            Console.WriteLine($"{c.Label,-40} onednn {rates["onednn"],7:F1}  padded {rates["padded"],7:F1} ({rates["padded"] / rates["onednn"]:F2}x)  onednn-off {rates["onednn-off"],7:F1} ({rates["onednn-off"] / rates["onednn"]:F2}x)");
        }
        ConvolutionCheck.Use(decided.Name);
        return 0;
    }

    private static double Measure(ModelSpec spec, int channels, int size, int classes)
    {
        random.manual_seed(1);
        using var model = ModelRegistry.Create(spec, channels, classes);
        using var opt = optim.AdamW(model.parameters(), 1e-3);
        using var x = randn(16, channels, size, size);
        var sw = new Stopwatch();
        for (int it = 0; it < 8; it++)
        {
            if (it == 2) sw.Start();
            using var scope = NewDisposeScope();
            opt.zero_grad();
            // A plain squared-output loss exercises every layer's backward the same way for classifiers and detectors.
            var loss = model.forward(x).square().mean();
            loss.backward();
            opt.step();
        }
        return 6 * 16 / sw.Elapsed.TotalSeconds;
    }
}
