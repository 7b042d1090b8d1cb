using System.Diagnostics;
using Clinforge.Core;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Bench;

/// <summary>
/// Training throughput of the detector (forward + FCOS loss + backward + AdamW step, batch 16, grey
/// input) at several resolutions, widths and depths (the first row repeats to show the warm-up), to choose the initializer's resolution with numbers;
/// and the validation pass (evaluation mode, no autograd, boxes decoded) in the batches the trainer picks against batches of 32.
/// CLINFORGE_BENCH_BATCHES=4,8,16 adds a sweep of validation batch sizes per row.
/// </summary>
internal static class DetectionThroughput
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        set_num_threads(threads);
        random.manual_seed(1);
        // CLINFORGE_BENCH_TRAIN_BATCH sets the training batch (default 16, the recipes' batch).
        int batch = int.TryParse(Environment.GetEnvironmentVariable("CLINFORGE_BENCH_TRAIN_BATCH"), out var b) && b > 1 ? b : 16;
        Console.WriteLine($"torch threads {get_num_threads()}; batch {batch}; 2 warm-up + 5 timed steps each");
        (string Model, int Size, int Width, int Depth, int Frozen)[] rows =
        [
            ("fcos_lite", 224, 8, 1, 0), ("fcos_lite", 224, 8, 1, 0), ("fcos_lite", 224, 16, 1, 0), ("fcos_lite", 224, 16, 2, 0),
            ("fcos_lite", 320, 8, 1, 0), ("fcos_lite", 320, 16, 1, 0), ("fcos_lite", 448, 8, 1, 0), ("fcos_lite", 384, 16, 1, 0),
            // The pretrained ResNet-18 detector: whole network trained, or the stem and the first 1 or 2 stages frozen.
            ("fcos_resnet18", 256, 128, 1, 1), ("fcos_resnet18", 320, 128, 1, 0), ("fcos_resnet18", 320, 128, 1, 1), ("fcos_resnet18", 320, 128, 1, 2),
            ("fcos_resnet18", 320, 64, 1, 1), ("fcos_resnet18", 384, 128, 1, 1), ("fcos_resnet18", 384, 128, 1, 2),
        ];
        foreach (var (name, size, width, depth, frozen) in rows)
        {
            using var model = ModelRegistry.Create(new ModelSpec(name, width, depth), 1, 1);
            if (model is FcosResNet18 pretrained) pretrained.Freeze(frozen);
            model.train();
            using var opt = optim.AdamW(model.parameters().Where(p => p.requires_grad), 1e-3);
            var boxes = Enumerable.Range(0, batch).Select(i => (IReadOnlyList<PixelBox>)[new PixelBox(size * 0.3, size * 0.3, size * 0.45, size * 0.5, 0)]).ToArray();
            var targets = FcosAssigner.Build(boxes, size, 1, 1.5);
            var x = randn(batch, 1, size, size);
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
            double ips = batch * 5.0 / clock.Elapsed.TotalSeconds;
            // Validation: the same network in evaluation mode without autograd, batches of 32, boxes decoded (what every epoch's validation pass does).
            int chosenBatch = DetectionTrainer.InferenceBatch(size);
            double inference = Inference(model, size, chosenBatch), inference32 = Inference(model, size, 32);
            if (Environment.GetEnvironmentVariable("CLINFORGE_BENCH_BATCHES") is { } sweep)
                foreach (var v in sweep.Split(',').Select(int.Parse))
                    Console.WriteLine($"  validation batch {v}: {Inference(model, size, v):F1} img/s");
            Console.WriteLine(name == "fcos_lite"
                ? $"fcos_lite {size}px w{width} d{depth}: {ips:F1} img/s (training); validation {inference:F1} img/s in batches of {chosenBatch}, {inference32:F1} in batches of 32 (ratio {inference / inference32:F2})"
                : $"fcos_resnet18 {size}px pyramid {width}, {frozen} stage(s) frozen: {ips:F1} img/s (training); validation {inference:F1} img/s in batches of {chosenBatch}, {inference32:F1} in batches of 32 (ratio {inference / inference32:F2})");
        }
        return 0;
    }

    /// <summary>Images per second of the validation pass: evaluation mode, no autograd, batch 32, boxes decoded with NMS (one warm-up batch, three timed).</summary>
    private static double Inference(nn.Module<Tensor, Tensor> model, int size, int batch = 32)
    {
        model.eval();
        using var noGrad = no_grad();
        var x = randn(batch, 1, size, size);
        var frames = Enumerable.Range(0, batch).Select(_ => new Clinforge.Data.LetterboxFrame(size, size, size, 1, 0, 0)).ToArray();
        var clock = new Stopwatch();
        for (int step = 0; step < 4; step++)
        {
            if (step == 1) clock.Start();
            using var scope = NewDisposeScope();
            FcosDecoder.Decode(model.forward(x), frames, 1, 0.05, 0.5, 10);
        }
        model.train();
        return batch * 3 / clock.Elapsed.TotalSeconds;
    }
}
