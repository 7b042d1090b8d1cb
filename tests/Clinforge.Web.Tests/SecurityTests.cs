using System.Net;

namespace Clinforge.Web.Tests;

/// <summary>The app's guards, tested over real HTTP against the app on a free port.</summary>
public sealed class SecurityTests
{
    [Fact]
    public async Task Should_Answer401_When_TheTokenIsMissingOrWrong()
    {
        // Given a running server and a client without its cookie
        await using var server = await WebServer.StartAsync();
        using var stranger = new HttpClient { BaseAddress = new Uri(server.App.Origin) };

        // When pages and API calls are requested without a token, or with a wrong one
        using var page = await stranger.GetAsync("/");
        using var api = await stranger.GetAsync("/api/runs");
        using var wrong = await stranger.GetAsync("/?token=not-the-token");

        // Then every one is refused with 401 and a message saying how to get in
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("access token", await WebServer.Error(api), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_SetAnHttpOnlyStrictCookieAndDropTheTokenFromTheAddress_When_TheLinkIsOpened()
    {
        // Given a running server
        await using var server = await WebServer.StartAsync();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(server.App.Origin) };

        // When the printed link is opened
        using var response = await browser.GetAsync("/?token=" + server.Options.Token);

        // Then the token becomes an HttpOnly SameSite=Strict cookie and the page redirects to a clean address
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        // And the cookie then opens the page, which carries the CSRF secret for its POSTs
        using var withCookie = new HttpRequestMessage(HttpMethod.Get, "/");
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var page = await browser.SendAsync(withCookie);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(server.Options.CsrfSecret, await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Answer403_When_APostLacksTheCsrfHeaderOrComesFromAnotherOrigin()
    {
        // Given a client holding the token cookie
        await using var server = await WebServer.StartAsync();

        // When a project is posted without the CSRF header, and with it but from another origin
        using var noHeader = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "demo" }, csrf: false);
        using var otherOrigin = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "demo" }, origin: "http://evil.example");

        // Then both are refused and nothing was created
        Assert.Equal(HttpStatusCode.Forbidden, noHeader.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherOrigin.StatusCode);
        Assert.Contains("X-Clinforge-Csrf", await WebServer.Error(noHeader), StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(server.Workspace, "runs")));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("datasets/../../../etc")]
    public async Task Should_Answer400_When_TheDatasetPathTraverses(string path)
    {
        // Given a running server
        await using var server = await WebServer.StartAsync();

        // When a project names a dataset path with '..'
        using var response = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "path", path });

        // Then it is refused with a message naming the problem
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'..'", await WebServer.Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Answer400_When_TheDatasetPathLiesOutsideTheAllowedRoots()
    {
        // Given a server allowing its workspace and one extra folder
        await using var server = await WebServer.StartAsync();

        // When a project names /etc and a folder that was not allowed
        using var etc = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "path", path = "/etc" });
        using var other = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "path", path = server.Outside });

        // Then both are refused, saying how to allow a folder
        Assert.Equal(HttpStatusCode.BadRequest, etc.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Contains("--allow", await WebServer.Error(other), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Answer400_When_ASymlinkInsideAnAllowedRootPointsOutside()
    {
        // Given a link inside the allowed folder that leads outside it
        await using var server = await WebServer.StartAsync();
        var link = Path.Combine(server.AllowedRoot, "escape");
        Directory.CreateSymbolicLink(link, server.Outside);

        // When a project names the link
        using var response = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "path", path = link });

        // Then the link is followed and the real place refused
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("outside", await WebServer.Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Answer400_When_AReportFileIsAskedForOutsideTheReportFolder()
    {
        // Given a run with a report folder
        await using var server = await WebServer.StartAsync();
        var run = Path.Combine(server.Workspace, "runs", "r1");
        Directory.CreateDirectory(Path.Combine(run, "report"));
        File.WriteAllText(Path.Combine(run, "task_spec.json"), "{}");

        // When a download names a file above the report folder (escaped so the client keeps the dots)
        using var response = await server.Client.GetAsync("/runs/r1/report/..%2Ftask_spec.json");

        // Then it is refused
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Should_Answer413_When_TheUploadIsLargerThan20MB()
    {
        // Given a finished run with a model package
        await using var server = await WebServer.StartAsync();
        var id = FakePackagedRun(server);

        // When a 21 MB "image" is uploaded
        var big = new byte[21 * 1024 * 1024];
        big[0] = 0x89; big[1] = 0x50; big[2] = 0x4E; big[3] = 0x47; big[4] = 0x0D; big[5] = 0x0A; big[6] = 0x1A; big[7] = 0x0A;
        using var response = await server.Upload($"/api/runs/{id}/predict", big, "patient-1234.png", "image/png");

        // Then it is refused as too large
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("20 MB", await WebServer.Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_Answer415_When_TheUploadIsNotAPngOrJpeg()
    {
        // Given a finished run with a model package
        await using var server = await WebServer.StartAsync();
        var id = FakePackagedRun(server);

        // When a text file is uploaded under an image name and type
        using var response = await server.Upload($"/api/runs/{id}/predict", "not an image at all"u8.ToArray(), "patient-1234.png", "image/png");

        // Then it is refused by its bytes, whatever its name says
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("PNG and JPEG", await WebServer.Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_LogOnlyMethodRouteAndStatus_When_RequestsNameFilesAndTokens()
    {
        // Given a server that has served an upload with a patient-like file name and a traversal attempt
        await using var server = await WebServer.StartAsync();
        var id = FakePackagedRun(server);
        using var upload = await server.Upload($"/api/runs/{id}/predict", "text"u8.ToArray(), "smith-john-1950.png", "image/png");
        using var path = await server.PostJson("/api/projects", new { request = "find melanoma", dataset = "path", path = "/data/patients/smith-john" });

        // When the log is read
        var log = string.Join("\n", server.Log());

        // Then it holds routes and statuses only: no names, paths, run ids or tokens
        Assert.Contains("POST /api/runs/{id}/predict 415", log, StringComparison.Ordinal);
        Assert.Contains("POST /api/projects 400", log, StringComparison.Ordinal);
        Assert.DoesNotContain("smith", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(id, log, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Options.Token, log, StringComparison.Ordinal);
    }

    private static string FakePackagedRun(WebServer server)
    {
        var id = "20260101-000000-fake";
        Directory.CreateDirectory(Path.Combine(server.Workspace, "runs", id, "package"));
        File.WriteAllText(Path.Combine(server.Workspace, "runs", id, "package", "manifest.json"), "{}");
        return id;
    }
}
