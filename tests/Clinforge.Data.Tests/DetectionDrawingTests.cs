namespace Clinforge.Data.Tests;

/// <summary>What "mark on images" draws: red boxes for one class, one colour and number per class otherwise.</summary>
public sealed class DetectionDrawingTests
{
    private static RawImage Decoded(byte[] png)
    {
        using var dir = new TempDir();
        var path = dir["marked.png"];
        File.WriteAllBytes(path, png);
        return ImageDecoder.Decode(path);
    }

    private static (byte R, byte G, byte B) Pixel(RawImage img, int x, int y)
    {
        int o = (y * img.Width + x) * img.Channels;
        return (img.Pixels[o], img.Pixels[o + 1], img.Pixels[o + 2]);
    }

    [Fact]
    public void Should_DrawEachClassInItsColourWithItsNumber_When_BoxesAreDrawnByClass()
    {
        // given: a grey 200-px image with a box of class 0 and one of class 1
        var grey = new RawImage(200, 200, 1, Enumerable.Repeat((byte)100, 200 * 200).ToArray());
        BoundingBox[] boxes = [new(0.1, 0.1, 0.4, 0.4, 0, 0.9), new(0.5, 0.5, 0.9, 0.9, 1, 0.8)];

        // when
        var byClass = Decoded(DetectionDrawing.ToPng(grey, boxes, byClass: true));
        var single = Decoded(DetectionDrawing.ToPng(grey, boxes));

        // then: the bottom edges carry the classes' colours (Okabe–Ito vermillion, sky blue), the tags hold black digits,
        // and without classes every box stays red as before
        Assert.Equal((213, 94, 0), Pixel(byClass, 60, 79));
        Assert.Equal((86, 180, 233), Pixel(byClass, 140, 179));
        Assert.Equal("#D55E00", DetectionDrawing.ColourHex(0));
        Assert.Equal("#56B4E9", DetectionDrawing.ColourHex(1));
        bool BlackIn(int x0, int y0) => Enumerable.Range(x0, 12).Any(x => Enumerable.Range(y0, 14).Any(y => Pixel(byClass, x, y) == (0, 0, 0)));
        Assert.True(BlackIn(20, 20));
        Assert.True(BlackIn(100, 100));
        Assert.Equal((255, 32, 32), Pixel(single, 60, 79));
        Assert.Equal((255, 32, 32), Pixel(single, 140, 179));
        Assert.Equal((100, 100, 100), Pixel(single, 25, 25)); // no tag for one class
    }

    [Fact]
    public void Should_DrawTrueMarksMissesAndFalseMarksInTheirColoursOnGrey_When_ComparingWithTheTruth()
    {
        // given: a reddish 200-px colour image, a true mark (score 0.87), a missed true box and a false mark (score 0.42)
        var red = new RawImage(200, 200, 3, Enumerable.Range(0, 200 * 200).SelectMany(_ => new byte[] { 200, 50, 50 }).ToArray());
        BoundingBox[] trueMarks = [new(0.1, 0.1, 0.4, 0.4, 0, 0.87)], missed = [new(0.5, 0.1, 0.9, 0.4)], falseMarks = [new(0.1, 0.5, 0.4, 0.9, 0, 0.42)];

        // when
        var drawn = Decoded(DetectionDrawing.Compare(red, trueMarks, missed, falseMarks));

        // then: the image is grey (luma of 200, 50, 50 = 95) at its own size
        Assert.Equal((200, 200), (drawn.Width, drawn.Height));
        Assert.Equal((95, 95, 95), Pixel(drawn, 150, 150));
        // and each box's bottom and right edges carry its category's Okabe–Ito colour: bluish green, vermillion, sky blue
        Assert.Equal((0, 158, 115), Pixel(drawn, 60, 79));
        Assert.Equal((0, 158, 115), Pixel(drawn, 79, 60));
        Assert.Equal((213, 94, 0), Pixel(drawn, 140, 79));
        Assert.Equal((213, 94, 0), Pixel(drawn, 179, 60));
        Assert.Equal((86, 180, 233), Pixel(drawn, 60, 179));
        Assert.Equal((86, 180, 233), Pixel(drawn, 79, 140));
        // and the marks carry their scores in black on a tag of their colour; a miss has no tag (nothing was predicted there)
        bool BlackIn(int x0, int y0) => Enumerable.Range(x0, 30).Any(x => Enumerable.Range(y0, 14).Any(y => Pixel(drawn, x, y) == (0, 0, 0)));
        Assert.True(BlackIn(20, 20));
        Assert.True(BlackIn(20, 100));
        Assert.False(BlackIn(100, 20));
        Assert.Equal((0, 158, 115), Pixel(drawn, 21, 21));
        Assert.Equal((86, 180, 233), Pixel(drawn, 21, 101));
        Assert.Equal((95, 95, 95), Pixel(drawn, 104, 24));
    }
}
