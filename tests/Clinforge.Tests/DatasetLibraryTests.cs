using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Intent;

namespace Clinforge.Tests;

public sealed class DatasetLibraryTests
{
    private static LibraryEntry Entry(string name, string card, params string[] classes) =>
        new(name, "/data/" + name, "folder", classes, classes.ToDictionary(c => c, _ => 10), 10 * classes.Length, card, DateTimeOffset.UnixEpoch);

    private static readonly LibraryEntry[] s_library =
    [
        Entry("isic-small", "dermoscopy of skin lesions", "MEL", "NV", "BCC"),
        Entry("peds-cxr", "paediatric chest x-ray", "normal", "pneumonia"),
        Entry("wrist", "wrist radiographs with fracture boxes", "fracture", "normal"),
    ];

    [Theory]
    [InlineData("Help me tell melanoma from naevus; don't miss melanoma", "isic-small")]
    [InlineData("Pneumonia screening on children's chest X-rays", "peds-cxr")]
    [InlineData("Mark suspicious fractures on wrist X-rays", "wrist")]
    public void Should_PickTheDatasetTheRequestIsAbout_When_SeveralAreRegistered(string request, string expected)
    {
        // When the library is searched with the request alone
        var best = DatasetMatcher.Best(request, s_library, out var why);
        // Then the right dataset wins, with reasons naming what matched
        Assert.Equal(expected, best?.Entry.Name);
        Assert.Contains($"'{expected}' fits best", why);
    }

    [Fact]
    public void Should_BeUnsureAndSayWhy_When_NothingOrTwoDatasetsFit()
    {
        Assert.Null(DatasetMatcher.Best("Segment the liver on CT", s_library, out var why1));
        Assert.Contains("shares a class or a word", why1);
        var twins = new[] { Entry("cxr-a", "chest x-ray", "normal", "pneumonia"), Entry("cxr-b", "chest x-ray", "normal", "pneumonia") };
        Assert.Null(DatasetMatcher.Best("find pneumonia on chest x-rays", twins, out var why2));
        Assert.Contains("about equally well", why2);
        Assert.Null(DatasetMatcher.Best("anything", [], out var why3));
        Assert.Contains("no dataset is registered", why3);
    }

    [Fact]
    public void Should_RegisterAndDevelopOnTheMatchingDataset_When_NoDataPathIsGiven()
    {
        // Given a workspace with lesion images and chest images registered (both tiny)
        using var tmp = new TempDir();
        var lesions = SyntheticLesions.Generate(tmp.Combine("lesions"), count: 40, seed: 1, positiveShare: 0.5, size: 16);
        var chest = SyntheticLesions.Generate(tmp.Combine("chest"), count: 20, seed: 2, positiveShare: 0.5, size: 16);
        Directory.Move(Path.Combine(chest, "melanoma_like"), Path.Combine(chest, "pneumonia"));
        Directory.Move(Path.Combine(chest, "nevus_like"), Path.Combine(chest, "normal"));
        var ws = tmp.Combine("ws");
        Assert.Equal(0, Repo.RunCli(TimeSpan.FromMinutes(1), "data", "add", lesions, "--name", "lesions", "--card", "dermoscopy", "--workspace", ws).ExitCode);
        Assert.Equal(0, Repo.RunCli(TimeSpan.FromMinutes(1), "data", "add", chest, "--name", "kids-chest", "--workspace", ws).ExitCode);
        var listed = Repo.RunCli(TimeSpan.FromMinutes(1), "data", "list", "--workspace", ws).Stdout;
        Assert.Contains("kids-chest", listed);
        Assert.Equal(["kids-chest", "lesions"], new DatasetLibrary(ws).Entries().Select(e => e.Name));

        // When developing without --data
        var run = tmp.Combine("run");
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(3), "develop", "--request", "Tell melanoma from nevus", "--workspace", ws,
            "--run", run, "--rounds", "0", "--trial-minutes", "0.15", "--non-interactive");

        // Then the lesion data was chosen, the reason was shown, and the run used it
        Assert.True(code == 0, stderr);
        Assert.Contains("'lesions' fits best", stdout);
        Assert.Equal(Path.GetFullPath(lesions), Json.Read<RunSettings>(new RunPaths(run).Settings).Data);
    }

    [Fact]
    public void Should_FailNamingTheFolder_When_RegisteringUnreadableData()
    {
        // Given an empty folder / When registered / Then a clear error, and nothing registered
        using var tmp = new TempDir();
        var empty = Directory.CreateDirectory(tmp.Combine("empty")).FullName;
        var (code, _, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "data", "add", empty, "--name", "x", "--workspace", tmp.Combine("ws"));
        Assert.NotEqual(0, code);
        Assert.Contains(empty, stderr);
        Assert.Empty(new DatasetLibrary(tmp.Combine("ws")).Entries());
        // and a develop without --data on an empty library says what to do
        var (code2, _, stderr2) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", "find pneumonia", "--workspace", tmp.Combine("ws"), "--run", tmp.Combine("run"), "--non-interactive");
        Assert.NotEqual(0, code2);
        Assert.Contains("clinforge data add", stderr2);
        Assert.False(Directory.Exists(tmp.Combine("run")));
    }

    [Fact]
    public void Should_SayWhatTheMasksAre_When_RegisteringImageMaskPairs()
    {
        // Given four images beside their binary masks
        using var tmp = new TempDir();
        for (int i = 0; i < 4; i++)
        {
            BadInput.Png(tmp.Combine("seg", "images", $"{i}.png"), 16, 16);
            BadInput.Mask(tmp.Combine("seg", "masks", $"{i}_mask.png"), 16, 16);
        }

        // When the folder is registered
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "data", "add", tmp.Combine("seg"), "--name", "seg", "--workspace", tmp.Combine("ws"));

        // Then it is registered as pairs with their kind of mask, not as one class called "image"
        Assert.True(code == 0, stderr);
        Assert.Contains("4 image/mask pairs (binary masks; images/ with masks in masks/)", stdout.ReplaceLineEndings(" ").Replace("  ", " "));
        Assert.Equal("segmentation", Assert.Single(new DatasetLibrary(tmp.Combine("ws")).Entries()).Format);
    }
}
