using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>How to start the <c>clinforge</c> program in a child process.</summary>
public sealed record TrialLauncher(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>
    /// The launcher for the clinforge assembly at <paramref name="cliDll"/>: run through the same
    /// dotnet host as this process (works for <c>dotnet run</c>, tests and installed tools).
    /// </summary>
    public static TrialLauncher ForAssembly(string cliDll)
    {
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new TrialLauncher(host, [cliDll]);
    }
}
