using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Clinforge.Web.Tests;

/// <summary>A temporary folder deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("clinforge-web-test-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// The real app on a free port of 127.0.0.1, over a temporary workspace, with an HTTP client that
/// already holds the token cookie (the way a browser does after opening the printed link).
/// </summary>
public sealed class WebServer : IAsyncDisposable
{
    private readonly CookieContainer _cookies = new();

    private WebServer(WebApp app, WebOptions options)
    {
        App = app;
        Options = options;
        Client = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(app.Origin) };
    }

    public WebApp App { get; }

    public WebOptions Options { get; }

    public HttpClient Client { get; }

    /// <summary>What the server logged, one line per request.</summary>
    public List<string> LogLines { get; } = [];

    public string Workspace => Options.Workspace;

    /// <summary>A folder outside the workspace that the server was told to allow (--allow).</summary>
    public string AllowedRoot { get; private set; } = "";

    /// <summary>A folder that is neither the workspace nor allowed.</summary>
    public string Outside { get; private set; } = "";

    public static async Task<WebServer> StartAsync(int demoCount = 80, int demoSize = 32, ZipLimits? zip = null)
    {
        var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("workspace"));
        Directory.CreateDirectory(dir.Combine("allowed"));
        Directory.CreateDirectory(dir.Combine("outside"));
        var lines = new List<string>();
        var options = new WebOptions
        {
            Workspace = dir.Combine("workspace"),
            CliDll = System.IO.Path.Combine(AppContext.BaseDirectory, "clinforge.dll"),
            AllowedRoots = [dir.Combine("allowed")],
            DemoCount = demoCount,
            DemoSize = demoSize,
            Log = l => { lock (lines) lines.Add(l); },
            Zip = zip ?? new ZipLimits(),
        };
        var app = await WebApp.StartAsync(options);
        var server = new WebServer(app, options with { Workspace = System.IO.Path.GetFullPath(options.Workspace) })
        {
            AllowedRoot = dir.Combine("allowed"),
            Outside = dir.Combine("outside"),
        };
        server._dirs.Add(dir);
        server._lines = lines;
        // Open the printed link once: the token becomes an HttpOnly cookie.
        using var first = await server.Client.GetAsync("/?token=" + options.Token);
        return server;
    }

    private readonly List<TempDir> _dirs = [];
    private List<string> _lines = [];

    /// <summary>A snapshot of the server's log.</summary>
    public IReadOnlyList<string> Log() { lock (_lines) return [.. _lines]; }

    /// <summary>A POST as the page sends it: CSRF header and the app's own Origin.</summary>
    public Task<HttpResponseMessage> PostJson(string path, object body, bool csrf = true, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (csrf) request.Headers.Add("X-Clinforge-Csrf", Options.CsrfSecret);
        request.Headers.Add("Origin", origin ?? App.Origin);
        return Client.SendAsync(request);
    }

    /// <summary>A multipart upload of <paramref name="bytes"/> as the page's "try the model" form sends it.</summary>
    public Task<HttpResponseMessage> Upload(string path, byte[] bytes, string fileName, string contentType)
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Add(file, "image", fileName);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        // As careful clients do: the server may refuse on the headers alone (413) before the body is sent.
        request.Headers.ExpectContinue = true;
        request.Headers.Add("X-Clinforge-Csrf", Options.CsrfSecret);
        request.Headers.Add("Origin", App.Origin);
        return Client.SendAsync(request);
    }

    /// <summary>A multipart upload of a zip and its dataset name, as the new-project form sends it.</summary>
    public Task<HttpResponseMessage> UploadZip(byte[] zip, string name, string fileName = "patient-scans.zip", bool csrf = true)
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(file, "archive", fileName);
        content.Add(new StringContent(name), "name");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/datasets/upload") { Content = content };
        if (csrf) request.Headers.Add("X-Clinforge-Csrf", Options.CsrfSecret);
        request.Headers.Add("Origin", App.Origin);
        return Client.SendAsync(request);
    }

    public static async Task<string> Error(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())?["error"]?.GetValue<string>() ?? "";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        foreach (var d in _dirs) d.Dispose();
    }
}
