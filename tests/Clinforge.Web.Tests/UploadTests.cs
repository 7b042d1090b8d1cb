using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Clinforge.Data;

namespace Clinforge.Web.Tests;

/// <summary>A zip of images uploaded as a dataset: registered when sound, refused with a reason (and nothing left behind) when not.</summary>
public sealed class UploadTests
{
    /// <summary>A zip built in memory from (entry name, bytes) pairs.</summary>
    private static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                s.Write(bytes);
            }
        return memory.ToArray();
    }

    /// <summary>Bytes that do not compress (seeded).</summary>
    private static byte[] Noise(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Png(string folder) => File.ReadAllBytes(Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories)[0]);

    private static void AssertNothingLeft(WebServer server)
    {
        var uploads = ZipDatasetImport.UploadsDir(server.Workspace);
        if (Directory.Exists(uploads)) Assert.Empty(Directory.GetDirectories(uploads));
        Assert.Empty(new Clinforge.Core.DatasetLibrary(server.Workspace).Entries());
    }

    [Fact]
    public async Task Should_RegisterTheDatasetAndStartAProjectOnIt_When_AZipOfClassFoldersIsUploaded()
    {
        // Given a zip of one folder holding a class-per-folder dataset (how a clinician zips a folder)
        await using var server = await WebServer.StartAsync();
        using var tmp = new TempDir();
        var lesions = SyntheticLesions.Generate(tmp.Combine("lesions"), count: 40, seed: 2, positiveShare: 0.5, size: 16);
        var zipPath = tmp.Combine("lesions.zip");
        ZipFile.CreateFromDirectory(lesions, zipPath, CompressionLevel.Fastest, includeBaseDirectory: true);

        // When it is uploaded under a name
        using var response = await server.UploadZip(File.ReadAllBytes(zipPath), "clinic-lesions");

        // Then it is registered with its classes and counts, extracted under the workspace, and listed for new projects
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entry = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["dataset"]!;
        Assert.Equal(40, entry["images"]!.GetValue<int>());
        Assert.Equal(2, entry["classes"]!.AsArray().Count);
        var path = entry["path"]!.GetValue<string>();
        Assert.StartsWith(ZipDatasetImport.UploadsDir(server.Workspace), path, StringComparison.Ordinal);
        Assert.Equal(40, Directory.GetFiles(path, "*.png", SearchOption.AllDirectories).Length);
        Assert.DoesNotContain(Directory.GetDirectories(ZipDatasetImport.UploadsDir(server.Workspace)), d => Path.GetFileName(d).StartsWith('.'));
        var listed = JsonNode.Parse(await server.Client.GetStringAsync("/api/datasets"))!["library"]!.AsArray();
        Assert.Contains(listed, e => e!["name"]!.GetValue<string>() == "clinic-lesions");
        // and a project can be made on it like on any registered dataset
        using var project = await server.PostJson("/api/projects", new { request = "Find melanoma.", dataset = "library", name = "clinic-lesions" });
        Assert.Equal(HttpStatusCode.OK, project.StatusCode);
        // and the server log names neither the zip nor its files
        Assert.DoesNotContain(server.Log(), l => l.Contains("patient-scans", StringComparison.Ordinal) || l.Contains("lesion_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_RefuseWithTheReasonAndLeaveNothing_When_TheZipIsUnsafeOrNotADataset()
    {
        // Given a server with small limits, and one real PNG to build zips from
        await using var server = await WebServer.StartAsync(zip: new ZipDatasetLimitsForTests().Limits);
        using var tmp = new TempDir();
        var png = Png(SyntheticLesions.Generate(tmp.Combine("one"), count: 4, seed: 3, positiveShare: 0.5, size: 16));
        var cases = new (string Why, byte[] Body, HttpStatusCode Status, string Message)[]
        {
            ("zip-slip", Zip(("data/a/x.png", png), ("../../evil.png", png)), HttpStatusCode.BadRequest, "points outside"),
            ("absolute path", Zip(("/etc/cron.d/x.png", png)), HttpStatusCode.BadRequest, "points outside"),
            ("an executable", Zip(("data/a/x.png", png), ("data/run.exe", [0x4D, 0x5A])), HttpStatusCode.BadRequest, "only images"),
            ("a zip bomb", Zip(("data/labels.csv", new byte[400_000].Select(_ => (byte)'a').ToArray())), HttpStatusCode.BadRequest, "zip bomb"),
            ("an image that is not one", Zip(("data/a/x.png", "hello"u8.ToArray())), HttpStatusCode.BadRequest, "not one"),
            ("no images", Zip(("data/readme.txt", "nothing here"u8.ToArray())), HttpStatusCode.BadRequest, "no images"),
            ("no class structure", Zip(("x.png", png)), HttpStatusCode.BadRequest, "not a dataset"),
            ("too many entries", Zip(Enumerable.Range(0, 30).Select(i => ($"data/a/{i}.png", png)).ToArray()), HttpStatusCode.BadRequest, "entries"),
            ("too large", Zip(Enumerable.Range(0, 12).Select(i => ($"data/a/{i}.png", Noise(20_000, i))).ToArray()), HttpStatusCode.RequestEntityTooLarge, "larger than"),
            ("not a zip", "just text"u8.ToArray(), HttpStatusCode.UnsupportedMediaType, "not a zip"),
        };

        foreach (var (why, body, status, message) in cases)
        {
            // When it is uploaded
            using var response = await server.UploadZip(body, "bad-upload");
            // Then it is refused with a reason naming the problem
            Assert.True(status == response.StatusCode, $"{why}: expected {status}, got {response.StatusCode}: {await WebServer.Error(response)}");
            Assert.Contains(message, await WebServer.Error(response), StringComparison.Ordinal);
            // and nothing half-extracted is left, nothing registered, nothing written outside
            AssertNothingLeft(server);
        }
        Assert.False(File.Exists(Path.Combine(server.Workspace, "datasets", "evil.png")));
        Assert.False(File.Exists(Path.Combine(server.Workspace, "evil.png")));
    }

    [Fact]
    public async Task Should_Answer401And403_When_AnUploadLacksTheTokenOrTheCsrfHeader()
    {
        // Given a running server and a valid zip
        await using var server = await WebServer.StartAsync();
        var zip = Zip(("data/a/x.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]));
        using var stranger = new HttpClient { BaseAddress = new Uri(server.App.Origin) };

        // When it is posted without the token, and with the token but without the CSRF header
        using var noToken = await stranger.PostAsync("/api/datasets/upload", new ByteArrayContent(zip));
        using var noCsrf = await server.UploadZip(zip, "x", csrf: false);

        // Then both are refused before anything is read
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);
        AssertNothingLeft(server);
    }

    /// <summary>Limits small enough to hit with tiny zips: 40 KB zip, 20 entries, ratio 50.</summary>
    private sealed class ZipDatasetLimitsForTests
    {
        public ZipLimits Limits { get; } = new(MaxZipBytes: 40 * 1024, MaxExtractedBytes: 1024 * 1024, MaxEntries: 20, MaxCompressionRatio: 50);
    }
}
