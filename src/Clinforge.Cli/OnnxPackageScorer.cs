using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Reporting;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Clinforge.Cli;

/// <summary>
/// Scores images with package/model.onnx through ONNX Runtime, as a deploying team would: decode,
/// resize and centre-crop to the manifest's input size (the same decoder and resampling as training),
/// feed the 0–255 pixels in NHWC order, read the probabilities. Scaling, normalisation, test-time
/// augmentation and the softmax are inside the graph; nothing of TorchSharp is used.
/// </summary>
internal static class OnnxPackageScorer
{
    private const int BatchSize = 64;

    /// <summary>An ONNX Runtime session on a package's model.onnx (<paramref name="threads"/> intra-op threads, 0: its default); a clear error when it cannot load.</summary>
    public static InferenceSession OpenSession(string path, int threads)
    {
        using var options = new SessionOptions();
        if (threads > 0) options.IntraOpNumThreads = threads;
        try { return new InferenceSession(path, options); }
        catch (OnnxRuntimeException e) { throw new ClinforgeException($"{path}: ONNX Runtime cannot load it: {e.Message}"); }
    }

    /// <summary>Class probabilities for each decoded image, in order.</summary>
    public static double[][] Score(string package, ModelPackageManifest manifest, IReadOnlyList<RawImage> images, int threads)
    {
        var onnx = manifest.Onnx ?? throw new ClinforgeException(
            $"{package}: the package has no model.onnx{(manifest.OnnxUnavailable is { } why ? $" ({why})" : "")}. Score with --runtime torch, or re-export by running the workflow again.");
        var path = Path.Combine(package, onnx.File);
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: missing from the package; copy the whole package folder.");
        if (onnx.Input.Layout != "NHWC" || onnx.Input.Shape.Count != 4)
            throw new ClinforgeException($"{Path.Combine(package, ModelPackage.ManifestFile)}: ONNX input layout {onnx.Input.Layout} [{string.Join(",", onnx.Input.Shape)}] is not the NHWC image this command feeds.");
        int size = int.Parse(onnx.Input.Shape[1], CultureInfo.InvariantCulture), channels = int.Parse(onnx.Input.Shape[3], CultureInfo.InvariantCulture);

        using var session = OpenSession(path, threads);

        var result = new double[images.Count][];
        int plane = size * size, per = plane * channels;
        for (int start = 0; start < images.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, images.Count - start);
            var input = new float[n * per];
            Parallel.For(0, n, i =>
            {
                var chw = ImageOps.ToTensorChw(images[start + i], size, channels);
                var hwc = input.AsSpan(i * per, per);
                for (int c = 0; c < channels; c++)
                    for (int p = 0; p < plane; p++) hwc[p * channels + c] = chw[c * plane + p] * 255f;
            });
            var tensor = new DenseTensor<float>(input, [n, size, size, channels]);
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(onnx.Input.Name, tensor)], [onnx.Output.Name]);
            var probabilities = outputs[0].AsTensor<float>();
            int k = (int)probabilities.Dimensions[1];
            if (k != manifest.Classes.Count)
                throw new ClinforgeException($"{path}: gives {k} probabilities per image, but the manifest names {manifest.Classes.Count} classes.");
            for (int i = 0; i < n; i++)
            {
                var row = new double[k];
                for (int j = 0; j < k; j++) row[j] = probabilities[i, j];
                result[start + i] = row;
            }
        }
        return result;
    }
}
