using Clinforge.Core;
using Clinforge.Web;

namespace Clinforge.Cli;

/// <summary>
/// <c>clinforge serve [--port P] [--workspace DIR] [--allow DIR]...</c>: the local web app for
/// clinicians, on 127.0.0.1 only, reachable through the printed link with its access token.
/// </summary>
internal static class ServeCommand
{
    public static int Run(Args a)
    {
        var allowed = a.All("allow").ToList();
        int port = a.Int("port", 0);
        var workspace = DatasetLibrary.ResolveWorkspace(a.Get("workspace"));
        // Where the developer's trials run: passed through to each 'develop' this server starts.
        var executor = ExecutorOptions.PassThrough(a).ToList();
        if (!executor.Contains("--slurm-config") && File.Exists(Path.Combine(workspace, SlurmSettings.FileName)))
            executor.AddRange(["--slurm-config", Path.Combine(workspace, SlurmSettings.FileName)]);
        if (a.Positional.Count > 0) throw new ClinforgeException($"usage: clinforge serve [--port P] [--workspace DIR] [--allow DIR]... {ExecutorOptions.Usage}");
        if (port is < 0 or > 65535) throw new ClinforgeException($"--port {port}: give a port from 1 to 65535 (or 0 for a free one).");
        var cliDll = typeof(ServeCommand).Assembly.Location;
        return Serve(new WebOptions { Workspace = workspace, CliDll = cliDll, Port = port, AllowedRoots = allowed, DevelopArguments = executor }).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(WebOptions options)
    {
        await using var app = await WebApp.StartAsync(options).ConfigureAwait(false);
        Console.WriteLine($"Clinforge is ready. Open this link in your browser (it contains your access token; keep it private):");
        Console.WriteLine(app.Url);
        Console.WriteLine($"Workspace: {options.Workspace}. Press Ctrl+C to stop (running developments are paused; 'Continue' in the page resumes them).");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
