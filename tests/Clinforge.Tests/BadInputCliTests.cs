using Clinforge.Core;

namespace Clinforge.Tests;

/// <summary>
/// The command line's bad-input suite: each case is run as a user runs it (a real process) and must end
/// with a clear message naming the problem, the right exit code and no stack trace. None of these
/// cases trains a model; those that need a package are in <see cref="BadInputPackageTests"/>.
/// </summary>
public sealed class BadInputCliTests
{
    /// <summary>A case: the arguments (built in a temporary folder), the exit code wanted and words the message must hold.</summary>
    private sealed record Case(string[] Args, int Exit, params string[] Says)
    {
        public Case With(int exit, params string[] says) => this with { Exit = exit, Says = says };

        public Case Plus(params string[] args) => this with { Args = [.. Args, .. args] };
    }

    private const string Request = "Tell benign from malignant.";

    private static readonly Dictionary<string, Func<TempDir, Case>> s_cases = new()
    {
        // Numbers no clock can keep.
        ["trial-minutes Infinity"] = t => Develop(t, "--trial-minutes", "Infinity").With(2, "--trial-minutes", "positive number"),
        ["trial-minutes NaN"] = t => Develop(t, "--trial-minutes", "NaN").With(2, "--trial-minutes"),
        ["trial-minutes negative"] = t => Develop(t, "--trial-minutes", "-3").With(2, "--trial-minutes"),
        ["trial-minutes 1e400"] = t => Develop(t, "--trial-minutes", "1e400").With(2, "--trial-minutes"),
        ["trial-minutes zero"] = t => Develop(t, "--trial-minutes", "0").With(2, "--trial-minutes"),
        ["budget-minutes Infinity"] = t => Develop(t, "--budget-minutes", "Infinity").With(2, "--budget-minutes"),
        ["budget-minutes NaN"] = t => Develop(t, "--budget-minutes", "NaN").With(2, "--budget-minutes"),
        ["budget-minutes -Infinity"] = t => Develop(t, "--budget-minutes", "-Infinity").With(2, "--budget-minutes"),
        ["demo trial-seconds Infinity"] = t => new Case(["demo", "--out", t.Combine("demo"), "--trial-seconds", "Infinity"], 2, "--trial-seconds"),
        ["rounds not a number"] = t => Develop(t, "--rounds", "many").With(2, "--rounds"),
        ["max-image-pixels not a number"] = t => new Case(["parse", Request, "--data", Data(t), "--max-image-pixels", "lots"], 2, "--max-image-pixels"),
        ["allow-root missing folder"] = t => new Case(["parse", Request, "--data", Data(t), "--allow-root", t.Combine("nowhere")], 2, "--allow-root", "no such folder"),
        ["unknown command"] = _ => new Case(["devlop"], 2, "unknown command"),
        ["option without value"] = t => new Case(["develop", "--request"], 2, "needs a value"),
        ["unknown option"] = t => Develop(t, "--trial-minuts", "2").With(2, "unknown option", "--trial-minuts"),
        ["data without add or list"] = _ => new Case(["data"], 2, "needs one of", "add", "list"),

        // A recipe given to start from.
        ["recipe missing"] = t => Develop(t, "--recipe", t.Combine("gone.json")).With(2, "gone.json", "file not found"),
        ["recipe not JSON"] = t => Develop(t, "--recipe", Text(t.Combine("r.json"), "size: 64")).With(2, "r.json"),
        ["recipe out of range"] = t => Develop(t, "--recipe", Text(t.Combine("r.json"), Json.Serialize(new Recipe { Input = new InputSpec(4, 3), Model = new ModelSpec("resnet", 16, 1, 0) }))).With(2, "r.json", "invalid recipe", "input.size"),
        ["recipe of another kind"] = t => Develop(t, "--recipe", Text(t.Combine("r.json"), Json.Serialize(new Recipe { Input = new InputSpec(256, 3), Model = new ModelSpec("unet", 16, 1, 0), Segmentation = new SegmentationRecipe() }))).With(2, "r.json", "segmentation recipe", "classification"),

        // A run folder resume must refuse cleanly, every time.
        ["resume budget Infinity"] = t => Resume(t, s => s with { BudgetMinutes = double.PositiveInfinity }).With(2, "budget_minutes", "Infinity", "--budget-minutes"),
        ["resume budget NaN"] = t => Resume(t, s => s with { BudgetMinutes = double.NaN }).With(2, "budget_minutes", "--budget-minutes"),
        ["resume trial seconds Infinity"] = t => Resume(t, s => s with { TrialSeconds = double.PositiveInfinity }).With(2, "trial_seconds", "--trial-minutes"),
        ["resume trial seconds negative"] = t => Resume(t, s => s with { TrialSeconds = -60 }).With(2, "trial_seconds"),
        ["resume not a run"] = t => new Case(["resume", t.Path], 2, "not a resumable run folder"),

        // Where the run is written.
        ["run names a file"] = t => { File.WriteAllText(t.Combine("afile"), "x"); return Develop(t, "--run", t.Combine("afile")).With(2, "is a file, not a folder"); },
        ["run under a file"] = t => { File.WriteAllText(t.Combine("afile"), "x"); return Develop(t, "--run", t.Combine("afile", "run")).With(73, "cannot be created"); },
        ["report on a folder that is not a run"] = t => new Case(["report", t.Path], 2, "not a run folder"),

        // Data outside the dataset's folder.
        ["csv row ../../etc/passwd"] = t => Parse(Csv(t, "../../etc/passwd")).With(2, "row 5", "'../../etc/passwd'", "outside the dataset folder"),
        ["csv row /etc/shadow"] = t => Parse(Csv(t, "/etc/shadow")).With(2, "'/etc/shadow'", "outside the dataset folder"),
        ["csv row absolute image elsewhere"] = t => Parse(Csv(t, BadInput.Png(t.Combine("elsewhere", "x.png"), 16, 16))).With(2, "outside the dataset folder", "--allow-root"),
        ["csv row link leaving the folder"] = t =>
        {
            var csv = Csv(t, "images/link.png");
            File.CreateSymbolicLink(t.Combine("data", "images", "link.png"), BadInput.Png(t.Combine("elsewhere", "y.png"), 16, 16));
            return Parse(csv).With(2, "symbolic link", "outside");
        },
        ["folder link loops"] = t =>
        {
            var root = BadInput.ClassFolders(t.Combine("data"));
            Directory.CreateSymbolicLink(t.Combine("data", "benign", "loop"), "..");
            return Parse(root).With(2, "loop");
        },
        ["folder link into another class"] = t =>
        {
            var root = BadInput.ClassFolders(t.Combine("data"));
            Directory.CreateSymbolicLink(t.Combine("data", "benign", "more"), t.Combine("data", "malignant"));
            return Parse(root).With(2, "second time");
        },
        ["folder link leaving the root"] = t =>
        {
            var root = BadInput.ClassFolders(t.Combine("data"));
            BadInput.ClassFolders(t.Combine("other"));
            Directory.CreateSymbolicLink(t.Combine("data", "benign", "ext"), t.Combine("other", "benign"));
            return Parse(root).With(2, "outside the dataset folder");
        },
        ["file link leaving the root"] = t =>
        {
            var root = BadInput.ClassFolders(t.Combine("data"));
            File.CreateSymbolicLink(t.Combine("data", "benign", "ext.png"), BadInput.Png(t.Combine("other", "z.png"), 16, 16));
            return Parse(root).With(2, "outside the dataset folder");
        },

        // Label spaces that are not what they claim.
        ["npz labels 0 and 255"] = t => Parse(BadInput.Npz(t.Combine("mask.npz"), ("train", [0, 255, 0, 255, 0, 255]), ("test", [0, 255]))).With(2, "{0, 255}", "256 classes"),
        ["npz negative labels"] = t => Parse(BadInput.Npz(t.Combine("neg.npz"), ("train", [0, -1, 0, 1, 1, 0]))).With(2, "-1", "not a class index"),
        ["class only in the test split"] = t =>
        {
            BadInput.ClassFolders(t.Combine("data", "train"));
            BadInput.ClassFolders(t.Combine("data", "test"), 3, "benign", "malignant", "other");
            return Develop(t, "--data", t.Combine("data"), "--non-interactive").With(2, "'other'", "no training images");
        },
        ["1x1 images only"] = t =>
        {
            for (int i = 0; i < 4; i++) { BadInput.Png(t.Combine("tiny", "a", $"{i}.png"), 1, 1); BadInput.Png(t.Combine("tiny", "b", $"{i}.png"), 1, 1); }
            return Parse(t.Combine("tiny")).With(2, "1x1", "at least 2x2");
        },
        ["zero-byte images only"] = t =>
        {
            Directory.CreateDirectory(t.Combine("zero", "a")); Directory.CreateDirectory(t.Combine("zero", "b"));
            for (int i = 0; i < 3; i++) { File.WriteAllBytes(t.Combine("zero", "a", $"{i}.png"), []); File.WriteAllBytes(t.Combine("zero", "b", $"{i}.png"), []); }
            return Parse(t.Combine("zero")).With(2, "empty (0 bytes)");
        },
        ["huge images only"] = t =>
        {
            for (int i = 0; i < 2; i++) { BadInput.HugePngHeader(t.Combine("huge", "a", $"{i}.png"), 20000, 20000); BadInput.HugePngHeader(t.Combine("huge", "b", $"{i}.png"), 50000, 50000); }
            return Parse(t.Combine("huge")).With(2, "megapixels", "--max-image-pixels");
        },

        // A request for outlines on data without masks: a classifier would answer another question.
        ["outlines asked of class folders"] = t =>
        {
            for (int i = 0; i < 4; i++) { BadInput.Png(t.Combine("cls", "lesion", $"{i}.png"), 16, 16); BadInput.Png(t.Combine("cls", "normal", $"{i}.png"), 16, 16); }
            return Develop(t, "--data", t.Combine("cls"), "--request", "Outline the lesion on each image").With(2, "asks for outlines", "not masks", "images/ and masks/");
        },
        ["mask smaller than its image"] = t =>
        {
            BadInput.Png(t.Combine("seg", "images", "a.png"), 16, 16);
            BadInput.Mask(t.Combine("seg", "masks", "a.png"), 12, 16);
            return Parse(t.Combine("seg")).With(2, "a.png", "12x16", "16x16", "a mask must have its image's size");
        },

        // predict on files that are not images: refused one by one, never a lost batch or a trace.
        ["predict a text file"] = t => Predict(t, Text(t.Combine("notes.png"), "hello")).With(2, "notes.png", "not a recognised image format"),
        ["predict a truncated PNG"] = t => Predict(t, BadInput.TruncatedPng(t.Combine("cut.png"))).With(2, "cut.png", "truncated"),
        ["predict a DICOM file"] = t => Predict(t, BadInput.Dicom(t.Combine("scan.dcm"))).With(2, "scan.dcm", "DICOM"),
        ["predict a zero-byte file"] = t => Predict(t, Text(t.Combine("empty.png"), "")).With(2, "empty (0 bytes)"),
        ["predict a 1x1 image"] = t => Predict(t, BadInput.Png(t.Combine("dot.png"), 1, 1)).With(2, "1x1"),
        ["predict a 20000x20000 PNG"] = t => Predict(t, BadInput.HugePngHeader(t.Combine("bomb.png"), 20000, 20000)).With(2, "20000x20000", "megapixels", "--max-image-pixels"),
        ["predict a 50000x50000 PNG"] = t => Predict(t, BadInput.HugePngHeader(t.Combine("bomb.png"), 50000, 50000)).With(2, "50000x50000", "megapixels"),
        ["predict above a lowered pixel limit"] = t => Predict(t, BadInput.Png(t.Combine("big.png"), 64, 64)).Plus("--max-image-pixels", "1000").With(2, "64x64", "limit"),
        ["predict a missing file"] = t => Predict(t, t.Combine("gone.png")).With(2, "no such file or folder"),
        ["predict a folder of DICOM"] = t => { BadInput.Dicom(t.Combine("dcm", "a.dcm")); return Predict(t, t.Combine("dcm")).With(2, "a.dcm", "DICOM"); },
    };

    public static TheoryData<string> Names() => [.. s_cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Should_RefuseWithAClearMessageAndNoStackTrace_When_TheInputIsBad(string name)
    {
        // Given the bad input of this case
        using var tmp = new TempDir();
        var c = s_cases[name](tmp);

        // When clinforge is run on it
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), c.Args);

        // Then it exits with the case's code, says what is wrong, and shows no stack trace
        BadInput.AssertClean(name, code, stdout, stderr);
        Assert.True(c.Exit == code, $"{name}: exit {code}, expected {c.Exit}\n{stdout}\n{stderr}");
        foreach (var words in c.Says) Assert.True(stderr.Contains(words, StringComparison.Ordinal), $"{name}: the message lacks '{words}':\n{stderr}");
    }

    [Fact]
    public void Should_ListEveryOptionWithWhatItTakes_When_ACommandIsAskedForHelp()
    {
        // When a user asks for develop's help, the long way and the short way
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--help");
        var (helpCode, helpOut, _) = Repo.RunCli(TimeSpan.FromMinutes(1), "help", "develop");

        // Then both succeed with the same generated help, naming each option with its value and the choices where there are few
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal(0, helpCode);
        Assert.Equal(stdout, helpOut);
        foreach (var option in new[] { "--request <TEXT>", "--trial-minutes <M>", "--protocol <auto|holdout|folds>", "--start <auto|pretrained|scratch>", "--executor <local|slurm>", "--slurm-partition <P>", "--allow-root <DIR>" })
            Assert.True(stdout.Contains(option, StringComparison.Ordinal), $"develop --help lacks '{option}':\n{stdout}");
    }

    [Fact]
    public void Should_SayTheSameWhetherTheFileExistsOrNot_When_ACsvRowLeavesTheDatasetFolder()
    {
        // Given two CSVs naming a file outside the dataset: one that exists, one that does not
        using var tmp = new TempDir();
        var (_, _, existing) = Repo.RunCli(TimeSpan.FromMinutes(1), "parse", Request, "--data", Csv(tmp, "/etc/hostname", "a"));
        var (_, _, missing) = Repo.RunCli(TimeSpan.FromMinutes(1), "parse", Request, "--data", Csv(tmp, "/etc/no-such-file-here", "b"));

        // Then both are refused with the same words: the refusal tells nothing about what exists
        Assert.Equal(existing.Replace("/etc/hostname", "X", StringComparison.Ordinal).Replace(tmp.Combine("data", "a"), "D", StringComparison.Ordinal),
            missing.Replace("/etc/no-such-file-here", "X", StringComparison.Ordinal).Replace(tmp.Combine("data", "b"), "D", StringComparison.Ordinal));
        Assert.Contains("outside the dataset folder", existing, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ReadAFileElsewhere_When_TheUserAllowsItsFolder()
    {
        // Given a CSV naming an image in another folder
        using var tmp = new TempDir();
        var csv = Csv(tmp, BadInput.Png(tmp.Combine("elsewhere", "x.png"), 16, 16));

        // When the user names that folder with --allow-root
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "parse", Request, "--data", csv, "--allow-root", tmp.Combine("elsewhere"));

        // Then the data are read
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
    }

    [Fact]
    public void Should_RefuseASecondWriter_When_AnotherProcessHoldsTheRunLock()
    {
        // Given a run folder whose lock another process holds (this test process)
        using var tmp = new TempDir();
        var data = Data(tmp);
        var run = new RunPaths(tmp.Combine("run"));
        using (RunLock.Acquire(run))
        {
            // When develop and report are started on it
            var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", Request, "--data", data, "--run", run.Root, "--non-interactive");
            // Then develop is refused, saying another process writes the run
            BadInput.AssertClean("second writer", code, stdout, stderr);
            Assert.Equal(75, code);
            Assert.Contains("another clinforge process is writing this run", stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(run.TaskSpec), "the refused writer wrote the run");
        }

        // And once the holder is gone the lock is free again (nothing stuck)
        using (RunLock.Acquire(run)) { }
    }

    [Fact]
    public void Should_ReleaseTheLock_When_TheHolderIsKilled()
    {
        // Given a develop process killed while it holds the run's lock
        using var tmp = new TempDir();
        var data = BadInput.ClassFolders(tmp.Combine("data"), 30);
        var run = new RunPaths(tmp.Combine("run"));
        Repo.KillCliAfter(run.Journal, TimeSpan.FromSeconds(0.5), "develop", "--request", Request, "--data", data, "--run", run.Root, "--non-interactive", "--rounds", "0", "--threads", "1");

        // Then the lock file is left but not held: a new writer takes it at once
        Assert.True(File.Exists(Path.Combine(run.Root, RunLock.FileName)));
        using (RunLock.Acquire(run)) { }
    }

    [Fact]
    public void Should_RefuseToWriteTheRun_When_ItsParentMayNotBeWritten()
    {
        // Given a folder without write permission (for root, run with the permission-override capability dropped)
        using var tmp = new TempDir();
        var data = Data(tmp);
        Directory.CreateDirectory(tmp.Combine("locked"));
        BadInput.Sh($"chmod 500 '{tmp.Combine("locked")}'");
        if (Environment.UserName == "root" && !BadInput.Sh("command -v setpriv"))
        {
            Console.WriteLine("skipped: running as root without setpriv, a folder without write permission cannot be made");
            return;
        }
        try
        {
            // When a run is started under it
            var (code, stdout, stderr) = BadInput.RunCli(TimeSpan.FromMinutes(1), asUnprivileged: true, "develop", "--request", Request, "--data", data, "--run", tmp.Combine("locked", "run"), "--non-interactive");
            // Then it is refused with the folder named
            BadInput.AssertClean("unwritable parent", code, stdout, stderr);
            Assert.Equal(73, code);
            Assert.Contains("cannot be created", stderr, StringComparison.Ordinal);
            Assert.Contains(tmp.Combine("locked", "run"), stderr, StringComparison.Ordinal);
        }
        finally
        {
            BadInput.Sh($"chmod 700 '{tmp.Combine("locked")}'");
        }
    }

    [Fact]
    public void Should_SayTheFileSystemIsReadOnlyOrFull_When_TheRunCannotBeWritten()
    {
        // Given a read-only file system and a full one (tiny tmpfs mounts; this needs root)
        using var tmp = new TempDir();
        var data = Data(tmp);
        var ro = tmp.Combine("ro");
        var full = tmp.Combine("full");
        Directory.CreateDirectory(ro);
        Directory.CreateDirectory(full);
        if (!BadInput.Sh($"mount -t tmpfs -o ro,size=64k tmpfs '{ro}' && mount -t tmpfs -o size=16k tmpfs '{full}'"))
        {
            BadInput.Sh($"umount '{ro}'");
            Console.WriteLine("skipped: tmpfs cannot be mounted here (not root); the disk-full message is checked by CliBoundaryTests");
            return;
        }
        try
        {
            // When a run is started on the read-only one
            var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "develop", "--request", Request, "--data", data, "--run", Path.Combine(ro, "run"), "--non-interactive");
            // Then it says so
            BadInput.AssertClean("read-only", code, stdout, stderr);
            Assert.NotEqual(0, code);
            Assert.Contains("read-only", stderr, StringComparison.OrdinalIgnoreCase);

            // When predictions are written to the full one
            BadInput.Sh($"dd if=/dev/zero of='{full}/filler' bs=1k 2>/dev/null; true");
            (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(1), "data", "add", data, "--name", "d", "--workspace", full);
            // Then it says the disk is full, with no trace
            BadInput.AssertClean("disk full", code, stdout, stderr);
            Assert.Equal(74, code);
            Assert.Contains("disk is full", stderr, StringComparison.Ordinal);
        }
        finally
        {
            BadInput.Sh($"umount '{ro}'; umount '{full}'");
        }
    }

    private static Case Develop(TempDir t, params string[] extra)
    {
        var args = new List<string> { "develop", "--request", Request, "--run", t.Combine("run"), "--non-interactive" };
        if (!extra.Contains("--data")) args.AddRange(["--data", Data(t)]);
        args.AddRange(extra);
        if (extra.Contains("--run")) { int i = args.IndexOf("--run"); args.RemoveRange(i, 2); }
        if (extra.Contains("--request")) { int i = args.IndexOf("--request"); args.RemoveRange(i, 2); }
        return new Case([.. args], 2);
    }

    private static Case Parse(string data) => new(["parse", Request, "--data", data], 2);

    private static Case Predict(TempDir t, string file)
    {
        // A package folder: files are checked before the model is loaded, so its model need not be a real one.
        BadInput.Package(t.Combine("package"));
        return new Case(["predict", t.Combine("package"), file, "--out", t.Combine("out")], 2);
    }

    private static Case Resume(TempDir t, Func<RunSettings, RunSettings> edit)
    {
        var run = new RunPaths(t.Combine("run"));
        Directory.CreateDirectory(run.Root);
        File.WriteAllText(run.TaskSpec, "{}");
        Json.Write(run.Settings, edit(new RunSettings(Data(t), 1, 60, 17, 1)));
        return new Case(["resume", run.Root], 2);
    }

    private static string Data(TempDir t) => Directory.Exists(t.Combine("data")) ? t.Combine("data") : BadInput.ClassFolders(t.Combine("data"));

    /// <summary>A CSV of four good rows and one naming <paramref name="badRow"/>, in DATA/[sub]/labels.csv.</summary>
    private static string Csv(TempDir t, string badRow, string sub = "")
    {
        var dir = sub.Length == 0 ? t.Combine("data") : t.Combine("data", sub);
        for (int i = 0; i < 4; i++) BadInput.Png(Path.Combine(dir, "images", $"{i}.png"), 16, 16, (byte)(60 * i));
        var path = Path.Combine(dir, "labels.csv");
        File.WriteAllText(path, "image,label\nimages/0.png,benign\nimages/1.png,malignant\nimages/2.png,benign\nimages/3.png,malignant\n" + badRow + ",benign\n");
        return path;
    }

    private static string Text(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }
}
