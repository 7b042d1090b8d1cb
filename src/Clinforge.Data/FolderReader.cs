using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Folder layouts: root/&lt;class&gt;/**/image, and root/&lt;train|val|test&gt;/&lt;class&gt;/**/image (an official split).
/// Class names sort ordinally, so a label index means the same class on every machine.
/// </summary>
internal static class FolderReader
{
    /// <summary>The split a folder name stands for, or null.</summary>
    public static string? SplitOf(string folderName) => folderName.ToLowerInvariant() switch
    {
        "train" or "training" => SplitNames.Train,
        "val" or "valid" or "validation" or "dev" => SplitNames.Val,
        "test" or "testing" => SplitNames.Test,
        _ => null,
    };

    public static Dataset ReadClassFolders(string root, IReadOnlyList<string> subdirs)
    {
        var notes = new List<string>();
        var perClass = ListClassFolders(root, subdirs, root, []);
        var classes = perClass.Select(p => p.Name).ToList();
        if (classes.Count < 2)
        {
            throw new ClinforgeException($"{root}: only one class folder ('{classes[0]}'). A classifier needs at least two: add a folder per class beside it.");
        }
        var rootImages = Directory.EnumerateFiles(root).Count(f => !ImageFiles.IsHidden(Path.GetFileName(f)) && ImageFiles.HasImageExtension(f));
        if (rootImages > 0)
        {
            notes.Add($"{rootImages} images directly in {root} (outside any class folder) were ignored: their class is unknown.");
        }

        var candidates = new List<FileCandidate>();
        for (var c = 0; c < perClass.Count; c++)
        {
            foreach (var file in perClass[c].Files) candidates.Add(new FileCandidate(ImageFiles.RelativeId(root, file), file, c));
        }
        candidates.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return FileDatasetBuilder.Build("folder", root, classes, candidates, notes: notes);
    }

    public static Dataset ReadSplitFolders(string root, IReadOnlyList<string> splitDirs)
    {
        var notes = new List<string>();
        var found = new List<(string Split, string Class, string File)>();
        var seenSplits = new HashSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in splitDirs)
        {
            var split = SplitOf(Path.GetFileName(dir))!;
            if (!seenSplits.Add(split))
            {
                throw new ClinforgeException($"{root}: two folders stand for the '{split}' split ({string.Join(", ", splitDirs.Where(d => SplitOf(Path.GetFileName(d)) == split).Select(Path.GetFileName))}). Keep one.");
            }
            var classDirs = ImageFiles.VisibleSubfolders(dir);
            var names = classDirs.Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (names.Contains("images") && names.Contains("labels"))
            {
                throw new ClinforgeException($"{dir}: holds images/ and labels/, the layout of a detection (YOLO) dataset. This reader handles classification: one subfolder per class inside each split folder.");
            }
            if (classDirs.Count == 0)
            {
                throw new ClinforgeException($"{dir}: the '{split}' folder has no class subfolders. Inside each split folder put one subfolder per class.");
            }
            foreach (var folder in ListClassFolders(dir, classDirs, root, visited))
            {
                foreach (var file in folder.Files) found.Add((split, folder.Name, file));
            }
        }

        var classes = found.Select(f => f.Class).Distinct().Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
        {
            throw new ClinforgeException($"{root}: only one class ('{classes[0]}') across the split folders. A classifier needs at least two.");
        }
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var candidates = new List<FileCandidate>(found.Count);
        var official = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (split, cls, file) in found)
        {
            var id = ImageFiles.RelativeId(root, file);
            candidates.Add(new FileCandidate(id, file, index[cls]));
            official[id] = split;
        }
        candidates.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        foreach (var missing in new[] { SplitNames.Train, SplitNames.Val, SplitNames.Test }.Where(s => !seenSplits.Contains(s)))
        {
            notes.Add($"no '{missing}' folder: the {missing} split is drawn from the training folder.");
        }
        return FileDatasetBuilder.Build("folder", root, classes, candidates, official, notes: notes);
    }

    private static List<(string Name, List<string> Files)> ListClassFolders(string parent, IReadOnlyList<string> subdirs, string root, HashSet<string> visited)
    {
        // One set of walked folders for the whole dataset: a link from one class folder into another is refused.
        var perClass = subdirs.Select(d => (Name: Path.GetFileName(d), Files: ImageFiles.EnumerateImages(d, root, visited))).ToList();
        if (perClass.All(p => p.Files.Count == 0))
        {
            throw new ClinforgeException($"{parent}: no images in any of its folders ({string.Join(", ", perClass.Select(p => p.Name))}). Put image files (PNG, JPEG, BMP, TIFF, GIF) in one folder per class.");
        }
        var empty = perClass.Where(p => p.Files.Count == 0).Select(p => Path.Combine(parent, p.Name)).ToList();
        if (empty.Count > 0)
        {
            throw new ClinforgeException($"{empty[0]}: class folder '{Path.GetFileName(empty[0])}' has no images{(empty.Count > 1 ? $" (nor have {string.Join(", ", empty.Skip(1).Select(Path.GetFileName))})" : "")}. Add images (PNG, JPEG, BMP, TIFF, GIF) or remove the folder.");
        }
        return perClass;
    }
}
