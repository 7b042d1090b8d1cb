using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Intent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Clinforge.Web;

/// <summary>
/// The local web app: a minimal API over the workspace's run folders plus the embedded pages.
/// Bound to 127.0.0.1 only. Every request needs the access token (query once, then an HttpOnly
/// cookie); every POST needs the page's CSRF header and the app's own Origin.
/// </summary>
public sealed class WebApp : IAsyncDisposable
{
    private const string CsrfHeader = "X-Clinforge-Csrf";
    private static readonly JsonSerializerOptions _wire = CreateWire();

    private readonly WebApplication _app;
    private readonly WebOptions _options;
    private readonly RunStore _store;
    private readonly DevelopProcesses _processes;
    private readonly PathGuard _guard;
    private readonly string _cookieName;

    private WebApp(WebApplication app, WebOptions options, int port)
    {
        _app = app;
        _options = options;
        Port = port;
        _store = new RunStore(options.Workspace);
        _processes = new DevelopProcesses(options.CliDll);
        _guard = new PathGuard([options.Workspace, .. options.AllowedRoots]);
        // Cookies ignore ports: a name per port keeps two servers on one machine apart.
        _cookieName = "clinforge_token_" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The port the app listens on.</summary>
    public int Port { get; }

    /// <summary>The app's origin, http://127.0.0.1:PORT.</summary>
    public string Origin => $"http://127.0.0.1:{Port}";

    /// <summary>The URL to open, with the access token.</summary>
    public string Url => $"{Origin}/?token={_options.Token}";

    /// <summary>Builds and starts the app; returns once it listens.</summary>
    public static async Task<WebApp> StartAsync(WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var workspace = Path.GetFullPath(options.Workspace);
        Directory.CreateDirectory(Path.Combine(workspace, "runs"));
        options = options with { Workspace = workspace, AllowedRoots = options.AllowedRoots.Select(r => Path.GetFullPath(r)).ToList() };
        foreach (var root in options.AllowedRoots)
            if (!Directory.Exists(root)) throw new ClinforgeException($"--allow {root}: no such folder.");
        int port = options.Port == 0 ? FreePort() : options.Port;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(WebApp).Assembly.GetName().Name });
        // The framework's own logs name full URLs (tokens, image names): only our one line per request is written.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            // The largest body any endpoint takes (a dataset zip); each endpoint checks its own limit too.
            k.Limits.MaxRequestBodySize = Math.Max(options.MaxUploadBytes, options.Zip.MaxZipBytes) + 64 * 1024;
        });
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f => f.MultipartBodyLengthLimit = Math.Max(options.MaxUploadBytes, options.Zip.MaxZipBytes));
        var app = builder.Build();
        var web = new WebApp(app, options, port);
        web.Configure();
        await app.StartAsync().ConfigureAwait(false);
        return web;
    }

    /// <summary>Runs until the host stops (Ctrl+C).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <summary>Stops the app and any developer it started.</summary>
    public async ValueTask DisposeAsync()
    {
        _processes.StopAll();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static JsonSerializerOptions CreateWire()
    {
        var o = new JsonSerializerOptions(Json.Options) { WriteIndented = false, Encoder = JavaScriptEncoder.Default };
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    private void Configure()
    {
        _app.Use(LogRequests);
        _app.Use(Contain);
        _app.Use(Guard);
        _app.MapGet("/", Index);
        _app.MapGet("/assets/{name}", Asset);
        _app.MapGet("/api/runs", ListRuns);
        _app.MapGet("/api/datasets", Datasets);
        _app.MapPost("/api/projects", new Func<HttpContext, Task<IResult>>(CreateProject));
        _app.MapGet("/api/runs/{id}", GetRun);
        _app.MapGet("/api/runs/{id}/events", Events);
        _app.MapPost("/api/runs/{id}/answers", SaveAnswers);
        _app.MapPost("/api/runs/{id}/start", StartDevelopment);
        _app.MapPost("/api/runs/{id}/resume", ResumeDevelopment);
        _app.MapPost("/api/runs/{id}/stop", StopDevelopment);
        _app.MapPost("/api/runs/{id}/pause", PauseDevelopment);
        _app.MapPost("/api/datasets/upload", new Func<HttpContext, Task<IResult>>(UploadDataset));
        _app.MapPost("/api/runs/{id}/why", Why);
        _app.MapPost("/api/runs/{id}/tradeoff", ChooseTradeOff);
        _app.MapPost("/api/runs/{id}/predict", Predict);
        _app.MapGet("/runs/{id}/report/{**file}", ReportFile);
        _app.MapGet("/runs/{id}/package.zip", PackageZip);
    }

    // One line per request: method, route template and status. Never the path itself (run ids name
    // requests) nor query strings (the token) nor file names (patients).
    private async Task LogRequests(HttpContext ctx, RequestDelegate next)
    {
        await next(ctx).ConfigureAwait(false);
        var route = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        _options.Log($"{ctx.Request.Method} {route} {ctx.Response.StatusCode}");
    }

    /// <summary>
    /// The one exception boundary of the app: a request that fails in any way gets a JSON answer with a
    /// plain message (400 for bad input, 500 otherwise) and never a stack frame, which would show the
    /// browser file paths and code.
    /// </summary>
    private async Task Contain(HttpContext ctx, RequestDelegate next)
    {
        try
        {
            await next(ctx).ConfigureAwait(false);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && e is not OperationCanceledException)
        {
            ctx.Response.Clear();
            if (e is ClinforgeException or BadHttpRequestException) await Problem(ctx, 400, e.Message).ConfigureAwait(false);
            else
            {
                _options.Log($"{ctx.Request.Method} {(ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)"} failed: {e.GetType().Name}");
                await Problem(ctx, 500, "something went wrong on the server while handling this request; nothing was changed that the page does not show. Try again, and if it happens again, restart 'clinforge serve'.").ConfigureAwait(false);
            }
        }
    }

    private async Task Guard(HttpContext ctx, RequestDelegate next)
    {
        var query = ctx.Request.Query["token"];
        bool viaQuery = query.Count == 1 && Secrets.Same(query[0], _options.Token);
        bool viaCookie = ctx.Request.Cookies.TryGetValue(_cookieName, out var cookie) && Secrets.Same(cookie, _options.Token);
        if (!viaQuery && !viaCookie)
        {
            await Problem(ctx, 401, "This page needs the link with its access token that 'clinforge serve' printed. Open that link again.").ConfigureAwait(false);
            return;
        }
        if (viaQuery)
        {
            ctx.Response.Cookies.Append(_cookieName, _options.Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
            // The token leaves the address bar (and the history) at once.
            if (HttpMethods.IsGet(ctx.Request.Method) && ctx.Request.Path == "/")
            {
                ctx.Response.Redirect("/");
                return;
            }
        }
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
        {
            if (!Secrets.Same(ctx.Request.Headers[CsrfHeader].FirstOrDefault(), _options.CsrfSecret))
            {
                await Problem(ctx, 403, $"The request lacks the page's {CsrfHeader} header; reload the page and try again.").ConfigureAwait(false);
                return;
            }
            var origin = ctx.Request.Headers.Origin.FirstOrDefault();
            var referer = ctx.Request.Headers.Referer.FirstOrDefault();
            bool sameOrigin = origin is not null ? origin == Origin : referer is not null && referer.StartsWith(Origin + "/", StringComparison.Ordinal);
            if (!sameOrigin)
            {
                await Problem(ctx, 403, "The request did not come from this app's own page.").ConfigureAwait(false);
                return;
            }
        }
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        ctx.Response.Headers["X-Frame-Options"] = "SAMEORIGIN";
        ctx.Response.Headers["Referrer-Policy"] = "same-origin";
        // Nothing may be fetched from elsewhere: the machine is offline and the data is private.
        ctx.Response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'";
        await next(ctx).ConfigureAwait(false);
    }

    private static Task Problem(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(new { error = message }, _wire));
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, _wire, statusCode: status);

    private static IResult Ok(object value) => Results.Json(value, _wire);

    private IResult Index()
    {
        var html = Resource("index.html").Replace("{{CSRF}}", _options.CsrfSecret, StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private static IResult Asset(string name) => name switch
    {
        "app.js" => Results.Content(Resource(name), "text/javascript; charset=utf-8"),
        "app.css" => Results.Content(Resource(name), "text/css; charset=utf-8"),
        _ => Error(404, "no such asset."),
    };

    private static string Resource(string name)
    {
        using var stream = typeof(WebApp).Assembly.GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"embedded resource wwwroot/{name} missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private IResult ListRuns()
    {
        var runs = _store.Ids().Select(id =>
        {
            var run = _store.Run(id)!;
            var project = RunStore.TryRead<WebProject>(RunStore.ProjectFile(run));
            var request = project?.Request ?? (File.Exists(run.Request) ? File.ReadAllText(run.Request).Trim() : "(request unknown)");
            var trials = RunStore.Trials(run);
            var best = TrialRecord.Best(trials);
            return new { id, request, status = Status(run), rounds = trials.Count, best = best?.Objective, data = project?.DataLabel };
        });
        return Ok(runs.ToList());
    }

    private IResult Datasets()
    {
        var library = new DatasetLibrary(_options.Workspace).Entries();
        return Ok(new { library, allowed_roots = _guard.Roots, max_zip_mb = _options.Zip.MaxZipBytes / (1024 * 1024) });
    }

    /// <summary>
    /// A zip of images becomes a registered dataset (<see cref="ZipDatasetImport"/>): checked entry by
    /// entry, extracted under the workspace, opened with the normal reader, then listed for new projects.
    /// </summary>
    private async Task<IResult> UploadDataset(HttpContext ctx)
    {
        var limit = _options.Zip.MaxZipBytes;
        string TooLarge() => $"the zip is larger than {limit / (1024 * 1024)} MB; register larger data with 'clinforge data add'.";
        if (ctx.Request.ContentLength > limit + 64 * 1024) return Error(413, TooLarge());
        if (!ctx.Request.HasFormContentType) return Error(415, "send the zip as a form upload (multipart/form-data).");
        IFormCollection form;
        try { form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false); }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException) { return Error(413, TooLarge()); }
        var file = form.Files.FirstOrDefault();
        var name = form["name"].FirstOrDefault()?.Trim() ?? "";
        if (file is null || file.Length == 0) return Error(400, "choose a zip file of images to upload.");
        if (file.Length > limit) return Error(413, TooLarge());
        var head = new byte[4];
        await using (var s = file.OpenReadStream())
            head = head[..await s.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ctx.RequestAborted).ConfigureAwait(false)];
        if (!head.AsSpan().StartsWith("PK\u0003\u0004"u8)) return Error(415, "the upload is not a zip file.");
        // The zip gets a neutral temporary name (the clinician's file name may identify a patient) and is deleted afterwards.
        var temp = Path.Combine(_options.Workspace, "tmp", Guid.NewGuid().ToString("N") + ".zip");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        try
        {
            await using (var target = File.Create(temp))
            await using (var source = file.OpenReadStream())
                await source.CopyToAsync(target, ctx.RequestAborted).ConfigureAwait(false);
            var entry = ZipDatasetImport.Import(temp, name, _options.Workspace, _options.Zip, DateTimeOffset.UtcNow);
            return Ok(new { dataset = entry });
        }
        catch (ClinforgeException e)
        {
            return Error(400, e.Message);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task<IResult> CreateProject(HttpContext ctx)
    {
        var body = await ReadBody(ctx).ConfigureAwait(false);
        if (body is null) return Error(400, "send a JSON object with 'request' and 'dataset'.");
        var request = Text(body, "request")?.Trim();
        if (string.IsNullOrEmpty(request)) return Error(400, "write what the model should do in the request box.");
        if (request.Length > 4000) return Error(400, "the request is longer than 4000 characters; keep it to a few sentences.");
        var kind = Text(body, "dataset") ?? "";
        string data, label;
        switch (kind)
        {
            case "demo":
                data = Path.Combine(_options.Workspace, "datasets", $"synthetic-demo-{_options.DemoCount}x{_options.DemoSize}");
                if (!Directory.Exists(data)) SyntheticLesions.Generate(data, _options.DemoCount, 7, 0.3, _options.DemoSize);
                label = "built-in synthetic demo data";
                break;
            case "library":
                var name = Text(body, "name");
                var entry = new DatasetLibrary(_options.Workspace).Entries().FirstOrDefault(e => e.Name == name);
                if (entry is null) return Error(400, $"no registered dataset named '{name}'.");
                var (libraryPath, libraryError) = _guard.Confine(entry.Path, _options.Workspace);
                if (libraryPath is null) return Error(400, $"registered dataset '{name}': {libraryError}");
                (data, label) = (libraryPath, $"registered dataset '{entry.Name}'");
                break;
            case "path":
                var (path, error) = _guard.Confine(Text(body, "path"), _options.Workspace);
                if (path is null) return Error(400, "dataset folder: " + error);
                if (!Directory.Exists(path) && !File.Exists(path)) return Error(400, "dataset folder: no such folder or file.");
                (data, label) = (path, "folder " + Path.GetFileName(path.TrimEnd('/')));
                break;
            default:
                return Error(400, "choose the data: 'demo', 'library' (with 'name') or 'path' (with 'path').");
        }
        try
        {
            var id = _store.Create(request, data, label);
            return Ok(new { id });
        }
        catch (ClinforgeException e)
        {
            return Error(400, e.Message);
        }
    }

    private IResult GetRun(string id)
    {
        var run = _store.Run(id);
        if (run is null || !Directory.Exists(run.Root)) return Error(404, "no such project.");
        return Ok(State(id, run));
    }

    private string Status(RunPaths run)
    {
        if (_processes.IsRunning(run)) return File.Exists(run.PauseRequest) ? "pausing" : "running";
        if (File.Exists(run.ReportHtml)) return "finished";
        if (File.Exists(run.TradeOffOptions) && !File.Exists(run.TradeOff)) return "choose";
        if (File.Exists(run.PauseRequest) && File.Exists(run.TaskSpec)) return "paused";
        if (File.Exists(DevelopProcesses.ExitFile(run)) && File.ReadAllText(DevelopProcesses.ExitFile(run)).Trim() != "0") return File.Exists(run.TaskSpec) ? "stopped" : "failed";
        return File.Exists(run.TaskSpec) ? "stopped" : "draft";
    }

    private object State(string id, RunPaths run)
    {
        var project = RunStore.TryRead<WebProject>(RunStore.ProjectFile(run));
        TaskSpec? spec;
        string? specError = null;
        try { spec = RunStore.Spec(run); }
        catch (ClinforgeException e) { spec = null; specError = e.Message; }
        var trials = RunStore.Trials(run);
        var plan = RunStore.TryRead<JsonObject>(RunStore.PlanFile(run));
        var settings = RunStore.TryRead<RunSettings>(run.Settings);
        return new
        {
            id,
            request = project?.Request ?? (File.Exists(run.Request) ? File.ReadAllText(run.Request).Trim() : ""),
            data = project?.DataLabel,
            status = Status(run),
            started = File.Exists(run.TaskSpec),
            spec,
            spec_error = specError,
            answers = RunStore.Answers(run),
            data_summary = RunStore.TryRead<DataSummary>(RunStore.DataSummaryFile(run)),
            data_card = RunStore.TryRead<DataCard>(run.DataCard),
            rounds_planned = settings?.Rounds ?? (int?)plan?["rounds"],
            rounds = RunStore.Rounds(trials),
            log = RunStore.LogTail(run),
            trade_off = RunStore.TryRead<TradeOffDecision>(run.TradeOff),
            trade_off_options = File.Exists(run.TradeOff) ? null : RunStore.TryRead<List<OperatingOption>>(run.TradeOffOptions),
            report = File.Exists(run.ReportHtml),
            pdf = File.Exists(run.ReportPdf),
            package = File.Exists(run.Package.Manifest) || (Directory.Exists(run.PackageDir) && Directory.EnumerateFiles(run.PackageDir).Any()),
        };
    }

    private async Task Events(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is null || !Directory.Exists(run.Root))
        {
            await Problem(ctx, 404, "no such project.").ConfigureAwait(false);
            return;
        }
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        string last = "";
        var heartbeat = DateTime.UtcNow;
        var aborted = ctx.RequestAborted;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var json = JsonSerializer.Serialize(State(id, run), _wire);
                if (json != last)
                {
                    await ctx.Response.WriteAsync($"event: state\ndata: {json}\n\n", aborted).ConfigureAwait(false);
                    await ctx.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                    last = json;
                    heartbeat = DateTime.UtcNow;
                }
                else if (DateTime.UtcNow - heartbeat > TimeSpan.FromSeconds(15))
                {
                    await ctx.Response.WriteAsync(": still here\n\n", aborted).ConfigureAwait(false);
                    await ctx.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                    heartbeat = DateTime.UtcNow;
                }
                await Task.Delay(1000, aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
    }

    private async Task<IResult> SaveAnswers(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is not null && File.Exists(run.TaskSpec)) return Error(409, "development has started; the spec is fixed for this run. Start a new project to change it.");
        if (run is null || !File.Exists(RunStore.ParsedSpecFile(run))) return Error(404, "no such project.");
        var body = await ReadBody(ctx).ConfigureAwait(false);
        if (body is null) return Error(400, "send a JSON object of field → answer.");
        var answers = RunStore.Answers(run);
        foreach (var (field, node) in body)
        {
            var value = node?.ToString()?.Trim() ?? "";
            if (value.Length == 0) answers.Remove(field);
            else answers[field] = value;
        }
        try
        {
            SpecAnswers.Apply(Json.Read<TaskSpec>(RunStore.ParsedSpecFile(run)), answers, "your answer");
        }
        catch (ClinforgeException e)
        {
            return Error(400, e.Message);
        }
        AtomicFile.WriteAllText(RunStore.AnswersFile(run), JsonSerializer.Serialize(answers, Json.Options));
        return Ok(State(id, run));
    }

    private async Task<IResult> StartDevelopment(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is null) return Error(404, "no such project.");
        var project = RunStore.TryRead<WebProject>(RunStore.ProjectFile(run));
        if (project is null) return Error(404, "no such project.");
        if (_processes.IsRunning(run)) return Error(409, "development is already running.");
        if (File.Exists(run.TaskSpec)) return Error(409, "development has already started; use Continue to resume it.");
        var body = await ReadBody(ctx).ConfigureAwait(false) ?? [];
        var rounds = Number(body["rounds"], 4);
        var minutes = Number(body["trial_minutes"], 1.0);
        if (rounds is < 1 or > 50 || rounds != Math.Floor(rounds)) return Error(400, "rounds must be a whole number from 1 to 50.");
        if (double.IsNaN(minutes) || minutes is < 0.05 or > 120) return Error(400, "minutes per trial must lie between 0.05 and 120.");
        Json.Write(RunStore.PlanFile(run), new { rounds = (int)rounds, trial_minutes = minutes });
        _processes.Start(id, run,
        [
            "develop", "--request", project.Request, "--data", project.Data, "--run", run.Root,
            "--answers", RunStore.AnswersFile(run), "--rounds", ((int)rounds).ToString(CultureInfo.InvariantCulture),
            "--trial-minutes", minutes.ToString(CultureInfo.InvariantCulture),
            // Conflicting floors stop the run before the test look; the clinician chooses here (ChooseTradeOff).
            "--trade-off", "later",
            .. _options.DevelopArguments,
        ]);
        return Ok(State(id, run));
    }

    private IResult ResumeDevelopment(string id)
    {
        var run = _store.Run(id);
        if (run is null || !File.Exists(run.TaskSpec)) return Error(404, "no started development to continue.");
        if (_processes.IsRunning(run)) return Error(409, "development is already running.");
        // Continuing answers a pause: the request file goes before the developer starts, so the page never shows "paused" for a running run.
        File.Delete(run.PauseRequest);
        _processes.Start(id, run, ["resume", run.Root]);
        return Ok(State(id, run));
    }

    /// <summary>
    /// Pause between rounds: the developer finishes the round in progress (kept in the journal),
    /// journals the pause and exits; Continue resumes it. The request is a file in the run folder,
    /// so it survives a page reload and a server restart.
    /// </summary>
    private IResult PauseDevelopment(string id)
    {
        var run = _store.Run(id);
        if (run is null) return Error(404, "no such project.");
        if (!_processes.IsRunning(run)) return Error(409, "development is not running, so there is nothing to pause.");
        AtomicFile.WriteAllText(run.PauseRequest, $"requested {DateTimeOffset.UtcNow:O} from the web app\n");
        return Ok(State(id, run));
    }

    /// <summary>The clinician's operating point when the floors conflicted: development continues with it (resume --trade-off KEY).</summary>
    private async Task<IResult> ChooseTradeOff(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is null || !File.Exists(run.TaskSpec)) return Error(404, "no such project.");
        if (File.Exists(run.TradeOff)) return Error(409, "the operating point was already chosen; it cannot change after the test look.");
        var options = RunStore.TryRead<List<OperatingOption>>(run.TradeOffOptions);
        if (options is null) return Error(409, "there is no operating point to choose for this project.");
        if (_processes.IsRunning(run)) return Error(409, "development is running.");
        var body = await ReadBody(ctx).ConfigureAwait(false) ?? [];
        var key = body["key"]?.ToString();
        if (options.All(o => o.Key != key)) return Error(400, $"choose one of: {string.Join(", ", options.Select(o => o.Key))}.");
        _processes.Start(id, run, ["resume", run.Root, "--trade-off", key!]);
        return Ok(State(id, run));
    }

    private IResult StopDevelopment(string id)
    {
        var run = _store.Run(id);
        if (run is null) return Error(404, "no such project.");
        return _processes.Stop(run) ? Ok(State(id, run)) : Error(409, "development is not running.");
    }

    private async Task<IResult> Why(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is null || !File.Exists(run.TaskSpec)) return Error(404, "development has not started yet, so there is nothing to explain.");
        var body = await ReadBody(ctx).ConfigureAwait(false) ?? [];
        var question = body["question"]?.ToString()?.Trim();
        if (question is { Length: > 1000 }) return Error(400, "the question is longer than 1000 characters.");
        int? round = null;
        if (body["round"] is { } r && r.ToString().Trim().Length > 0)
        {
            if (!int.TryParse(r.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 0) return Error(400, "round must be a round number such as 2.");
            round = n;
        }
        var objective = Objective.From(Json.Read<TaskSpec>(run.TaskSpec));
        var tradeOff = RunStore.TryRead<TradeOffDecision>(run.TradeOff);
        try
        {
            return Ok(new { answer = Explainer.Answer(RunStore.Trials(run), objective, round, string.IsNullOrEmpty(question) ? null : question, tradeOff) });
        }
        catch (ClinforgeException e)
        {
            return Error(400, e.Message);
        }
    }

    private async Task<IResult> Predict(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is null || !Directory.Exists(run.PackageDir)) return Error(404, "this project has no model package yet; wait until development has finished.");
        if (ctx.Request.ContentLength > _options.MaxUploadBytes) return Error(413, $"the image is larger than {_options.MaxUploadBytes / (1024 * 1024)} MB.");
        if (!ctx.Request.HasFormContentType) return Error(415, "send the image as a form upload (multipart/form-data).");
        IFormFile? file;
        try
        {
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            file = form.Files.FirstOrDefault();
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return Error(413, $"the image is larger than {_options.MaxUploadBytes / (1024 * 1024)} MB.");
        }
        if (file is null || file.Length == 0) return Error(400, "choose an image file to upload.");
        if (file.Length > _options.MaxUploadBytes) return Error(413, $"the image is larger than {_options.MaxUploadBytes / (1024 * 1024)} MB.");
        var head = new byte[8];
        await using (var s = file.OpenReadStream())
        {
            int read = await s.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ctx.RequestAborted).ConfigureAwait(false);
            head = head[..read];
        }
        var extension = ImageUpload.Extension(head);
        if (extension is null) return Error(415, "only PNG and JPEG images can be tried; this file is neither.");

        // The upload gets a neutral name in a private temporary folder, deleted afterwards: the
        // clinician's file name (often a patient identifier) is never stored or logged.
        var temp = Path.Combine(_options.Workspace, "tmp", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            var image = Path.Combine(temp, "image" + extension);
            await using (var target = File.Create(image))
            await using (var source = file.OpenReadStream())
                await source.CopyToAsync(target, ctx.RequestAborted).ConfigureAwait(false);
            var (code, output) = await RunCli(["predict", run.PackageDir, image, "--out", temp], TimeSpan.FromMinutes(3), ctx.RequestAborted).ConfigureAwait(false);
            // A detection package marks findings: its boxes and the image with them drawn (what "mark on images" means).
            var detections = Path.Combine(temp, "detections.json");
            if (code == 0 && File.Exists(detections)) return Ok(Findings(temp, detections));
            // A segmentation package outlines structures: the image with them drawn and each label's area.
            var outlines = Path.Combine(temp, "segmentation.csv");
            if (code == 0 && File.Exists(outlines)) return Ok(Outlines(temp, outlines));
            var csv = Path.Combine(temp, "predictions.csv");
            if (code != 0 || !File.Exists(csv)) return Error(422, "the model could not score this image: " + ErrorLine(output, image));
            var lines = File.ReadAllLines(csv);
            var header = lines[0].Split(',');
            var values = lines[1].Split(',');
            var probabilities = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = 1; i < header.Length - 1; i++)
                probabilities[header[i]["p_".Length..]] = double.Parse(values[^(header.Length - i)], CultureInfo.InvariantCulture);
            // Only the rule is shown: the CLI's line also names the run folder, which the page does not need.
            var ruleLine = output.Split('\n').FirstOrDefault(l => l.Contains("decision rule: ", StringComparison.Ordinal));
            var rule = ruleLine is null ? null : "Decision rule: " + ruleLine[(ruleLine.IndexOf("decision rule: ", StringComparison.Ordinal) + "decision rule: ".Length)..].Trim();
            return Ok(new { decision = values[^1], probabilities, rule });
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The boxes of one scored image, with the marked PNG inline (a data URL: nothing is kept on disk).</summary>
    private static object Findings(string folder, string detectionsFile)
    {
        var doc = JsonNode.Parse(File.ReadAllText(detectionsFile))!;
        var image = doc["images"]![0]!;
        var boxes = image["boxes"]!.AsArray().Select(b => new
        {
            score = b!["score"]!.GetValue<double>(),
            // The class name (packages that keep classes apart name each box's class; older packages write none).
            @class = b["class"]?.GetValue<string>(),
            x1 = b["x1"]!.GetValue<double>(), y1 = b["y1"]!.GetValue<double>(), x2 = b["x2"]!.GetValue<double>(), y2 = b["y2"]!.GetValue<double>(),
        }).OrderByDescending(b => b.score).ToList();
        var marked = File.ReadAllBytes(Path.Combine(folder, image["marked"]!.GetValue<string>()));
        return new
        {
            finding = doc["finding"]!.GetValue<string>(),
            threshold = doc["threshold"]!.GetValue<double>(),
            boxes,
            marked = "data:image/png;base64," + Convert.ToBase64String(marked),
        };
    }

    /// <summary>The outlines of one image: each label's area and the overlay PNG inline (a data URL: nothing is kept on disk).</summary>
    private static object Outlines(string folder, string csvFile)
    {
        // Columns: image (quoted, may hold commas), width, height, label, pixels, fraction, mask, overlay, volume_ml
        // (empty for a 2-D image): read from the right.
        var rows = File.ReadAllLines(csvFile).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')[^8..^1]).ToList();
        var labels = rows.Select(r => new
        {
            label = r[2],
            pixels = long.Parse(r[3], CultureInfo.InvariantCulture),
            fraction = double.Parse(r[4], CultureInfo.InvariantCulture),
        }).ToList();
        var overlay = File.ReadAllBytes(Path.Combine(folder, Path.GetFileName(rows[0][6])));
        return new
        {
            labels,
            width = int.Parse(rows[0][0], CultureInfo.InvariantCulture),
            height = int.Parse(rows[0][1], CultureInfo.InvariantCulture),
            outlined = "data:image/png;base64," + Convert.ToBase64String(overlay),
        };
    }

    /// <summary>
    /// The CLI's own message ("error: ..."), with the private temporary file called "the image"; never
    /// a raw line of output, which could be a stack frame or name a server path.
    /// </summary>
    private static string ErrorLine(string output, string image)
    {
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal) || l.StartsWith("  ", StringComparison.Ordinal) && l.Contains(image, StringComparison.Ordinal));
        if (line is null) return "the scorer stopped without saying why.";
        line = line.StartsWith("error: ", StringComparison.Ordinal) ? line["error: ".Length..] : line.Trim();
        return line.Replace(image, "the image", StringComparison.Ordinal).Replace(Path.GetDirectoryName(image)!, "(temporary folder)", StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunCli(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancel)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(_options.CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancel);
        var stderr = p.StandardError.ReadToEndAsync(cancel);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        try { await p.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        return (p.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private IResult ReportFile(string id, string file)
    {
        var run = _store.Run(id);
        if (run is null) return Error(404, "no such project.");
        var reportGuard = new PathGuard([run.ReportDir]);
        // An escaped slash stays escaped in the route value; decoded here so "..%2F" is seen as "../".
        var (path, error) = reportGuard.Confine(Uri.UnescapeDataString(file), run.ReportDir);
        if (path is null) return Error(400, "report file: " + error);
        if (!File.Exists(path)) return Error(404, "no such report file (the report is written when development finishes).");
        var type = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".html" => "text/html; charset=utf-8",
            ".pdf" => "application/pdf",
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".svg" => "image/svg+xml",
            ".md" => "text/markdown; charset=utf-8",
            ".css" => "text/css",
            _ => "application/octet-stream",
        };
        return Results.File(path, type);
    }

    private IResult PackageZip(HttpContext ctx, string id)
    {
        var run = _store.Run(id);
        if (run is null || !Directory.Exists(run.PackageDir)) return Error(404, "this project has no model package yet.");
        var zip = Path.Combine(_options.Workspace, "tmp", Guid.NewGuid().ToString("N") + ".zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zip)!);
        ZipFile.CreateFromDirectory(run.PackageDir, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        var stream = new FileStream(zip, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, FileOptions.DeleteOnClose);
        return Results.File(stream, "application/zip", $"{id}-model-package.zip");
    }

    /// <summary>
    /// The request's JSON object: an empty body is an empty object; anything else that is not one JSON
    /// object (invalid JSON, an array such as <c>[1]</c>, a bare number) is refused, never read as "use the defaults".
    /// </summary>
    private static async Task<JsonObject?> ReadBody(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var text = await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text)) return [];
        JsonNode? node;
        try { node = JsonNode.Parse(text); }
        catch (JsonException) { throw new ClinforgeException("the request body is not valid JSON; send one JSON object, e.g. {\"request\": \"...\"}."); }
        return node as JsonObject ?? throw new ClinforgeException($"the request body must be one JSON object ({{...}}), not {Kind(node)}.");
    }

    /// <summary>A text field of a JSON body: absent or null is null; a number, list or object where text belongs is refused by name.</summary>
    private static string? Text(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var text)) return text;
        throw new ClinforgeException($"'{name}' must be text (a JSON string), not {Kind(node)}.");
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "a list",
        JsonObject => "an object",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true/false",
            JsonValueKind.String => "text",
            _ => "null",
        },
        _ => "something else",
    };

    private static double Number(JsonNode? node, double fallback)
    {
        if (node is null) return fallback;
        var text = node.ToString().Trim();
        return text.Length == 0 ? fallback : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
    }
}
