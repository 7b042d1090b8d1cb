namespace Clinforge.Data.Tests;

/// <summary>Every kind of bad input gets a ClinforgeException that names the file (and row) and says what to do.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_SayNoSuchPath_When_PathIsMissing()
    {
        // given a path that does not exist
        var path = _dir["nowhere"];

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(path));

        // then the message names it and says to check it
        Assert.Contains(path, e.Message);
        Assert.Contains("no such file or folder", e.Message);
    }

    [Fact]
    public void Should_ExplainLayout_When_FolderIsEmpty()
    {
        // given an empty folder
        Directory.CreateDirectory(_dir["empty"]);

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["empty"]));

        // then it says no images were found and how to lay them out
        Assert.Contains("no images found", e.Message);
        Assert.Contains("one subfolder per class", e.Message);
    }

    [Fact]
    public void Should_NameEmptyClassFolder_When_AClassHasNoImages()
    {
        // given class folders a (images) and b (only a text file)
        Fixtures.WriteRandom(_dir["d/a/1.png"]);
        Fixtures.WriteText(_dir["d/b/readme.txt"], "nothing");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then the message names b and the remedy
        Assert.Contains(_dir["d/b"], e.Message);
        Assert.Contains("class folder 'b' has no images", e.Message);
        Assert.Contains("remove the folder", e.Message);
    }

    [Fact]
    public void Should_Refuse_When_ThereIsOnlyOneClass()
    {
        // given a single class folder
        Fixtures.WriteRandom(_dir["d/only/1.png"]);

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then it asks for a second class
        Assert.Contains("only one class folder ('only')", e.Message);
    }

    [Fact]
    public void Should_Refuse_When_ImagesHaveNoLabels()
    {
        // given loose images and no CSV
        Fixtures.WriteRandom(_dir["d/1.png"]);
        Fixtures.WriteRandom(_dir["d/2.png"]);

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then it says the labels are missing and how to give them
        Assert.Contains("2 images but no labels", e.Message);
    }

    [Fact]
    public void Should_Refuse_When_EveryImageOfAClassIsCorrupt()
    {
        // given class a with a truncated PNG and a text file named x.jpg, class b fine
        var good = File.ReadAllBytes(Fixtures.WriteRandom(_dir["tmp/good.png"], 40, 40));
        Fixtures.WriteText(_dir["d/a/x.jpg"], "not a jpeg");
        File.WriteAllBytes(_dir["d/a/cut.png"], good[..100]);
        Fixtures.WriteRandom(_dir["d/b/1.png"]);

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then it names the class, both files and the remedy
        Assert.Contains("class 'a' has no readable images", e.Message);
        Assert.Contains(_dir["d/a/cut.png"], e.Message);
        Assert.Contains(_dir["d/a/x.jpg"], e.Message);
        Assert.Contains("Replace those files or remove the class", e.Message);
    }

    [Fact]
    public void Should_Refuse_When_NoImageDecodes()
    {
        // given two classes of text files named like images
        Fixtures.WriteText(_dir["d/a/1.png"], "x");
        Fixtures.WriteText(_dir["d/b/1.png"], "y");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then it says none can be decoded
        Assert.Contains("none of the 2 images can be decoded", e.Message);
    }

    [Fact]
    public void Should_AskForLabelColumn_When_CsvHasNone()
    {
        // given a CSV with only an id and an image column
        for (var i = 0; i < 3; i++) Fixtures.WriteRandom(_dir[$"d/{i}.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "id,image\n1,0.png\n2,1.png\n3,2.png\n");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d/l.csv"]));

        // then it names the file and the columns and says what to do
        Assert.Contains(_dir["d/l.csv"], e.Message);
        Assert.Contains("no usable label column among 'id', 'image'", e.Message);
        Assert.Contains("label", e.Message);
    }

    [Fact]
    public void Should_NameRowAndFile_When_CsvRowPointsToMissingImage()
    {
        // given a CSV whose third row names a file that is not there
        Fixtures.WriteRandom(_dir["d/a.png"]);
        Fixtures.WriteRandom(_dir["d/b.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "image,label\na.png,x\nb.png,y\nmissing.png,x\n");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d/l.csv"]));

        // then the message names the CSV, the row, the line and the file
        Assert.Contains(_dir["d/l.csv"], e.Message);
        Assert.Contains("1 of 3 rows name an image file that does not exist", e.Message);
        Assert.Contains("row 3 (line 4) 'missing.png'", e.Message);
        Assert.Contains("delete those rows", e.Message);
    }

    [Fact]
    public void Should_ListFirstFewAndCount_When_ManyCsvRowsAreMissing()
    {
        // given 3 files present and 9 missing
        for (var i = 0; i < 3; i++) Fixtures.WriteRandom(_dir[$"d/img{i}.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "image,label\n" + string.Join("\n", Enumerable.Range(0, 12).Select(i => $"img{i}.png,{i % 2}")));

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d/l.csv"]));

        // then five are listed and the rest counted
        Assert.Contains("9 of 12 rows", e.Message);
        Assert.Contains("row 4 (line 5) 'img3.png'", e.Message);
        Assert.Contains("row 8 (line 9) 'img7.png'", e.Message);
        Assert.DoesNotContain("img8.png", e.Message);
        Assert.Contains("and 4 more", e.Message);
    }

    [Fact]
    public void Should_NameRow_When_CsvRowHasTooManyFields()
    {
        // given an unquoted comma in a value
        Fixtures.WriteRandom(_dir["d/a.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "image,label\na.png,benign, stable\n");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d/l.csv"]));

        // then the row and the fix are named
        Assert.Contains("row 1 (line 2) has 3 fields but the header has 2", e.Message);
        Assert.Contains("Quote values", e.Message);
    }

    [Fact]
    public void Should_NameLine_When_QuoteIsNeverClosed()
    {
        // given a CSV with an open quote on line 3
        Fixtures.WriteText(_dir["d/l.csv"], "image,label\na.png,x\n\"b.png,y\n");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d/l.csv"]));

        // then the line is named
        Assert.Contains("line 3: a quoted field is never closed", e.Message);
    }

    [Fact]
    public void Should_NameMissingKey_When_NpzLacksLabels()
    {
        // given an npz with train_images but no train_labels
        var path = Fixtures.WriteNpz(_dir["bad.npz"], new Dictionary<string, byte[]>
        {
            ["train_images"] = Fixtures.Npy("|u1", [1, 2, 2], [1, 2, 3, 4]),
        });

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(path));

        // then it names the missing key
        Assert.Contains(path, e.Message);
        Assert.Contains("no 'train_labels'", e.Message);
    }

    [Fact]
    public void Should_ListFoundKeys_When_NpzHasNoSplitArrays()
    {
        // given an npz holding arrays named x and y
        var path = Fixtures.WriteNpz(_dir["xy.npz"], new Dictionary<string, byte[]>
        {
            ["x"] = Fixtures.Npy("|u1", [1, 2, 2], [1, 2, 3, 4]),
            ["y"] = Fixtures.Npy("|u1", [1], [0]),
        });

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(path));

        // then it says which keys it wants and which it found
        Assert.Contains("missing keys: expected train_images and train_labels", e.Message);
        Assert.Contains("found x, y", e.Message);
    }

    [Fact]
    public void Should_Refuse_When_NpzImagesAreNotUint8()
    {
        // given float32 images
        var path = Fixtures.WriteNpz(_dir["f.npz"], new Dictionary<string, byte[]>
        {
            ["train_images"] = Fixtures.Npy("<f4", [1, 1, 1], [0, 0, 128, 63]),
            ["train_labels"] = Fixtures.Npy("|u1", [1], [0]),
        });

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(path));

        // then it names the array and the conversion
        Assert.Contains("train_images: images must be uint8", e.Message);
    }

    [Fact]
    public void Should_Refuse_When_NpzIsNotAZip()
    {
        // given a text file named .npz
        var path = Fixtures.WriteText(_dir["t.npz"], "not a zip");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(path));

        // then it says the file is damaged
        Assert.Contains("not a valid .npz (zip) file", e.Message);
    }

    [Fact]
    public void Should_PointAtDataset_When_PathIsOneImageOrOtherFile()
    {
        // given one image and a .txt file
        var image = Fixtures.WriteRandom(_dir["one.png"]);
        var text = Fixtures.WriteText(_dir["labels.txt"], "x");

        // when each is opened
        var e1 = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(image));
        var e2 = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(text));

        // then each message says what to pass instead
        Assert.Contains("single image", e1.Message);
        Assert.Contains("unsupported dataset file type '.txt'", e2.Message);
    }

    [Fact]
    public void Should_ReadYoloLayoutAsDetection_When_SplitFolderHoldsImagesAndLabels()
    {
        // given train/images + train/labels (detection layouts are read, no longer refused)
        Fixtures.WriteRandom(_dir["d/train/images/1.jpg"]);
        Fixtures.WriteText(_dir["d/train/labels/1.txt"], "0 0.5 0.5 0.1 0.1");

        // when opened
        var ds = DatasetReader.Open(_dir["d"]);

        // then it is a detection dataset with one boxed positive (no negatives needed)
        Assert.Equal("yolo", ds.Detection!.LabelFormat);
        Assert.Single(Assert.Single(ds.Detection.Labels.Values).Boxes);
    }

    [Fact]
    public void Should_NameFileAndProblem_When_DicomFilesAreNotDicom()
    {
        // given two class folders of .dcm files that hold only the text "DICM"
        Fixtures.WriteText(_dir["d/a/1.dcm"], "DICM");
        Fixtures.WriteText(_dir["d/b/2.dcm"], "DICM");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then the message names a file and says it is not DICOM (or, without GDCM, how to install it)
        Assert.Contains("none of the 2 images can be decoded", e.Message);
        Assert.Contains(_dir["d/a/1.dcm"], e.Message);
        Assert.True(e.Message.Contains("not a DICOM file", StringComparison.Ordinal) || e.Message.Contains("sudo apt-get install libgdcm-cil", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Should_AskWhichCsv_When_FolderHoldsSeveral()
    {
        // given two CSV files and no class folders
        Fixtures.WriteText(_dir["d/a.csv"], "image,label\n");
        Fixtures.WriteText(_dir["d/b.csv"], "image,label\n");

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d"]));

        // then it lists them and asks for one
        Assert.Contains("found 2 CSV files (a.csv, b.csv)", e.Message);
    }
}
