namespace Clinforge.Data.Tests;

public sealed class CsvReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_FindImageLabelAndGroup_When_ColumnsHaveUsualNames()
    {
        // given images/ and a CSV with image, patient_id and diagnosis columns
        for (var i = 0; i < 6; i++) Fixtures.WriteRandom(_dir[$"d/images/p{i}.png"]);
        Fixtures.WriteText(_dir["d/meta.csv"], """
            image,patient_id,age,diagnosis
            images/p0.png,P1,40,nevus
            images/p1.png,P1,40,nevus
            images/p2.png,P2,61,melanoma
            images/p3.png,P3,55,nevus
            images/p4.png,P4,70,melanoma
            images/p5.png,,33,nevus
            """);

        // when the folder is opened
        var ds = DatasetReader.Open(_dir["d"]);

        // then the CSV drives it: image paths, sorted classes, groups from patient_id
        Assert.Equal("csv", ds.Format);
        Assert.Equal(_dir["d/meta.csv"], ds.Source);
        Assert.Equal(new[] { "melanoma", "nevus" }, ds.Classes);
        Assert.Equal("patient_id", ds.GroupColumn);
        Assert.Equal(new[] { "images/p0.png", "images/p1.png", "images/p2.png", "images/p3.png", "images/p4.png", "images/p5.png" }, ds.Items.Select(i => i.Id));
        Assert.Equal(new[] { 1, 1, 0, 1, 0, 1 }, ds.Items.Select(i => i.Label));
        Assert.Equal(new string?[] { "P1", "P1", "P2", "P3", "P4", null }, ds.Items.Select(i => i.Group));
        // and the other columns are kept per image for subgroup analysis (not image, label or group)
        Assert.Equal(["image", "patient_id", "age", "diagnosis"], ds.Columns);
        Assert.Equal("61", ds.Metadata["images/p2.png"]["age"]);
        Assert.Equal(["age"], ds.Metadata["images/p0.png"].Keys);
    }

    [Fact]
    public void Should_KeepTheDataOwnSplit_When_TheCsvHasASplitColumn()
    {
        // given a CSV whose 'split' column puts each image in train, validation or test (two spellings)
        for (var i = 0; i < 8; i++) Fixtures.WriteRandom(_dir[$"d/img/{i}.png"]);
        Fixtures.WriteText(_dir["d/labels.csv"], """
            image,label,split,drain
            img/0.png,normal,train,1
            img/1.png,pneumonia,train,
            img/2.png,normal,training,0
            img/3.png,pneumonia,Validation,1
            img/4.png,normal,val,0
            img/5.png,pneumonia,test,
            img/6.png,normal,TEST,
            img/7.png,pneumonia,train,1
            """);

        // when opened and split
        var ds = DatasetReader.Open(_dir["d/labels.csv"]);
        var splits = Splitter.Split(ds, seed: 3);

        // then the split is the data's own, the column is not taken for metadata, and the card notes say where it came from
        Assert.Equal("official", splits.Method);
        Assert.Equal(["img/0.png", "img/1.png", "img/2.png", "img/7.png"], splits.Train.Select(i => i.Id));
        Assert.Equal(["img/3.png", "img/4.png"], splits.Val.Select(i => i.Id));
        Assert.Equal(["img/5.png", "img/6.png"], splits.Test.Select(i => i.Id));
        Assert.Equal(["drain"], ds.Metadata["img/0.png"].Keys);
        Assert.Contains(ds.Notes, n => n.Contains("split taken from column 'split'", StringComparison.Ordinal) && n.Contains("train 4, val 2, test 2", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_RefuseNamingFileRowAndValue_When_TheSplitColumnHoldsAnUnknownName()
    {
        // given a split column with a value that is no split name
        Fixtures.WriteRandom(_dir["d/img/0.png"]);
        Fixtures.WriteRandom(_dir["d/img/1.png"]);
        Fixtures.WriteText(_dir["d/labels.csv"], "image,label,split\nimg/0.png,a,train\nimg/1.png,b,later\n");

        // when opened, then the message names the file, the row, the column and the value
        var e = Assert.Throws<ClinforgeException>(() => DatasetReader.Open(_dir["d/labels.csv"]));
        Assert.Contains("labels.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains("row 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("'later'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'split'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ResolveFiles_When_ValuesLackExtensionAndFolder()
    {
        // given ISIC-style ids without extension, images in a subfolder the CSV does not name, label 'dx'
        Fixtures.WriteRandom(_dir["d/ISIC_Input/ISIC_0001.jpg"]);
        Fixtures.WriteRandom(_dir["d/ISIC_Input/ISIC_0002.jpg"]);
        Fixtures.WriteRandom(_dir["d/ISIC_0003.png"]);
        Fixtures.WriteText(_dir["d/gt.csv"], "isic_id,dx\nISIC_0001,mel\nISIC_0002,nv\nISIC_0003,nv\n");

        // when the CSV is opened directly
        var ds = DatasetReader.Open(_dir["d/gt.csv"]);

        // then each id finds its file, wherever it sits below the CSV's folder
        Assert.Equal(new[] { "mel", "nv" }, ds.Classes);
        Assert.Equal(new[] { "ISIC_Input/ISIC_0001.jpg", "ISIC_Input/ISIC_0002.jpg", "ISIC_0003.png" }, ds.Items.Select(i => i.Id));
        Assert.Equal(3, ds.Load(ds.Items[0]).Channels);
    }

    [Fact]
    public void Should_HandleQuotedFields_When_ValuesContainCommasAndQuotes()
    {
        // given file names and labels with commas, quotes and a line break inside quotes, CRLF line ends
        Fixtures.WriteRandom(_dir["d/a, b.png"]);
        Fixtures.WriteRandom(_dir["d/c.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "file,label,comment\r\n\"a, b.png\",\"benign, stable\",\"said \"\"fine\"\"\nnext line\"\r\nc.png,malignant,\r\n");

        // when opened
        var ds = DatasetReader.Open(_dir["d/l.csv"]);

        // then the quoted values are whole
        Assert.Equal(new[] { "benign, stable", "malignant" }, ds.Classes);
        Assert.Equal("a, b.png", ds.Items[0].Id);
    }

    [Fact]
    public void Should_ParseRfc4180_When_RecordsSpanLines()
    {
        // given CSV text with an embedded newline, doubled quotes and a blank line
        const string text = "a,b\n\"x\ny\",\"he said \"\"hi\"\"\"\n\n1,2";

        // when parsed
        var records = CsvParser.Parse(text, "t.csv");

        // then there are three records with the right fields and start lines
        Assert.Equal(3, records.Count);
        Assert.Equal(new[] { "x\ny", "he said \"hi\"" }, records[1].Fields);
        Assert.Equal(2, records[1].Line);
        Assert.Equal(5, records[2].Line);
    }

    [Fact]
    public void Should_ReadSemicolonCsv_When_SpreadsheetUsedSemicolons()
    {
        // given a semicolon-separated CSV
        Fixtures.WriteRandom(_dir["d/1.png"]);
        Fixtures.WriteRandom(_dir["d/2.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "filename;class\n1.png;yes\n2.png;no\n");

        // when opened
        var ds = DatasetReader.Open(_dir["d/l.csv"]);

        // then the columns split on semicolons
        Assert.Equal(new[] { "no", "yes" }, ds.Classes);
        Assert.Equal(new[] { 1, 0 }, ds.Items.Select(i => i.Label));
    }

    [Fact]
    public void Should_GuessLabelColumn_When_NameIsUnusual()
    {
        // given a CSV whose label column is called 'grade', beside an id column
        for (var i = 0; i < 6; i++) Fixtures.WriteRandom(_dir[$"d/{i}.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "record_id,picture,grade\n" + string.Join("\n", Enumerable.Range(0, 6).Select(i => $"r{i},{i}.png,{(i < 3 ? "low" : "high")}")));

        // when opened
        var ds = DatasetReader.Open(_dir["d/l.csv"]);

        // then 'grade' is used and a note says it was guessed
        Assert.Equal(new[] { "high", "low" }, ds.Classes);
        Assert.Contains(ds.Notes, n => n.Contains("label column guessed as 'grade'"));
    }

    [Fact]
    public void Should_ReadOneHotLabels_When_GroundTruthHasClassColumns()
    {
        // given an ISIC-2019-style ground truth: image, MEL, NV, BCC as 0.0/1.0
        for (var i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"d/img{i}.jpg"]);
        Fixtures.WriteText(_dir["d/gt.csv"], "image,MEL,NV,BCC\nimg0,1.0,0.0,0.0\nimg1,0.0,1.0,0.0\nimg2,0.0,1.0,0.0\nimg3,0.0,0.0,1.0\n");

        // when opened
        var ds = DatasetReader.Open(_dir["d/gt.csv"]);

        // then the column holding the 1 is the class
        Assert.Equal(new[] { "BCC", "MEL", "NV" }, ds.Classes);
        Assert.Equal(new[] { 1, 2, 2, 0 }, ds.Items.Select(i => i.Label));
    }

    [Fact]
    public void Should_SortNumerically_When_LabelsAreIntegers()
    {
        // given integer labels 10, 2, 1
        for (var i = 0; i < 3; i++) Fixtures.WriteRandom(_dir[$"d/{i}.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "path,label\n0.png,10\n1.png,2\n2.png,1\n");

        // when opened
        var ds = DatasetReader.Open(_dir["d/l.csv"]);

        // then classes are in numeric order
        Assert.Equal(new[] { "1", "2", "10" }, ds.Classes);
        Assert.Equal(new[] { 2, 1, 0 }, ds.Items.Select(i => i.Label));
    }

    [Fact]
    public void Should_UseGivenColumns_When_OptionsNameThem()
    {
        // given a CSV where the name-based guess ('label') is not the wanted target
        for (var i = 0; i < 4; i++) Fixtures.WriteRandom(_dir[$"d/{i}.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "image,label,site\n0.png,x,head\n1.png,y,arm\n2.png,x,arm\n3.png,y,head\n");

        // when opened with LabelColumn = site
        var ds = DatasetReader.Open(_dir["d/l.csv"], new DatasetOptions(LabelColumn: "site"));

        // then the site column gives the classes
        Assert.Equal(new[] { "arm", "head" }, ds.Classes);
    }

    [Fact]
    public void Should_SkipUnlabelledAndRepeatedRows_When_CsvHasThem()
    {
        // given a row with an empty label and a row repeating an image with the same label
        for (var i = 0; i < 3; i++) Fixtures.WriteRandom(_dir[$"d/{i}.png"]);
        Fixtures.WriteText(_dir["d/l.csv"], "image,label\n0.png,a\n1.png,\n2.png,b\n0.png,a\n");

        // when opened
        var ds = DatasetReader.Open(_dir["d/l.csv"]);

        // then only the two distinct labelled images remain, with notes
        Assert.Equal(new[] { "0.png", "2.png" }, ds.Items.Select(i => i.Id));
        Assert.Contains(ds.Notes, n => n.Contains("1 rows") && n.Contains("no label"));
        Assert.Contains(ds.Notes, n => n.Contains("repeat an image"));
    }
}
