using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Clinforge.Core;
using static TorchSharp.torch;

namespace Clinforge.Training;

/// <summary>One convolution shape as checked: float32 input gradient against the float64 reference.</summary>
public sealed record ConvShapeResult(int InChannels, int OutChannels, int Kernel, string Path, double RelativeError);

/// <summary>
/// How convolutions run on this machine and why, as decided by <see cref="ConvolutionCheck"/>:
/// <c>onednn</c> (libtorch's default kernels, found correct), <c>padded</c> (narrow stride-1
/// convolutions padded to <see cref="PadMultiple"/> output channels, see <see cref="SafeConv2d"/>) or
/// <c>onednn-off</c> (oneDNN switched off for the process: libtorch's own kernels, slower).
/// </summary>
public sealed record ConvolutionPath(string Name, int PadMultiple, string Reason, IReadOnlyList<ConvShapeResult> Failures,
    int ShapesChecked, string Machine, string Library, int Threads, DateTime CheckedUtc, string? CacheFile = null)
{
    /// <summary>One line for trial logs, metrics.json and the report.</summary>
    public string Describe() => $"convolutions: {Name} ({Reason})";
}

/// <summary>
/// A numerical self-check of convolution input gradients, run once per machine (CPU, libtorch version,
/// thread count) and cached. libtorch 2.10's bundled oneDNN computes the backward-data of stride-1
/// convolutions wrongly on some AVX-512 CPUs when the output channels are not a multiple of 16
/// (../shared/notes/torchsharp-on-linux.md): finite but 10–100% off, sometimes NaN, so training is
/// silently wrong. Each shape's float32 gradient is compared with a float64 reference, which libtorch
/// computes with its own kernels (oneDNN has no float64 convolution). Where the default fails, the
/// cheapest path that is correct on every checked shape is chosen: padded filters first, oneDNN off
/// second; a machine where neither is correct is refused rather than trained on.
/// </summary>
public static class ConvolutionCheck
{
    /// <summary>Relative error (max |float32 − float64| / max |float64|) above which a gradient is wrong.</summary>
    public const double Tolerance = 1e-3;

    /// <summary>Output channel multiple the padded path rounds narrow convolutions up to (oneDNN's AVX-512 block).</summary>
    public const int PadTo = 16;

    private static readonly object s_gate = new();
    private static ConvolutionPath? s_current;

    /// <summary>The path of this process, checked (or read from the cache) on first use.</summary>
    public static ConvolutionPath Current
    {
        get
        {
            if (s_current is { } c) return c;
            lock (s_gate) return s_current ??= Decide(get_num_threads());
        }
    }

    /// <summary>Environment variable that forces a path (<c>onednn</c>, <c>padded</c>, <c>onednn-off</c>), for benchmarks and tests.</summary>
    public const string ForceVariable = "CLINFORGE_CONV_PATH";

    /// <summary>Output channel counts of the shape panel: narrow heads (1–4), narrow stems (8, 12) and safe widths.</summary>
    public static readonly int[] PanelOutChannels = [1, 2, 3, 4, 8, 12, 16, 24, 32, 64];

    /// <summary>Kernel sizes of the panel (1×1 and strided convolutions are not affected and not checked).</summary>
    public static readonly int[] PanelKernels = [3, 5, 7];

    private static ConvolutionPath Decide(int threads)
    {
        string machine = MachineDescription();
        string library = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?";
        string? forced = Environment.GetEnvironmentVariable(ForceVariable);
        if (!string.IsNullOrWhiteSpace(forced))
        {
            var path = forced.Trim() switch
            {
                "onednn" => new ConvolutionPath("onednn", 0, $"forced by {ForceVariable}", [], 0, machine, library, threads, DateTime.UtcNow),
                "padded" => new ConvolutionPath("padded", PadTo, $"forced by {ForceVariable}", [], 0, machine, library, threads, DateTime.UtcNow),
                "onednn-off" => new ConvolutionPath("onednn-off", 0, $"forced by {ForceVariable}", [], 0, machine, library, threads, DateTime.UtcNow),
                _ => throw new ClinforgeException($"{ForceVariable}='{forced}': expected onednn, padded or onednn-off."),
            };
            if (path.Name == "onednn-off") SetOneDnn(false);
            return path;
        }

        string? cacheFile = CacheFile(machine, library, threads);
        if (cacheFile is not null && File.Exists(cacheFile))
        {
            try
            {
                var cached = Json.Read<ConvolutionPath>(cacheFile) with { CacheFile = cacheFile };
                if (cached.Name != "onednn-off" || SetOneDnn(false)) return cached;
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or ClinforgeException)
            {
                // A damaged cache is checked again, not trusted.
            }
        }
        var decided = Run(threads, machine, library);
        if (cacheFile is not null)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
                Json.Write(cacheFile, decided);
                decided = decided with { CacheFile = cacheFile };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No writable cache: the check runs again next time (it takes well under a second).
            }
        }
        return decided;
    }

    /// <summary>
    /// Switches this process to a named path regardless of the check (for benchmarks that measure what each
    /// path costs; training uses <see cref="Current"/>). Returns the path now in force.
    /// </summary>
    public static ConvolutionPath Use(string name)
    {
        var basis = Current;
        lock (s_gate)
        {
            if (!SetOneDnn(name != "onednn-off") && name == "onednn-off")
                throw new ClinforgeException("oneDNN cannot be switched off in this libtorch build.");
            s_current = name switch
            {
                "onednn" => basis with { Name = name, PadMultiple = 0, Reason = "chosen by the caller" },
                "padded" => basis with { Name = name, PadMultiple = PadTo, Reason = "chosen by the caller" },
                "onednn-off" => basis with { Name = name, PadMultiple = 0, Reason = "chosen by the caller" },
                _ => throw new ClinforgeException($"unknown convolution path '{name}': expected onednn, padded or onednn-off."),
            };
            return s_current;
        }
    }

    /// <summary>Runs the check now (no cache) and applies its decision to this process.</summary>
    public static ConvolutionPath Run(int threads, string machine, string library)
    {
        var shapes = Panel().ToList();
        var onednn = shapes.Select(s => Check(s.In, s.Out, s.K, pad: 0, "onednn")).ToList();
        var wrong = onednn.Where(r => !(r.RelativeError <= Tolerance)).ToList();
        if (wrong.Count == 0)
            return new ConvolutionPath("onednn", 0, $"oneDNN's input gradients matched the float64 reference on all {shapes.Count} checked shapes",
                [], shapes.Count, machine, library, threads, DateTime.UtcNow);

        string wrongText = $"oneDNN's input gradient was wrong for {wrong.Count} of {shapes.Count} shapes " +
                           $"(output channels {string.Join("/", wrong.Select(r => r.OutChannels).Distinct().Order())}, " +
                           $"worst relative error {Worst(wrong)})";
        var padded = shapes.Select(s => Check(s.In, s.Out, s.K, pad: PadTo, "padded")).ToList();
        if (padded.All(r => r.RelativeError <= Tolerance))
            return new ConvolutionPath("padded", PadTo, $"{wrongText}; with filters padded to multiples of {PadTo} every shape matched",
                wrong, shapes.Count, machine, library, threads, DateTime.UtcNow);

        if (SetOneDnn(false))
        {
            var off = shapes.Select(s => Check(s.In, s.Out, s.K, pad: 0, "onednn-off")).ToList();
            if (off.All(r => r.RelativeError <= Tolerance))
                return new ConvolutionPath("onednn-off", 0, $"{wrongText}; padding did not fix every shape, oneDNN switched off did",
                    wrong.Concat(padded.Where(r => !(r.RelativeError <= Tolerance))).ToList(), shapes.Count, machine, library, threads, DateTime.UtcNow);
            SetOneDnn(true);
        }
        throw new ClinforgeException(
            $"Convolution gradients are wrong on this machine ({machine}) on every path tried: {wrongText}; padding to {PadTo} channels " +
            "and switching oneDNN off did not give correct gradients either. Training here would be silently wrong, so it is refused. " +
            "Try another machine or a different TorchSharp/libtorch build.", 3);
    }

    /// <summary>The shapes checked: input 3 (an RGB stem) and 16 channels, every panel width and kernel.</summary>
    public static IEnumerable<(int In, int Out, int K)> Panel() =>
        from inCh in new[] { 3, 16 } from k in PanelKernels from outCh in PanelOutChannels select (inCh, outCh, k);

    /// <summary>
    /// The worst relative error, over two random draws, of the float32 input gradient of a stride-1
    /// convolution (batch 3, 12×12, same padding; filters padded to <paramref name="pad"/> output channels
    /// when positive) against float64. NaN or infinity counts as +∞.
    /// </summary>
    public static ConvShapeResult Check(int inCh, int outCh, int k, int pad, string path)
    {
        using var grad = enable_grad();
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)(1000 * inCh + 10 * outCh + k));
        double worst = 0;
        for (int draw = 0; draw < 2; draw++)
        {
            var x = randn([3, inCh, 12, 12], generator: gen);
            var w = randn([outCh, inCh, k, k], generator: gen) / Math.Sqrt(inCh * k * k);
            var gy = randn([3, outCh, 12, 12], generator: gen);

            var xs = x.clone().requires_grad_(true);
            var ws = pad > 0 && outCh % pad != 0 ? cat([w, zeros([pad - outCh % pad, inCh, k, k])], 0) : w;
            var y = nn.functional.conv2d(xs, ws, padding: [k / 2, k / 2]).narrow(1, 0, outCh);
            (y * gy).sum().backward();
            var gx = xs.grad!;

            var xd = x.to(float64).requires_grad_(true);
            var yd = nn.functional.conv2d(xd, w.to(float64), padding: [k / 2, k / 2]);
            (yd * gy.to(float64)).sum().backward();
            var gxd = xd.grad!;

            double diff = (gx.to(float64) - gxd).abs().max().item<double>();
            double scale = gxd.abs().max().item<double>();
            double rel = diff / Math.Max(scale, 1e-12);
            if (double.IsNaN(rel) || double.IsInfinity(rel)) rel = double.PositiveInfinity;
            worst = Math.Max(worst, rel);
        }
        return new ConvShapeResult(inCh, outCh, k, path, worst);
    }

    private static string Worst(IEnumerable<ConvShapeResult> rows)
    {
        double w = rows.Max(r => r.RelativeError);
        return double.IsPositiveInfinity(w) ? "NaN/inf" : w.ToString("P0", CultureInfo.InvariantCulture);
    }

    private static string? CacheFile(string machine, string library, int threads)
    {
        string? root = Environment.GetEnvironmentVariable("CLINFORGE_CACHE_DIR");
        if (string.IsNullOrEmpty(root))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            root = !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "clinforge") : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "clinforge");
        }
        if (root is null) return null;
        string key = $"{machine}|{CpuFlags()}|{library}|{threads}|{Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA")}";
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        return Path.Combine(root, $"conv-check-{hash}.json");
    }

    private static string MachineDescription()
    {
        string model = CpuInfoField("model name") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        return $"{model}, {Environment.ProcessorCount} logical CPUs";
    }

    private static string CpuFlags() => CpuInfoField("flags") ?? "";

    private static string? CpuInfoField(string name)
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line[..colon].Trim() == name) return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>
    /// Switches oneDNN on or off for the whole process through libtorch's <c>at::globalContext().setUserEnabledMkldnn</c>
    /// (TorchSharp exposes no switch; both symbols are exported by libtorch_cpu.so). False when the symbols cannot be found.
    /// </summary>
    public static unsafe bool SetOneDnn(bool enabled)
    {
        _ = get_num_threads(); // makes sure TorchSharp has loaded libtorch
        IntPtr lib = IntPtr.Zero;
        foreach (var candidate in LibraryCandidates())
            if (NativeLibrary.TryLoad(candidate, out lib)) break;
        if (lib == IntPtr.Zero) return false;
        if (!NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var contextFn)
            || !NativeLibrary.TryGetExport(lib, "_ZN2at7Context20setUserEnabledMkldnnEb", out var setFn))
            return false;
        IntPtr context = ((delegate* unmanaged<IntPtr>)contextFn)();
        ((delegate* unmanaged<IntPtr, byte, void>)setFn)(context, enabled ? (byte)1 : (byte)0);
        return true;
    }

    private static IEnumerable<string> LibraryCandidates()
    {
        yield return "libtorch_cpu.so";
        string baseDir = AppContext.BaseDirectory;
        foreach (var sub in new[] { "", "runtimes/linux-x64/native", "cpu" })
            yield return Path.Combine(baseDir, sub, "libtorch_cpu.so");
    }
}
