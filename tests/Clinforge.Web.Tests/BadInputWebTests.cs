using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Clinforge.Data;

namespace Clinforge.Web.Tests;

/// <summary>
/// The web app's bad-input suite: bodies of the wrong shape or type, uploads that reach outside the
/// dataset or lie in their headers, and images that cannot be scored. Each gets a JSON answer with a
/// plain message and the right status, never an empty 500 or a stack frame.
/// </summary>
public sealed class BadInputWebTests
{
    private static readonly Dictionary<string, (string Path, string Body, string Says)> s_bodies = new()
    {
        ["request is a number"] = ("/api/projects", """{"request":123,"dataset":"demo"}""", "'request' must be text"),
        ["request is a list"] = ("/api/projects", """{"request":["a"],"dataset":"demo"}""", "'request' must be text"),
        ["request is an object"] = ("/api/projects", """{"request":{"a":1},"dataset":"demo"}""", "'request' must be text"),
        ["request is true"] = ("/api/projects", """{"request":true,"dataset":"demo"}""", "'request' must be text"),
        ["request is null"] = ("/api/projects", """{"request":null,"dataset":"demo"}""", "write what the model should do"),
        ["dataset is a number"] = ("/api/projects", """{"request":"Find melanoma.","dataset":5}""", "'dataset' must be text"),
        ["path is a number"] = ("/api/projects", """{"request":"Find melanoma.","dataset":"path","path":7}""", "'path' must be text"),
        ["name is a list"] = ("/api/projects", """{"request":"Find melanoma.","dataset":"library","name":[1]}""", "'name' must be text"),
        ["body is a list"] = ("/api/projects", "[1]", "one JSON object"),
        ["body is a number"] = ("/api/projects", "42", "one JSON object"),
        ["body is a string"] = ("/api/projects", "\"hello\"", "one JSON object"),
        ["body is not JSON"] = ("/api/projects", "{request: oops", "not valid JSON"),
        ["body is null"] = ("/api/projects", "null", "one JSON object"),
        ["start body is a list"] = ("/api/runs/{id}/start", "[1]", "one JSON object"),
        ["start body is a number"] = ("/api/runs/{id}/start", "1", "one JSON object"),
        ["start rounds is text"] = ("/api/runs/{id}/start", """{"rounds":"many"}""", "rounds must be"),
        ["start rounds is a list"] = ("/api/runs/{id}/start", """{"rounds":[1]}""", "rounds must be"),
        ["start minutes Infinity"] = ("/api/runs/{id}/start", """{"trial_minutes":"Infinity"}""", "minutes per trial"),
        ["start minutes NaN"] = ("/api/runs/{id}/start", """{"trial_minutes":"NaN"}""", "minutes per trial"),
        ["answers body is a list"] = ("/api/runs/{id}/answers", "[1,2]", "one JSON object"),
    };

    public static TheoryData<string> BodyNames() => [.. s_bodies.Keys];

    [Theory]
    [MemberData(nameof(BodyNames))]
    public async Task Should_Answer400WithAPlainMessage_When_TheBodyHasTheWrongShapeOrType(string name)
    {
        // Given a running app with a draft project
        await using var server = await WebServer.StartAsync(demoCount: 20, demoSize: 16);
        using var created = await server.PostJson("/api/projects", new { request = "Find melanoma.", dataset = "demo" });
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var (path, body, says) = s_bodies[name];

        // When the bad body is posted
        using var response = await PostRaw(server, path.Replace("{id}", id, StringComparison.Ordinal), body);

        // Then it is a 4xx with a JSON message naming the problem, and nothing of the server's code
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{name}: {response.StatusCode} {text}");
        Assert.Contains(says, await WebServer.Error(response), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        // and a body of the wrong shape never starts development with defaults
        Assert.False(File.Exists(Path.Combine(server.Workspace, "runs", id, "task_spec.json")) || File.Exists(Path.Combine(server.Workspace, "runs", id, "web", "plan.json")), $"{name}: development started");
    }

    [Fact]
    public async Task Should_RefuseAndTellNothing_When_AnUploadedCsvNamesFilesOutsideTheZip()
    {
        // Given an image outside the workspace, and zips whose labels.csv names it, a missing file beside it, or a ../ path
        await using var server = await WebServer.StartAsync();
        using var tmp = new TempDir();
        var png = Png(tmp);
        var secret = Path.Combine(server.Outside, "secret.png");
        File.WriteAllBytes(secret, png);
        var errors = new List<string>();
        foreach (var row in new[] { secret, Path.Combine(server.Outside, "absent.png"), "../../../../etc/passwd" })
        {
            // When each is uploaded
            using var response = await server.UploadZip(CsvZip(png, row), "outside");
            // Then it is refused naming the row and the reason
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await WebServer.Error(response);
            Assert.Contains("outside the dataset folder", error, StringComparison.Ordinal);
            Assert.Contains("row 5", error, StringComparison.Ordinal);
            errors.Add(error.Replace(row, "ROW", StringComparison.Ordinal));
        }
        // and an existing file and a missing one get the same words: the refusal tells nothing about what exists
        Assert.Equal(errors[0], errors[1]);
        Assert.Empty(new Clinforge.Core.DatasetLibrary(server.Workspace).Entries());
    }

    [Fact]
    public async Task Should_RefuseTheZip_When_AnEntryHeaderUnderstatesItsSize()
    {
        // Given a zip of a dataset in which one image's header says it is shorter than it is
        await using var server = await WebServer.StartAsync();
        using var tmp = new TempDir();
        var png = Png(tmp);
        var entries = new List<(string, byte[])>();
        for (int i = 0; i < 4; i++) { entries.Add(($"data/a/{i}.png", png)); entries.Add(($"data/b/{i}.png", png)); }
        var zip = Understate(Zip(entries, CompressionLevel.NoCompression), "data/a/0.png", png.Length / 2);

        // When it is uploaded
        using var response = await server.UploadZip(zip, "liar");

        // Then it is refused naming the entry, not silently cut
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await WebServer.Error(response);
        Assert.Contains("data/a/0.png", error, StringComparison.Ordinal);
        Assert.Contains("header", error, StringComparison.Ordinal);
        Assert.Empty(new Clinforge.Core.DatasetLibrary(server.Workspace).Entries());
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("huge")]
    [InlineData("tiny")]
    public async Task Should_AnswerWithAPlainReason_When_AnImageCannotBeScored(string kind)
    {
        // Given a project with a package folder, and an image with a PNG signature that cannot be scored
        await using var server = await WebServer.StartAsync(demoCount: 20, demoSize: 16);
        using var created = await server.PostJson("/api/projects", new { request = "Find melanoma.", dataset = "demo" });
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        Directory.CreateDirectory(Path.Combine(server.Workspace, "runs", id, "package"));
        using var tmp = new TempDir();
        var png = Png(tmp);
        byte[] image = kind switch
        {
            "truncated" => png[..(png.Length / 2)],
            "huge" => HugePng(30000, 30000),
            _ => File.ReadAllBytes(TinyPng(tmp)),
        };

        // When it is tried
        using var response = await server.Upload($"/api/runs/{id}/predict", image, "patient-123.png", "image/png");

        // Then the answer says why in plain words: no stack frame, no server path
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var error = await WebServer.Error(response);
        Assert.Contains(kind switch { "truncated" => "truncated", "huge" => "megapixels", _ => "1x1" }, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Workspace, error, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> PostRaw(WebServer server, string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Clinforge-Csrf", server.Options.CsrfSecret);
        request.Headers.Add("Origin", server.App.Origin);
        return server.Client.SendAsync(request);
    }

    private static byte[] Png(TempDir tmp) =>
        File.ReadAllBytes(Directory.GetFiles(SyntheticLesions.Generate(tmp.Combine("one-" + Guid.NewGuid().ToString("N")), count: 2, seed: 3, positiveShare: 0.5, size: 16), "*.png", SearchOption.AllDirectories)[0]);

    private static string TinyPng(TempDir tmp)
    {
        var path = tmp.Combine("tiny.png");
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(1, 1);
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, path);
        return path;
    }

    /// <summary>A zip of four good rows and one naming <paramref name="row"/>, in data/labels.csv.</summary>
    private static byte[] CsvZip(byte[] png, string row)
    {
        var entries = new List<(string, byte[])>();
        for (int i = 0; i < 4; i++) entries.Add(($"data/images/{i}.png", png));
        entries.Add(("data/labels.csv", Encoding.UTF8.GetBytes($"image,label\nimages/0.png,a\nimages/1.png,b\nimages/2.png,a\nimages/3.png,b\n{row},a\n")));
        return Zip(entries, CompressionLevel.Fastest);
    }

    private static byte[] Zip(IEnumerable<(string Name, byte[] Bytes)> entries, CompressionLevel level)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var s = zip.CreateEntry(name, level).Open();
                s.Write(bytes);
            }
        return memory.ToArray();
    }

    /// <summary>Rewrites the uncompressed size of one entry, in its local header and the central directory (APPNOTE 4.3.7, 4.3.12).</summary>
    private static byte[] Understate(byte[] zip, string name, int size)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        for (int i = 0; i + 46 < zip.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (sig == 0x04034b50 && zip.AsSpan(i + 30, nameBytes.Length).SequenceEqual(nameBytes))
                BinaryPrimitives.WriteInt32LittleEndian(zip.AsSpan(i + 22), size);
            if (sig == 0x02014b50 && zip.AsSpan(i + 46, nameBytes.Length).SequenceEqual(nameBytes))
                BinaryPrimitives.WriteInt32LittleEndian(zip.AsSpan(i + 24), size);
        }
        return zip;
    }

    /// <summary>A PNG of a few bytes whose header declares <paramref name="width"/> × <paramref name="height"/>.</summary>
    private static byte[] HugePng(int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        uint c = 0xFFFFFFFF;
        foreach (var b in head[4..].Concat(data))
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, c ^ 0xFFFFFFFF);
        s.Write(crc);
    }
}
