namespace Clinforge.Data.Tests;

public sealed class ShortcutFixtureTests(ITestOutputHelper output)
{
    /// <summary>A small binary dataset with an official split: 28x28 grey images of mid-grey noise.</summary>
    private static Dataset Source(int trainPerClass = 100, int valPerClass = 20, int testPerClass = 40)
    {
        var items = new List<DataItem>();
        var split = new Dictionary<string, string>(StringComparer.Ordinal);
        var images = new List<RawImage>();
        foreach (var (s, n) in new[] { (SplitNames.Train, trainPerClass), (SplitNames.Val, valPerClass), (SplitNames.Test, testPerClass) })
            for (int i = 0; i < 2 * n; i++)
            {
                var id = $"{s}/{i}";
                items.Add(new DataItem(id, i % 2));
                split[id] = s;
                var px = new byte[28 * 28];
                new Random(images.Count).NextBytes(px);
                for (int k = 0; k < px.Length; k++) px[k] = (byte)(60 + px[k] % 60);
                images.Add(new RawImage(28, 28, 1, px));
            }
        return Dataset.InMemory("memory://shortcut", ["normal", "pneumonia"], items, images, split);
    }

    [Fact]
    public void Should_InjectTheArtifactAtTheStatedRates_When_GeneratingTrainAndVal()
    {
        // given 200 train and 40 val images, half positive
        // when the fixture is injected with the spec's rates
        var f = ShortcutFixture.Inject(Source(), new ShortcutFixtureOptions(Seed: 3));

        // then exactly 60% of positives and 10% of negatives carry the tube in train and val, and only they differ from the source
        foreach (var s in new[] { SplitNames.Train, SplitNames.Val })
        {
            var pos = f.Cases.Where(c => c.Split == s && c.Label == 1).ToList();
            var neg = f.Cases.Where(c => c.Split == s && c.Label == 0).ToList();
            Assert.Equal(Math.Round(0.6 * pos.Count), pos.Count(c => c.Artifact));
            Assert.Equal(Math.Round(0.1 * neg.Count), neg.Count(c => c.Artifact));
        }
        var source = Source();
        for (int i = 0; i < f.Cases.Count; i++)
        {
            bool changed = !source.Load(source.Items[i]).Pixels.SequenceEqual(f.Dataset.Load(f.Dataset.Items[i]).Pixels);
            Assert.Equal(f.Cases[i].Artifact, changed);
        }
        Assert.Contains("INJECTED CONFOUNDER", f.Describe());
        Assert.Contains("60%", f.Describe());
    }

    [Fact]
    public void Should_MakeTheArtifactIndependentOfTheLabel_When_InTheTestSplit()
    {
        // given a source with 40 test images per class
        // when injected with a 35% test rate
        var f = ShortcutFixture.Inject(Source(), new ShortcutFixtureOptions(TestRate: 0.35, Seed: 4));

        // then both classes carry the tube equally often in test, and no test image is annotated
        var test = f.Cases.Where(c => c.Split == SplitNames.Test).ToList();
        Assert.Equal(14, test.Count(c => c.Label == 1 && c.Artifact));
        Assert.Equal(14, test.Count(c => c.Label == 0 && c.Artifact));
        Assert.DoesNotContain(test, c => c.Annotated);
    }

    [Fact]
    public void Should_KeepAnnotationsForTheStatedShare_When_Generating()
    {
        // given 240 train+val images
        // when injected with a 20% annotated share
        var f = ShortcutFixture.Inject(Source(), new ShortcutFixtureOptions(AnnotatedShare: 0.2, Seed: 5));

        // then 48 development images are annotated, and both present and absent tubes are among them
        var annotated = f.Cases.Where(c => c.Annotated).ToList();
        Assert.Equal(48, annotated.Count);
        Assert.Contains(annotated, c => c.Artifact);
        Assert.Contains(annotated, c => !c.Artifact);
    }

    [Fact]
    public void Should_ProduceTheSameImages_When_SeedRepeats()
    {
        // given the same source injected twice with seed 7 and once with seed 8
        var a = ShortcutFixture.Inject(Source(), new ShortcutFixtureOptions(Seed: 7));
        var b = ShortcutFixture.Inject(Source(), new ShortcutFixtureOptions(Seed: 7));
        var c = ShortcutFixture.Inject(Source(), new ShortcutFixtureOptions(Seed: 8));

        // when cases and pixels are compared
        static byte[] All(ShortcutFixture f) => f.Dataset.Items.SelectMany(i => f.Dataset.Load(i).Pixels).ToArray();

        // then the same seed gives identical output and another seed a different one
        Assert.Equal(a.Cases, b.Cases);
        Assert.Equal(All(a), All(b));
        Assert.NotEqual(a.Cases.Select(x => x.Artifact), c.Cases.Select(x => x.Artifact));
    }

    [Fact]
    public void Should_DrawAThinBrightTube_When_ArtifactIsPresent()
    {
        // given a dark 28x28 image
        var dark = new RawImage(28, 28, 1, new byte[28 * 28]);

        // when a tube is drawn with several seeds
        for (int seed = 0; seed < 10; seed++)
        {
            var img = ShortcutFixture.DrawTube(dark, SeededRandom.ForStream(seed, 0));

            // then some pixels are bright but the tube covers a thin part of the image
            int bright = img.Pixels.Count(p => p >= 150);
            Assert.InRange(bright, 10, 28 * 28 / 4);
        }
    }

    [Fact]
    public void Should_WriteACsvWithPartialAnnotations_When_WritingTheFolder()
    {
        // given a small fixture
        var f = ShortcutFixture.Inject(Source(10, 5, 5), new ShortcutFixtureOptions(Seed: 9));
        using var dir = new TempDir();

        // when written as a folder and re-opened as a CSV dataset
        var root = f.WriteFolder(dir["fixture"]);
        var lines = File.ReadAllLines(Path.Combine(root, "labels.csv"));
        var ds = DatasetReader.Open(Path.Combine(root, "labels.csv"));

        // then the confounder column is filled for annotated images only, the truth file is complete, and the README says it is injected
        Assert.Equal(f.Cases.Count + 1, lines.Length);
        Assert.Equal(f.Cases.Count(c => c.Annotated), lines.Skip(1).Count(l => !l.EndsWith(',')));
        Assert.Equal(f.Cases.Count + 1, File.ReadAllLines(Path.Combine(root, "artifact_truth.csv")).Length);
        Assert.Contains("INJECTED CONFOUNDER", File.ReadAllText(Path.Combine(root, "README.txt")));
        Assert.Equal(f.Cases.Count, ds.Items.Count);
    }

    [Fact]
    public void Should_InjectIntoPneumoniaMnist_When_TheSharedFileIsPresent()
    {
        // given the real PneumoniaMNIST file (skipped without ../shared/data)
        var path = Fixtures.SharedFile(output, "medmnist/pneumoniamnist.npz");
        if (path is null) return;

        // when the fixture is injected
        var f = ShortcutFixture.Inject(DatasetReader.Open(path));

        // then train positives carry the tube six times as often as train negatives, and test is balanced
        var train = f.Cases.Where(c => c.Split == SplitNames.Train).ToList();
        double pos = train.Where(c => c.Label == 1).Average(c => c.Artifact ? 1.0 : 0.0);
        double neg = train.Where(c => c.Label == 0).Average(c => c.Artifact ? 1.0 : 0.0);
        Assert.Equal(0.6, pos, 2);
        Assert.Equal(0.1, neg, 2);
        var test = f.Cases.Where(c => c.Split == SplitNames.Test).ToList();
        Assert.Equal(test.Where(c => c.Label == 1).Average(c => c.Artifact ? 1.0 : 0.0), test.Where(c => c.Label == 0).Average(c => c.Artifact ? 1.0 : 0.0), 2);
        output.WriteLine(f.Describe());
    }
}

public sealed class ConfounderMetadataTests
{
    [Fact]
    public void Should_ReadAnnotatedRowsByItemId_When_TheCsvHasAPartlyFilledConfounderColumn()
    {
        // given a fixture written as a CSV dataset, the drain column filled for annotated images only
        var items = new List<DataItem>();
        var split = new Dictionary<string, string>(StringComparer.Ordinal);
        var images = new List<RawImage>();
        foreach (var s in new[] { SplitNames.Train, SplitNames.Val, SplitNames.Test })
            for (int i = 0; i < 20; i++)
            {
                items.Add(new DataItem($"{s}/{i}", i % 2));
                split[$"{s}/{i}"] = s;
                images.Add(new RawImage(28, 28, 1, Enumerable.Repeat((byte)80, 28 * 28).ToArray()));
            }
        var f = ShortcutFixture.Inject(Dataset.InMemory("memory://m", ["normal", "pneumonia"], items, images, split), new ShortcutFixtureOptions(AnnotatedShare: 0.5));
        using var dir = new TempDir();
        var csv = Path.Combine(f.WriteFolder(dir["fx"]), "labels.csv");

        // when the column is read
        var values = ConfounderMetadata.Read(csv, "drain");
        var ds = DatasetReader.Open(csv);

        // then there is one value per annotated image, keyed by the dataset's item ids, equal to the truth
        Assert.Equal(f.Cases.Count(c => c.Annotated), values.Count);
        var ids = ds.Items.Select(i => i.Id).ToHashSet();
        Assert.All(values.Keys, k => Assert.Contains(k, ids));
        Assert.Equal(f.Cases.Count(c => c.Annotated && c.Artifact), values.Values.Count(v => v == 1));
    }

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("yes", 1.0)]
    [InlineData("absent", 0.0)]
    [InlineData("0.25", 0.25)]
    [InlineData("", null)]
    [InlineData("7", null)]
    public void Should_ParseConfounderCells_When_WrittenInCommonForms(string cell, double? expected)
    {
        // given a cell / when parsed / then the value is as expected
        Assert.Equal(expected, ConfounderMetadata.Parse(cell));
    }
}
