namespace Clinforge.Data.Tests;

public sealed class TensorLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_FillContiguousNchw_When_LoadingItems()
    {
        // given a memory dataset of differently sized grey and RGB images
        var images = new List<RawImage>();
        var items = new List<DataItem>();
        for (var i = 0; i < 9; i++)
        {
            images.Add(Fixtures.RandomImage(10 + i, 12, i % 2 == 0 ? 1 : 3, seed: i));
            items.Add(new DataItem($"m/{i}", i % 3));
        }
        var ds = Dataset.InMemory("memory://t", ["x", "y", "z"], items, images);
        var subset = new[] { items[4], items[0], items[7] };

        // when loaded at 8x8, 3 channels
        var (pixels, labels) = TensorLoader.Load(ds, subset, 8, 3);

        // then each slice equals the single-image conversion, in the given order
        Assert.Equal(3 * 3 * 8 * 8, pixels.Length);
        Assert.Equal(new[] { 1, 0, 1 }, labels);
        for (var k = 0; k < subset.Length; k++)
        {
            var expected = ImageOps.ToTensorChw(ds.Load(subset[k]), 8, 3);
            Assert.Equal(expected, pixels.AsSpan(k * 192, 192).ToArray());
        }
    }

    [Fact]
    public void Should_ThrowClinforgeException_When_FileIsBrokenAtLoad()
    {
        // given a folder dataset whose file breaks after opening
        for (var i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"d/{(i < 2 ? "a" : "b")}/{i}.png"]);
        var ds = DatasetReader.Open(_dir["d"]);
        File.WriteAllBytes(_dir["d/b/3.png"], [1, 2, 3]);

        // when loaded as a tensor
        var e = Assert.Throws<ClinforgeException>(() => TensorLoader.Load(ds, ds.Items, 4, 1));

        // then the error is the decoder's, naming the file (not a wrapped AggregateException)
        Assert.Contains(_dir["d/b/3.png"], e.Message);
    }
}
