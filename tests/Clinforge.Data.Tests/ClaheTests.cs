namespace Clinforge.Data.Tests;

public sealed class ClaheTests
{
    private static RawImage Grey(int w, int h, Func<int, int, int> value)
    {
        var px = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) px[y * w + x] = (byte)value(x, y);
        return new RawImage(w, h, 1, px);
    }

    [Fact]
    public void Should_EqualiseTheHistogram_When_OneTileIsNotClipped()
    {
        // given: a 2×2 grey image with values 0, 50, 50, 200 (one tile; a clip limit too high to clip)
        var img = new RawImage(2, 2, 1, [0, 50, 50, 200]);

        // when: equalised
        var result = Clahe.Apply(img, tiles: 8, clipLimit: 1000);

        // then: each value maps to its cumulative share × 255 (1/4, 3/4, 4/4): plain histogram equalisation
        Assert.Equal(new byte[] { 64, 191, 191, 255 }, result.Pixels);
        Assert.Equal(new byte[] { 0, 50, 50, 200 }, img.Pixels);
    }

    [Fact]
    public void Should_StretchAFaintRamp_When_ContrastIsLow()
    {
        // given: a 64×64 ramp spanning only grey levels 100–115, and a 256×256 faint texture of the same 16 levels
        var ramp = Grey(64, 64, (x, y) => 100 + x / 4);
        var texture = Grey(256, 256, (x, y) => 100 + (x * 7 + y * 13) % 16);

        // when: the ramp is equalised with one tile over the whole image, the texture in 8×8 tiles (the default clip limit)
        var global = Clahe.Apply(ramp, tiles: 1);
        var local = Clahe.Apply(texture);

        // then: both spread wider than the input's 15 levels; with one tile, one mapping keeps the levels' order
        // (across tiles it need not: each tile equalises its own levels, which is the point of local equalisation)
        Assert.True(global.Pixels.Max() - global.Pixels.Min() > 30, $"ramp spread {global.Pixels.Max() - global.Pixels.Min()}");
        Assert.True(local.Pixels.Max() - local.Pixels.Min() > 30, $"texture spread {local.Pixels.Max() - local.Pixels.Min()}");
        for (int x = 1; x < 64; x++) Assert.True(global.Pixels[x] >= global.Pixels[x - 1], $"column {x}");
        Assert.True(global.Pixels[63] > global.Pixels[0]);
    }

    [Fact]
    public void Should_AmplifyLessThanPlainEqualisation_When_TheClipLimitIsLow()
    {
        // given: a faint texture of 16 grey levels
        var img = Grey(256, 256, (x, y) => 100 + (x * 7 + y * 13) % 16);

        // when: equalised with a clip limit of 2 and with no effective limit
        int clipped = Spread(Clahe.Apply(img, 8, 2)), unclipped = Spread(Clahe.Apply(img, 8, 1000));

        // then: the limit holds the stretch back (it is what keeps noise in flat areas from being amplified)
        Assert.True(clipped < unclipped, $"clipped {clipped}, unclipped {unclipped}");
        static int Spread(RawImage r) => r.Pixels.Max() - r.Pixels.Min();
    }

    [Fact]
    public void Should_EqualiseEachChannelAlone_When_TheImageIsColour()
    {
        // given: a colour image whose red channel is a ramp, green constant and blue a checkerboard
        int w = 32, h = 32;
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 3;
                px[o] = (byte)(60 + 3 * x);
                px[o + 1] = 90;
                px[o + 2] = (byte)((x + y) % 2 == 0 ? 30 : 40);
            }
        var colour = new RawImage(w, h, 3, px);

        // when: equalised, and each channel equalised on its own as a grey image
        var result = Clahe.Apply(colour);
        byte[] Plane(RawImage r, int c) => Enumerable.Range(0, w * h).Select(i => r.Pixels[i * 3 + c]).ToArray();

        // then: each channel equals its own equalisation; a constant channel stays constant
        for (int c = 0; c < 3; c++)
            Assert.Equal(Clahe.Apply(new RawImage(w, h, 1, Plane(colour, c))).Pixels, Plane(result, c));
        Assert.Single(Plane(result, 1).Distinct());
    }

    [Fact]
    public void Should_BlendTilesWithoutASeam_When_IlluminationChangesAcrossTheImage()
    {
        // given: faint horizontal stripes on a brightness ramp (neighbours in a row differ by at most one level), so each 64-px tile holds other grey levels than its neighbour
        var img = Grey(512, 256, (x, y) => 40 + x / 4 + (y * 5) % 9);

        // when: equalised in 8×8 tiles, each tile stretching its own levels over most of the range
        var result = Clahe.Apply(img);

        // then: neighbouring pixels stay close everywhere, tile borders included: each pixel blends the mappings of the
        // four tiles around it (mapping each pixel by its nearest tile alone jumped by 30 levels at the borders, against 3 blended)
        int worst = 0;
        for (int y = 0; y < 256; y++)
            for (int x = 1; x < 512; x++)
                worst = Math.Max(worst, Math.Abs(result.Pixels[y * 512 + x] - result.Pixels[y * 512 + x - 1]));
        int spread = result.Pixels.Max() - result.Pixels.Min();
        Assert.True(worst <= 10, $"largest step between neighbours {worst}, spread {spread}");
    }

    [Fact]
    public void Should_Refuse_When_TheClipLimitIsBelowOne()
    {
        var img = new RawImage(2, 2, 1, [0, 1, 2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Clahe.Apply(img, 8, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clahe.Apply(img, 0, 2));
    }

    [Fact]
    public void Should_ReturnTheImageItself_When_ContrastIsNone()
    {
        var img = new RawImage(2, 2, 1, [0, 1, 2, 3]);
        Assert.Same(img, ImageContrast.Prepare(img, ContrastModes.None));
        Assert.Equal(Clahe.Apply(img).Pixels, ImageContrast.Prepare(img, ContrastModes.Clahe).Pixels);
        Assert.Empty(ImageContrast.Describe(ContrastModes.None));
        Assert.Contains("CLAHE", ImageContrast.Describe(ContrastModes.Clahe), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_NameTheMode_When_ContrastIsUnknown()
    {
        var img = new RawImage(2, 2, 1, [0, 1, 2, 3]);
        var e = Assert.Throws<ClinforgeException>(() => ImageContrast.Prepare(img, "sharpen"));
        Assert.Contains("'sharpen'", e.Message, StringComparison.Ordinal);
        Assert.Contains("clahe", e.Message, StringComparison.Ordinal);
    }
}
