using System.Text.Json;

namespace Clinforge.Data.Tests;

/// <summary>DICOM and NIfTI files as datasets: folders per class, CSV labels, metadata, identifiers, and bad files.</summary>
public sealed class MedicalDatasetTests(ITestOutputHelper output)
{
    private string? Dicom(string name) => Fixtures.SharedFile(output, "dicom/" + name);

    private static string Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to);
        return to;
    }

    [Fact]
    public void Should_RefuseWithInstallCommand_When_GdcmIsNotInstalled()
    {
        // given a folder without GDCM's bindings
        using var dir = new TempDir();

        // when loading from it
        var (assembly, problem) = GdcmRuntime.Load(dir.Path);

        // then nothing loads and the reason carries the one command that fixes it
        Assert.Null(assembly);
        Assert.Contains("sudo apt-get install libgdcm-cil", problem);
    }

    [Fact]
    public void Should_DropIdentifiersAndKeepHeaderColumns_When_OpeningDicomFolders()
    {
        // given two class folders of DICOM files from different scanners, and dcmdump to read their identifiers
        string[] names = ["implicit_little.dcm", "pydicom/CT_small.dcm", "jpeg_lossless_sel1.dcm", "pydicom/MR_small.dcm", "rle.dcm", "siim-sample.dcm"];
        var files = names.Select(Dicom).ToList();
        if (files.Any(f => f is null) || !MedicalTools.Gdcm(output) || MedicalTools.Find(output, "dcmdump", "dcmtk") is not { } dcmdump) return;
        using var dir = new TempDir();
        for (int i = 0; i < files.Count; i++) Copy(files[i]!, dir[$"{(i % 2 == 0 ? "normal" : "abnormal")}/{i}.dcm"]);
        var identifiers = files.SelectMany(f => new[] { "0010,0010", "0010,0020", "0008,0080", "0010,0030", "0008,0050" }.Select(t => MedicalTools.DumpValue(dcmdump, f!, t)))
            .Where(v => v.Length >= 3).Distinct().ToList();
        Assert.NotEmpty(identifiers);

        // when the dataset is opened, split and inspected, and the card serialised as datacard.json is
        var ds = DatasetReader.Open(dir.Path);
        var card = Inspector.Inspect(ds, Splitter.Split(ds, 3), 3);
        var json = Json.Serialize(card) + JsonSerializer.Serialize(ds.Metadata) + string.Join("|", ds.Items.Select(i => i.Group)) + string.Join("|", ds.Notes) + string.Join("|", ds.Columns);

        // then no identifier value appears anywhere (except where a kept field holds the same word: MR_small's institution
        // is "TOSHIBA", its manufacturer "TOSHIBA_MEC"), the card lists which identifying fields were dropped, and header columns are summarised
        var kept = ds.Metadata.Values.SelectMany(m => m.Values).ToList();
        var checkedIds = identifiers.Where(id => !kept.Any(k => k.Contains(id, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(checkedIds.Count >= 5, $"only {checkedIds.Count} identifier values to look for");
        foreach (var id in checkedIds) Assert.DoesNotContain(id, json, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(6, ds.Items.Count);
        Assert.NotNull(card.Imaging);
        Assert.True(card.Imaging!.IdentifyingFieldsDropped["PatientName"] >= 5);
        Assert.Contains("PatientID", card.Imaging.IdentifyingFieldsDropped.Keys);
        Assert.Equal(2, card.Imaging.HeaderColumns["modality"]["CT"] - 1); // CT_small, jpeg_lossless_sel1, rle
        Assert.Equal("CR", ds.Metadata[ds.Items.Single(i => i.Id == "normal/5.dcm" || i.Id == "abnormal/5.dcm").Id]["modality"]);
        Assert.Contains("modality", ds.Columns);
        Assert.Contains(card.Notes, n => n.StartsWith("Identifying DICOM fields present and dropped", StringComparison.Ordinal));
        Assert.Equal("DICOM patient, or series without a patient id (pseudonymous numbers)", ds.GroupColumn);
        Assert.All(ds.Items, i => Assert.Matches("^(patient|series) [0-9]+$", i.Group!));
        output.WriteLine(string.Join("\n", card.Notes));
    }

    [Fact]
    public void Should_MakeOneItemPerFrameInOneGroup_When_FileIsMultiFrame()
    {
        // given a 16-frame MR file and a single-frame file in two class folders
        if (Dicom("explicit_little.dcm") is not { } multi || Dicom("deflated.dcm") is not { } single || !MedicalTools.Gdcm(output)) return;
        using var dir = new TempDir();
        Copy(multi, dir["a/multi.dcm"]);
        Copy(single, dir["b/single.dcm"]);

        // when opened
        var ds = DatasetReader.Open(dir.Path);

        // then the frames are items in order, sharing one group, and each loads as its own frame
        var frames = ds.Items.Where(i => i.Id.StartsWith("a/multi.dcm#", StringComparison.Ordinal)).ToList();
        Assert.Equal(16, frames.Count);
        Assert.Equal(Enumerable.Range(0, 16).Select(k => $"a/multi.dcm#{k:000}"), frames.Select(f => f.Id));
        Assert.Single(frames.Select(f => f.Group).Distinct());
        var reference = DicomReader.Read(multi);
        Assert.Equal(reference.ToRaw(5).Pixels, ds.Load(frames[5]).Pixels);
        Assert.NotEqual(ds.Load(frames[0]).Pixels, ds.Load(frames[15]).Pixels);
        Assert.Equal(1, ds.Imaging!.MultiSliceFiles);
    }

    [Fact]
    public void Should_ReadLabelsBySopInstanceUid_When_CsvNamesUids()
    {
        // given DICOM files under images/ and a CSV naming them by SOP Instance UID only
        string[] names = ["implicit_little.dcm", "explicit_big.dcm", "pydicom/CT_small.dcm", "pydicom/MR_small.dcm"];
        var files = names.Select(Dicom).ToList();
        if (files.Any(f => f is null) || !MedicalTools.Gdcm(output) || MedicalTools.Find(output, "dcmdump", "dcmtk") is not { } dcmdump) return;
        using var dir = new TempDir();
        var rows = new List<string> { "sop_instance_uid,label,site" };
        for (int i = 0; i < files.Count; i++)
        {
            Copy(files[i]!, dir[$"images/f{i}.dcm"]);
            rows.Add($"{MedicalTools.DumpValue(dcmdump, files[i]!, "0008,0018")},{(i < 2 ? "yes" : "no")},site{i % 2}");
        }
        File.WriteAllLines(dir["labels.csv"], rows);

        // when opened
        var ds = DatasetReader.Open(dir.Path);

        // then each UID found its file and label, and CSV and header columns are both metadata
        Assert.Equal(["images/f0.dcm", "images/f1.dcm", "images/f2.dcm", "images/f3.dcm"], ds.Items.Select(i => i.Id).Order(StringComparer.Ordinal));
        Assert.Equal("yes", ds.Classes[ds.Items.Single(i => i.Id == "images/f1.dcm").Label]);
        Assert.Equal("no", ds.Classes[ds.Items.Single(i => i.Id == "images/f3.dcm").Label]);
        Assert.Equal("site1", ds.Metadata["images/f3.dcm"]["site"]);
        Assert.Equal("MR", ds.Metadata["images/f3.dcm"]["modality"]);
    }

    [Fact]
    public void Should_SkipEachBadDicomWithReason_When_FolderHoldsReportPdfAndDamagedStreams()
    {
        // given good DICOM files beside a structured report, an encapsulated PDF, a cut-off RLE stream and a damaged JPEG lossless stream
        if (Dicom("implicit_little.dcm") is not { } a1 || Dicom("pydicom/CT_small.dcm") is not { } a2 || Dicom("rle.dcm") is not { } rle
            || Dicom("jpeg_lossless_sel1.dcm") is not { } jpeg || Dicom("pydicom/MR_small.dcm") is not { } b1 || !MedicalTools.Gdcm(output)
            || MedicalTools.Find(output, "dump2dcm", "dcmtk") is not { } dump2dcm || MedicalTools.Find(output, "pdf2dcm", "dcmtk") is not { } pdf2dcm) return;
        using var dir = new TempDir();
        Copy(a1, dir["a/good1.dcm"]);
        Copy(a2, dir["a/good2.dcm"]);
        Copy(b1, dir["b/good3.dcm"]);
        Copy(rle, dir["b/good4.dcm"]);
        File.WriteAllText(dir["sr.txt"], "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.88.33]\n(0008,0018) UI [1.2.826.0.1.3680043.2.1125.9.1]\n(0008,0060) CS [SR]\n(0010,0010) PN [Doe^Jane]\n");
        Assert.Equal(0, MedicalTools.Run(dump2dcm, dir["sr.txt"], dir["a/report.dcm"]).Code);
        File.WriteAllText(dir["r.pdf"], "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
        Assert.Equal(0, MedicalTools.Run(pdf2dcm, "+pn", "Doe^Jane", "+pi", "X1", "+t", "Report", dir["r.pdf"], dir["a/letter.dcm"]).Code);
        var rleBytes = File.ReadAllBytes(rle);
        File.WriteAllBytes(dir["b/cut.dcm"], rleBytes[..(int)(rleBytes.Length * 0.8)]);
        var jpegBytes = File.ReadAllBytes(jpeg);
        for (int i = jpegBytes.Length / 2; i < jpegBytes.Length - 16; i++) jpegBytes[i] = (byte)(jpegBytes[i] * 7 + 13);
        File.WriteAllBytes(dir["b/damaged.dcm"], jpegBytes);

        // when the folder is opened
        var ds = DatasetReader.Open(dir.Path);

        // then the four good files are read and each bad one is listed by name with its problem
        Assert.Equal(["a/good1.dcm", "a/good2.dcm", "b/good3.dcm", "b/good4.dcm"], ds.Items.Select(i => i.Id));
        string Reason(string name) => ds.Unreadable.Single(u => u.Path == dir[name]).Reason;
        Assert.Contains("structured report", Reason("a/report.dcm"));
        Assert.Contains("encapsulated PDF", Reason("a/letter.dcm"));
        Assert.Contains("cut short", Reason("b/cut.dcm"));
        Assert.Contains("cannot be decoded", Reason("b/damaged.dcm"));
        Assert.Contains(ds.Notes, n => n.Contains("4 of 8 image files could not be decoded", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_RefuseNamingTheFile_When_DicomIsTooLargeForMemory()
    {
        // given a 96-frame 512x512 file (24 MiB decoded) and a 1 MiB memory limit
        if (Dicom("jpeg_baseline_8bit.dcm") is not { } file || !MedicalTools.Gdcm(output)) return;

        // when opened
        var e = Assert.Throws<ClinforgeException>(() => MedicalFiles.Open(file, maxBytes: 1 << 20));

        // then the refusal names the file and the sizes
        Assert.StartsWith(file + ": the image is too large", e.Message);
        Assert.Contains("96 frame(s)", e.Message);
    }

    [Fact]
    public void Should_SkipEachBadNiftiWithReason_When_HeaderBrokenGzipCutOrVolumeTooLarge()
    {
        // given two good volumes beside a broken header, a gzip cut in half, and a header declaring 30000^3 voxels
        if (Fixtures.SharedFile(output, "nifti/anatomical.nii") is not { } good1 || Fixtures.SharedFile(output, "nifti/some_blobs.nii") is not { } good2
            || Fixtures.SharedFile(output, "nifti/ch2bet.nii.gz") is not { } big) return;
        using var dir = new TempDir();
        Copy(good1, dir["a/anatomical.nii"]);
        Copy(good2, dir["b/blobs.nii"]);
        var broken = new byte[400];
        broken[0] = 123;
        File.WriteAllBytes(dir["a/broken.nii"], broken);
        var gz = File.ReadAllBytes(big);
        File.WriteAllBytes(dir["b/cut.nii.gz"], gz[..(gz.Length / 2)]);
        NiftiReaderTests.WriteNifti1(dir["a/huge.nii"], [2, 2, 2], datatype: 4, i => (short)i, headerDims: [3, 30000, 30000, 30000, 1, 1, 1, 1]);

        // when the folder is opened
        var ds = DatasetReader.Open(dir.Path);

        // then the good volumes become slices, each volume one group, and each bad file is listed with its problem
        Assert.Equal(2, ds.Items.Select(i => i.Group).Distinct().Count());
        Assert.True(ds.Items.Count > 40, $"{ds.Items.Count} slices");
        string Reason(string name) => ds.Unreadable.Single(u => u.Path == dir[name]).Reason;
        Assert.Contains("sizeof_hdr is 123", Reason("a/broken.nii"));
        Assert.Contains("ends early", Reason("b/cut.nii.gz"));
        Assert.Contains("too large to read into memory", Reason("a/huge.nii"));
        Assert.Contains("axial", string.Join(" ", ds.Imaging!.SliceAxes.Keys));
        Assert.Contains(ds.Notes, n => n.StartsWith("NIfTI: 2 files", StringComparison.Ordinal));
    }
}
