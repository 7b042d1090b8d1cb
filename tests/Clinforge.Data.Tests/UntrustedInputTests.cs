using System.Diagnostics;

namespace Clinforge.Data.Tests;

/// <summary>
/// Inputs that are not what they claim, at the readers: files outside the dataset's folder, links that
/// loop or leave it, images whose header promises more pixels than memory holds or fewer than a model
/// can use, empty files, names that are not UTF-8, and label spaces that are not class indices.
/// </summary>
/// <summary>Runs alone: some cases lower the process-wide image size limit, which other readers' tests would see mid-read.</summary>
[CollectionDefinition(nameof(UntrustedInputTests), DisableParallelization = true)]
public sealed class UntrustedInputCollection;

[Collection(nameof(UntrustedInputTests))]
public sealed class UntrustedInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        DataLimits.Reset();
        _dir.Dispose();
    }

    private string ClassFolders(string name, int perClass = 4)
    {
        foreach (var c in new[] { "a", "b" })
            for (int i = 0; i < perClass; i++) Fixtures.WriteRandom(_dir[$"{name}/{c}/{i}.png"]);
        return _dir[name];
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("..\\outside.png")]
    [InlineData("images/../../outside.png")]
    [InlineData("/etc/passwd")]
    public void Should_RefuseTheRow_When_ACsvNamesAFileOutsideItsFolder(string row)
    {
        // Given an image outside the CSV's folder and a CSV naming it among good rows
        Fixtures.WriteRandom(_dir["outside.png"]);
        for (int i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"data/images/{i}.png"]);
        var csv = Fixtures.WriteText(_dir["data/labels.csv"], $"image,label\nimages/0.png,a\nimages/1.png,b\nimages/2.png,a\nimages/3.png,b\n{row},a\n");

        // When it is opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(csv));

        // Then the row is named with the reason
        Assert.Contains("row 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside the dataset folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ReadARowOutside_When_ItsFolderIsAllowed()
    {
        // Given a CSV naming an image in another folder, which the user allowed
        Fixtures.WriteRandom(_dir["elsewhere/x.png"]);
        for (int i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"data/images/{i}.png"]);
        var csv = Fixtures.WriteText(_dir["data/labels.csv"], $"image,label\nimages/0.png,a\nimages/1.png,b\nimages/2.png,a\nimages/3.png,b\n{_dir["elsewhere/x.png"]},a\n");
        DataLimits.AllowRoots([_dir["elsewhere"]]);

        // When it is opened, then all five images are read
        Assert.Equal(5, DatasetReader.Open(csv).Items.Count);
    }

    [Fact]
    public void Should_ReadFilesNamedThroughALinkedRoot_When_TheRootWasAllowedThroughTheSameLink()
    {
        // Given a CSV naming an image as /…/link/x.png, where link -> elsewhere, and --allow-root /…/link
        Fixtures.WriteRandom(_dir["elsewhere2/x.png"]);
        Directory.CreateSymbolicLink(_dir["link"], _dir["elsewhere2"]);
        for (int i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"data2/images/{i}.png"]);
        var csv = Fixtures.WriteText(_dir["data2/labels.csv"], $"image,label\nimages/0.png,a\nimages/1.png,b\nimages/2.png,a\nimages/3.png,b\n{Path.Combine(_dir["link"], "x.png")},a\n");
        DataLimits.AllowRoots([_dir["link"]]);

        // When it is opened, then all five images are read (the path as written and as resolved are both inside)
        Assert.Equal(5, DatasetReader.Open(csv).Items.Count);
    }

    [Fact]
    public void Should_RefuseALoop_When_AClassFolderLinksToItsParent()
    {
        // Given benign/loop -> .. (the loop that once made 24 images into 972)
        var root = ClassFolders("loop");
        Directory.CreateSymbolicLink(Path.Combine(root, "a", "loop"), "..");

        // When it is opened, then the loop is refused by name
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(root));
        Assert.Contains("loop", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root, "a", "loop"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_FollowALink_When_ItStaysInsideAndReachesANewFolder()
    {
        // Given a class folder that is a link to a folder elsewhere inside the root
        var root = ClassFolders("inside");
        for (int i = 0; i < 3; i++) Fixtures.WriteRandom(_dir[$"inside/.store/c/{i}.png"]);
        Directory.CreateSymbolicLink(Path.Combine(root, "c"), Path.Combine(root, ".store", "c"));

        // When it is opened, then its images are read as that class
        var ds = DatasetReader.Open(root);
        Assert.Equal(["a", "b", "c"], ds.Classes);
        Assert.Equal(3, ds.Items.Count(i => i.Label == 2));
    }

    [Fact]
    public void Should_LeaveTheFileOutAndSaySo_When_AnImageIsEmpty()
    {
        // Given a dataset with one zero-byte image
        var root = ClassFolders("zero");
        File.WriteAllBytes(Path.Combine(root, "a", "empty.png"), []);

        // When it is opened, then the file is left out and named as empty, not as an unknown format
        var ds = DatasetReader.Open(root);
        var u = Assert.Single(ds.Unreadable);
        Assert.Equal("the file is empty (0 bytes)", u.Reason);
        Assert.Contains(ds.Notes, n => n.Contains("empty (0 bytes)", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_LeaveTheImageOutAndSaySo_When_ItIsOnePixel()
    {
        // Given a dataset with one 1x1 image
        var root = ClassFolders("dot");
        Fixtures.WriteRandom(Path.Combine(root, "b", "dot.png"), 1, 1, 1);

        // When it is opened, then it is not trained on, and the note says why
        var ds = DatasetReader.Open(root);
        Assert.Contains("1x1", Assert.Single(ds.Unreadable).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_CheckTheSizeBeforeDecoding_When_TheLimitIsLowered()
    {
        // Given a 64x64 image and a limit of 1000 pixels
        var path = Fixtures.WriteRandom(_dir["big.png"], 64, 64, 1);
        DataLimits.SetMaxPixels(1000);

        // When it is decoded, then it is refused naming the size and the option that raises the limit
        var e = Assert.Throws<ClinforgeException>(() => ImageDecoder.Decode(path));
        Assert.Contains("64x64", e.Message, StringComparison.Ordinal);
        Assert.Contains("--max-image-pixels", e.Message, StringComparison.Ordinal);

        // And with the limit raised it is decoded
        DataLimits.SetMaxPixels(64 * 64);
        Assert.Equal(64, ImageDecoder.Decode(path).Width);
    }

    [Fact]
    public void Should_NameTheEncoding_When_AFileNameIsNotUtf8()
    {
        // Given a class folder holding a file whose name is Latin-1 bytes
        var root = ClassFolders("names");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("cp \"$1\" \"$2/$(printf 'caf\\351.png')\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(Path.Combine(root, "a", "0.png"));
        psi.ArgumentList.Add(Path.Combine(root, "a"));
        using (var p = Process.Start(psi)!) p.WaitForExit();

        // When it is opened, then that file is left out with a reason a person can act on
        var ds = DatasetReader.Open(root);
        var u = Assert.Single(ds.Unreadable);
        Assert.Contains("not valid UTF-8", u.Reason, StringComparison.Ordinal);
        Assert.Equal("caf?.png", Path.GetFileName(ImageDecoder.Shown(u.Path)));
    }

    [Theory]
    [InlineData(new[] { 0, 255 }, "256 classes")]
    [InlineData(new[] { 0, 1, 9 }, "10 classes")]
    [InlineData(new[] { 0, 5000 }, "5001 classes")]
    public void Should_RefuseTheLabels_When_TheyAreNotClassIndices(int[] values, string says)
    {
        // Given an npz whose labels leave most of their range empty
        var labels = Enumerable.Range(0, 12).Select(i => values[i % values.Length]).ToArray();
        var npz = Fixtures.WriteNpz(_dir["labels.npz"], new Dictionary<string, byte[]>
        {
            ["train_images"] = Fixtures.Npy("|u1", [12, 16, 16], new byte[12 * 256]),
            ["train_labels"] = Fixtures.Npy("<i8", [12], Fixtures.Int64Labels(labels)),
        });

        // When it is opened, then it says what the values look like instead of making empty classes
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(npz));
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
        Assert.Contains("0..K-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_RefuseTheSplit_When_AClassHasImagesOnlyInTheTestFolder()
    {
        // Given train/ with two classes and test/ with a third
        foreach (var c in new[] { "a", "b" }) for (int i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"split/train/{c}/{i}.png"]);
        foreach (var c in new[] { "a", "b", "c" }) for (int i = 0; i < 2; i++) Fixtures.WriteRandom(_dir[$"split/test/{c}/{i}.png"]);
        var ds = DatasetReader.Open(_dir["split"]);

        // When it is split, then the class without training images is named
        var e = Assert.Throws<ClinforgeException>(() => Splitter.Split(ds, 1));
        Assert.Contains("'c' (2 in test)", e.Message, StringComparison.Ordinal);
    }
}
