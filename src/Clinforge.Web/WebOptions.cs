namespace Clinforge.Web;

/// <summary>How <c>clinforge serve</c> was started: where runs live, which folders may be read, and the secrets of this server.</summary>
public sealed record WebOptions
{
    /// <summary>The workspace: runs/ and datasets/ live here.</summary>
    public required string Workspace { get; init; }

    /// <summary>The clinforge.dll that runs develop, resume and predict as child processes.</summary>
    public required string CliDll { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Folders besides the workspace whose images may be used as data (<c>--allow DIR</c>).</summary>
    public IReadOnlyList<string> AllowedRoots { get; init; } = [];

    /// <summary>The access token; random when not given.</summary>
    public string Token { get; init; } = Secrets.New();

    /// <summary>The CSRF secret embedded in the page and required on every POST.</summary>
    public string CsrfSecret { get; init; } = Secrets.New();

    /// <summary>Largest accepted upload, in bytes.</summary>
    public long MaxUploadBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Limits on a zip of images uploaded as a dataset.</summary>
    public ZipLimits Zip { get; init; } = new();

    /// <summary>Extra options for every <c>develop</c> child (where its trials run: <c>--executor slurm</c> and its settings).</summary>
    public IReadOnlyList<string> DevelopArguments { get; init; } = [];

    /// <summary>Images in the built-in synthetic demo data set.</summary>
    public int DemoCount { get; init; } = 240;

    /// <summary>Side in pixels of the demo images.</summary>
    public int DemoSize { get; init; } = 64;

    /// <summary>Where one line per request (method, route, status) goes; never paths or file names.</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;
}

/// <summary>Random secrets for tokens.</summary>
public static class Secrets
{
    /// <summary>A URL-safe random string with 192 bits of entropy.</summary>
    public static string New() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>Constant-time comparison, so the token cannot be guessed byte by byte from timings.</summary>
    public static bool Same(string? a, string b) =>
        a is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));
}
