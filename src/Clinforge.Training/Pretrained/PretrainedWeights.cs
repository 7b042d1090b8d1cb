using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>How a pretrained model's weights were initialised: from the package, or from scratch and why.</summary>
public sealed record PretrainedInit(bool Loaded, string Note, string? OnnxSha256 = null, double ConversionSeconds = 0);

/// <summary>
/// The ResNet-18 weights of the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.24.0,
/// restored by the build (a PackageDownload; the path is written into this assembly's metadata).
/// The ONNX initialisers are read once, renamed to torchvision's names with the table
/// <c>resnet18-onnx-to-torchvision.tsv</c>, the stem's input channels reordered from the file's
/// B, G, R to R, G, B, and saved as a TorchSharp checkpoint in the user's cache, named by the ONNX
/// file's SHA-256 and checked against its own SHA-256 when read. Nothing is downloaded.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>Package that carries the weights.</summary>
    public const string Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0";

    /// <summary>SHA-256 of ResNet18.onnx in version 0.24.0 of the package.</summary>
    public const string KnownSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>Environment variable that points at another copy of ResNet18.onnx.</summary>
    public const string PathVariable = "CLINFORGE_RESNET18_ONNX";

    /// <summary>Environment variable for the converted-checkpoint cache folder, shared with the convolution self-check (default: $XDG_CACHE_HOME/clinforge or ~/.cache/clinforge).</summary>
    public const string CacheVariable = "CLINFORGE_CACHE_DIR";

    /// <summary>Per-channel means on the 0–255 scale in R, G, B order (the package's ResNetPreprocess.onnx: B 103.06, G 115.90, R 123.15).</summary>
    public static readonly IReadOnlyList<float> MeanRgb255 = [123.15f, 115.90f, 103.06f];

    private static readonly object s_lock = new();

    /// <summary>Where the ONNX file is expected: the override variable, else the path the build recorded, else NuGet's default root.</summary>
    public static string OnnxPath()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } overridden) return overridden;
        var recorded = typeof(PretrainedWeights).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Clinforge.ResNet18Onnx")?.Value;
        if (!string.IsNullOrEmpty(recorded) && Path.IsPathRooted(recorded) && File.Exists(recorded)) return recorded;
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallback = Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        return File.Exists(fallback) || string.IsNullOrEmpty(recorded) ? fallback : recorded;
    }

    /// <summary>The checkpoint cache folder.</summary>
    public static string CacheFolder()
    {
        if (Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } c) return c;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".cache") : xdg, "clinforge");
    }

    /// <summary>
    /// Loads the pretrained weights into <paramref name="backbone"/> (3 channels, or 1 with the stem
    /// summed over colour). Never throws for a missing or corrupt file: the result says what happened
    /// and the backbone keeps its random initialisation.
    /// </summary>
    public static PretrainedInit TryLoad(ResNet18Backbone backbone, string? onnxPath = null)
    {
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (checkpoint, sha, converted) = EnsureCheckpoint(onnxPath ?? OnnxPath());
            double conversion = converted ? clock.Elapsed.TotalSeconds : 0;
            using var rgb = new ResNet18Backbone(3);
            rgb.load(checkpoint);
            CopyInto(rgb, backbone);
            return new PretrainedInit(true, $"pretrained ResNet-18 ([2, 2, 2, 3]) from {Package}, ONNX SHA-256 {sha[..12]}…{(backbone.InChannels == 1 ? "; grey input: stem summed over colour" : "")}{(converted ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; converted from ONNX on first use in {conversion:F1}s") : "")}", sha, conversion);
        }
        catch (ClinforgeException e)
        {
            return new PretrainedInit(false, $"trained from scratch: {e.Message}");
        }
    }

    /// <summary>
    /// The converted checkpoint for the ONNX file at <paramref name="onnxPath"/>, converting on first use.
    /// Throws <see cref="ClinforgeException"/> naming the file when it is missing or not the expected model.
    /// <c>Converted</c> says whether this call wrote the checkpoint.
    /// </summary>
    public static (string Checkpoint, string OnnxSha256, bool Converted) EnsureCheckpoint(string onnxPath)
    {
        if (!File.Exists(onnxPath))
            throw new ClinforgeException($"{onnxPath}: the pretrained ResNet-18 weights are missing. They come with the NuGet package {Package}, restored by `dotnet build`; restore it, or point {PathVariable} at ResNet18.onnx.");
        var sha = Sha256(onnxPath);
        if (!string.Equals(sha, KnownSha256, StringComparison.Ordinal))
            throw new ClinforgeException($"{onnxPath}: SHA-256 {sha} is not that of ResNet18.onnx in {Package} ({KnownSha256}); the file is corrupt or a different model. Delete the package folder and restore again.");
        var folder = CacheFolder();
        var checkpoint = Path.Combine(folder, $"resnet18-{sha[..16]}.bin");
        var sidecar = checkpoint + ".sha256";
        lock (s_lock)
        {
            if (File.Exists(checkpoint) && File.Exists(sidecar) && File.ReadAllText(sidecar).Trim() == Sha256(checkpoint))
                return (checkpoint, sha, false);
            try
            {
                Directory.CreateDirectory(folder);
                using var rgb = Convert(onnxPath);
                // Through temporary names and renames: trials running in parallel may convert at once.
                var unique = Guid.NewGuid().ToString("N");
                var temp = $"{checkpoint}.{unique}.tmp";
                rgb.save(temp);
                var tempSidecar = $"{sidecar}.{unique}.tmp";
                File.WriteAllText(tempSidecar, Sha256(temp));
                File.Move(temp, checkpoint, overwrite: true);
                File.Move(tempSidecar, sidecar, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ClinforgeException($"{folder}: cannot write the converted ResNet-18 checkpoint ({e.Message}); set {CacheVariable} to a writable folder.");
            }
            return (checkpoint, sha, true);
        }
    }

    /// <summary>A 3-channel (R, G, B) backbone holding the ONNX file's weights.</summary>
    public static ResNet18Backbone Convert(string onnxPath)
    {
        var tensors = OnnxInitializers.Read(onnxPath);
        var backbone = new ResNet18Backbone(3);
        var state = backbone.state_dict();
        var mapping = Mapping();
        var unset = new HashSet<string>(state.Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)), StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (torchName, onnxName, shape) in mapping)
        {
            if (!tensors.TryGetValue(onnxName, out var t))
                throw new ClinforgeException($"{onnxPath}: initialiser {onnxName} ({torchName}) is missing; the file is not the expected ResNet-18.");
            if (!t.Dims.SequenceEqual(shape))
                throw new ClinforgeException($"{onnxPath}: initialiser {onnxName} has shape [{string.Join(", ", t.Dims)}], expected [{string.Join(", ", shape)}] for {torchName}.");
            if (!state.TryGetValue(torchName, out var target))
                throw new InvalidOperationException($"the backbone has no tensor {torchName}");
            using var source = tensor(t.Data, t.Dims);
            // The file's stem reads B, G, R; Clinforge's loader gives R, G, B: reverse the input channels once here.
            using var ordered = torchName == "conv1.weight" ? source.flip(1) : source.alias();
            target.copy_(ordered);
            unset.Remove(torchName);
        }
        if (unset.Count > 0) throw new InvalidOperationException($"the mapping leaves {string.Join(", ", unset)} unset");
        return backbone;
    }

    /// <summary>The 110 rows of the name table: torchvision name, ONNX initialiser name, shape.</summary>
    public static IReadOnlyList<(string Torch, string Onnx, long[] Shape)> Mapping()
    {
        using var stream = typeof(PretrainedWeights).Assembly.GetManifestResourceStream("Clinforge.Training.resnet18-onnx-to-torchvision.tsv")
            ?? throw new InvalidOperationException("embedded resource resnet18-onnx-to-torchvision.tsv is missing");
        using var reader = new StreamReader(stream);
        var rows = new List<(string, string, long[])>();
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            if (line.Length == 0) continue;
            var cells = line.Split('\t');
            var shape = cells[2].Trim('[', ']').Split(',').Select(d => long.Parse(d.Trim(), CultureInfo.InvariantCulture)).ToArray();
            rows.Add((cells[0], cells[1], shape));
        }
        return rows;
    }

    /// <summary>Copies a 3-channel backbone into <paramref name="target"/>; a 1-channel target gets the stem summed over colour.</summary>
    private static void CopyInto(ResNet18Backbone rgb, ResNet18Backbone target)
    {
        using var noGrad = no_grad();
        var from = rgb.state_dict();
        foreach (var (name, t) in target.state_dict())
        {
            var source = from[name];
            if (name == "conv1.weight" && target.InChannels == 1)
            {
                // A grey image repeated to three channels meets sum_c W_c at every pixel; summing
                // the stem once is the same network at a third of the stem's cost.
                using var summed = source.sum(1, keepdim: true);
                t.copy_(summed);
            }
            else if (name == "bn1.running_mean" && target.InChannels == 1)
            {
                // The grey input has one mean m̄ where the three channels had m_c: the stem's output
                // then differs by δ_o = Σ_c (m̄ − m_c)·ΣW[o,c] (away from the zero-padded border),
                // which the following batch norm absorbs exactly as running_mean − δ.
                var means = MeanRgb255.Select(m => MeanRgb255.Average() - m).ToArray();
                using var offsets = tensor(means).view(1, 3);
                using var spatial = from["conv1.weight"].sum([2L, 3L]);
                using var delta = (spatial * offsets).sum(1);
                using var shifted = source - delta;
                t.copy_(shifted);
            }
            else t.copy_(source);
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return System.Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
