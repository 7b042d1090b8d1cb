using System.Reflection;
using System.Runtime.InteropServices;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Finds and loads GDCM's C# bindings (Debian's <c>libgdcm-cil</c>: gdcm-sharp.dll and its native glue
/// libgdcmsharpglue.so) at run time.
/// </summary>
/// <remarks>
/// Why run-time loading rather than a compile-time reference: the bindings are a system package, not a
/// NuGet one, so a <c>HintPath</c> reference would make the build fail (or, made conditional, silently
/// build a binary that can never read DICOM) on any machine without the package. Loading the assembly
/// by path with <see cref="Assembly.LoadFrom(string)"/> keeps one build that works everywhere: without
/// GDCM, DICOM files are refused with the one command that installs it; with it, they are read. The
/// glue library's <c>DllImport("gdcmsharpglue")</c> is resolved to the file beside the assembly
/// (<see cref="NativeLibrary.SetDllImportResolver"/>), since that folder is not on the loader's path.
/// The API is reached through <c>dynamic</c> (the DLR binds each call once per call site), which keeps
/// the code readable; the calls used are those of GDCM 3.0's ImageReader, StringFilter and Tag.
/// </remarks>
internal static class GdcmRuntime
{
    /// <summary>The one command that makes DICOM readable on Debian and Ubuntu.</summary>
    public const string InstallCommand = "sudo apt-get install libgdcm-cil";

    /// <summary>Overrides the folder holding gdcm-sharp.dll and libgdcmsharpglue.so.</summary>
    public const string DirectoryVariable = "CLINFORGE_GDCM_DIR";

    private const string DefaultDirectory = "/usr/lib/cli/gdcm-sharp-3.0";
    private static readonly Lazy<(Assembly? Assembly, string? Problem)> s_loaded = new(
        () => Load(Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } custom ? custom : DefaultDirectory),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when the bindings are installed and load.</summary>
    public static bool Available => s_loaded.Value.Assembly is not null;

    /// <summary>Why DICOM cannot be read here, with the fix; null when it can.</summary>
    public static string? Problem => s_loaded.Value.Problem;

    /// <summary>The loaded gdcm-sharp assembly; throws a <see cref="ClinforgeException"/> naming <paramref name="path"/> when absent.</summary>
    public static Assembly Require(string path) =>
        s_loaded.Value.Assembly ?? throw new ClinforgeException($"{path}: cannot read DICOM on this machine ({s_loaded.Value.Problem}).");

    /// <summary>A new instance of a GDCM type, e.g. <c>gdcm.ImageReader</c>.</summary>
    public static dynamic New(string path, string typeName, params object[] args)
    {
        var type = Require(path).GetType(typeName, throwOnError: true)!;
        return Activator.CreateInstance(type, args)!;
    }

    /// <summary>Loads the bindings from <paramref name="dir"/>: the assembly, or why not with the command that fixes it.</summary>
    internal static (Assembly? Assembly, string? Problem) Load(string dir)
    {
        var managed = Path.Combine(dir, "gdcm-sharp.dll");
        var native = Path.Combine(dir, "libgdcmsharpglue.so");
        if (!File.Exists(managed) || !File.Exists(native))
        {
            return (null, $"DICOM is read with GDCM's C# bindings, which are not installed ({managed} is missing). Install them with: {InstallCommand}");
        }
        try
        {
            var assembly = Assembly.LoadFrom(managed);
            NativeLibrary.SetDllImportResolver(assembly, (name, _, _) =>
                name.Contains("gdcmsharpglue", StringComparison.Ordinal) ? NativeLibrary.Load(native) : IntPtr.Zero);
            // GDCM prints warnings (e.g. a forced modality LUT) straight to stderr; Clinforge reports what matters itself.
            var trace = assembly.GetType("gdcm.Trace", throwOnError: true)!;
            trace.GetMethod("WarningOff")!.Invoke(null, null);
            trace.GetMethod("DebugOff")!.Invoke(null, null);
            trace.GetMethod("ErrorOff")!.Invoke(null, null);
            return (assembly, null);
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or FileLoadException or DllNotFoundException or TargetInvocationException or TypeLoadException or EntryPointNotFoundException)
        {
            var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
            return (null, $"GDCM's C# bindings in {dir} do not load ({inner.Message.Split('\n')[0]}). Reinstall them with: {InstallCommand} --reinstall");
        }
    }
}
