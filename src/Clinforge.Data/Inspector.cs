using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Looks at every image once and writes down what a person (and the initializer) should know: counts
/// per split and class, sizes, channels, identical images across splits (leakage), unreadable files.
/// </summary>
public static class Inspector
{
    /// <summary>Classes with fewer training images than this get a note.</summary>
    public const int FewTrainingImages = 20;

    private sealed record Seen(int Width, int Height, int Channels, string Hash);

    /// <summary>Inspects the items of <paramref name="splits"/>, decoding each once in parallel.</summary>
    public static DataCard Inspect(Dataset ds, Splits splits, int seed)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(splits);
        var assigned = new List<(DataItem Item, string Split)>();
        assigned.AddRange(splits.Train.Select(i => (i, SplitNames.Train)));
        assigned.AddRange(splits.Val.Select(i => (i, SplitNames.Val)));
        assigned.AddRange(splits.Test.Select(i => (i, SplitNames.Test)));

        var seen = new Seen?[assigned.Count];
        var failures = new string?[assigned.Count];
        Parallel.For(0, assigned.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                var img = ds.Load(assigned[i].Item);
                seen[i] = new Seen(img.Width, img.Height, img.Channels, ImageOps.PixelHash(img));
            }
            catch (ClinforgeException e)
            {
                failures[i] = e.Message;
            }
        });
        var failed = failures.Where(f => f is not null).Select(f => f!).ToList();
        if (failed.Count > 0)
        {
            // The header check at open passed but the pixels do not decode (or the file changed since); training
            // would stop on these later, so stop now with the whole list.
            throw new ClinforgeException(
                $"{ds.Source}: {failed.Count} images cannot be loaded: {string.Join(" | ", failed.Take(3))}" +
                (failed.Count > 3 ? $" | and {failed.Count - 3} more" : "") + ". Remove or replace them and run again.");
        }

        var counts = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        foreach (var split in new[] { SplitNames.Train, SplitNames.Val, SplitNames.Test })
        {
            var perClass = ds.Classes.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
            foreach (var (item, s) in assigned)
            {
                if (s == split) perClass[ds.Classes[item.Label]]++;
            }
            counts[split] = perClass;
        }

        var all = seen.Select(s => s!).ToList();
        var sizes = Summarise(all);
        var channels = all.Any(s => s.Channels == 3) ? 3 : 1;

        var crossSplit = new List<DuplicateGroup>();
        var withinSplit = 0;
        foreach (var group in Enumerable.Range(0, all.Count).GroupBy(i => all[i].Hash).Where(g => g.Count() > 1).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var splitNames = group.Select(i => assigned[i].Split).Distinct().OrderBy(SplitRank).ToList();
            if (splitNames.Count > 1)
            {
                crossSplit.Add(new DuplicateGroup(group.Key, group.Select(i => assigned[i].Item.Id).Order(StringComparer.Ordinal).ToList(), splitNames));
            }
            else
            {
                withinSplit++;
            }
        }

        var notes = new List<string>(ds.Notes);
        AddNotes(notes, ds, splits, counts, sizes, all, crossSplit, withinSplit);
        var detection = DetectionInspector.Summarise(ds, splits, notes);

        return new DataCard
        {
            Format = ds.Format,
            Source = ds.Source,
            Classes = ds.Classes,
            TotalItems = assigned.Count,
            Counts = counts,
            ImageSizes = sizes,
            Channels = channels,
            CrossSplitDuplicates = crossSplit,
            Unreadable = ds.Unreadable,
            SplitMethod = splits.Method,
            SplitSeed = seed,
            GroupColumn = ds.GroupColumn,
            Notes = notes,
            Detection = detection,
            Segmentation = ds.Segmentation?.Summary,
            Imaging = ds.Imaging,
        };
    }

    private static int SplitRank(string split) => split switch
    {
        SplitNames.Train => 0,
        SplitNames.Val => 1,
        _ => 2,
    };

    private static SizeSummary Summarise(List<Seen> all)
    {
        if (all.Count == 0) return new SizeSummary(0, 0, 0, 0, 0, 0);
        var common = all.GroupBy(s => (s.Width, s.Height))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Width).ThenBy(g => g.Key.Height)
            .First().Key;
        return new SizeSummary(all.Min(s => s.Width), all.Max(s => s.Width), all.Min(s => s.Height), all.Max(s => s.Height), common.Width, common.Height);
    }

    private static void AddNotes(
        List<string> notes, Dataset ds, Splits splits, Dictionary<string, IReadOnlyDictionary<string, int>> counts,
        SizeSummary sizes, List<Seen> all, List<DuplicateGroup> crossSplit, int withinSplit)
    {
        var ci = CultureInfo.InvariantCulture;
        // Segmentation pairs carry their labels in the masks (the card's segmentation summary), not in image classes.
        foreach (var cls in ds.Segmentation is null ? ds.Classes : [])
        {
            var trainCount = counts[SplitNames.Train][cls];
            if (trainCount < FewTrainingImages) notes.Add($"class {cls} has only {trainCount} training images.");
            foreach (var split in new[] { SplitNames.Val, SplitNames.Test })
            {
                if (counts[split][cls] == 0) notes.Add($"class {cls} has no images in the {split} split: its {split} metrics cannot be measured.");
            }
        }

        var totals = ds.Classes.Select(c => counts.Values.Sum(perClass => perClass[c])).ToList();
        var largest = totals.Max();
        var smallest = totals.Where(t => t > 0).DefaultIfEmpty(0).Min();
        if (smallest > 0 && largest >= 3 * smallest)
        {
            var rare = ds.Classes[totals.IndexOf(smallest)];
            notes.Add(string.Format(ci, "classes are imbalanced: {0} is {1:0.#}% of the images (largest to smallest 1:{2:0.#}).", rare, 100.0 * smallest / totals.Sum(), (double)largest / smallest));
        }

        if (crossSplit.Count > 0)
        {
            notes.Add($"{crossSplit.Count} duplicate groups cross splits: leakage risk (identical images in {string.Join(" and ", crossSplit.SelectMany(d => d.Splits).Distinct().OrderBy(SplitRank))}).");
        }
        if (withinSplit > 0) notes.Add($"{withinSplit} groups of identical images within one split: they count more than once in training or in a metric.");

        if (sizes.MinWidth != sizes.MaxWidth || sizes.MinHeight != sizes.MaxHeight)
        {
            notes.Add($"image sizes vary from {sizes.MinWidth}x{sizes.MinHeight} to {sizes.MaxWidth}x{sizes.MaxHeight} (most common {sizes.CommonWidth}x{sizes.CommonHeight}); each is resized on its shorter side and centre-cropped.");
        }
        var grey = all.Count(s => s.Channels == 1);
        if (grey > 0 && grey < all.Count) notes.Add($"{grey} of {all.Count} images are grey and the rest colour; grey images are repeated into 3 channels.");

        if (splits.Method == "official")
        {
            notes.Add("the split comes with the data (official) and is kept.");
            // The data's own split may put copies of one source image (or one patient) on both sides.
            var development = splits.Train.Concat(splits.Val).Where(i => i.Group is not null).Select(i => i.Group!).ToHashSet(StringComparer.Ordinal);
            int shared = splits.Test.Count(i => i.Group is { } g && development.Contains(g));
            if (shared > 0)
                notes.Add($"{shared} of {splits.Test.Count} test images share their {(ds.GroupColumn ?? "group")} with training or validation images (the data's own split): test results may be optimistic for them.");
        }
        else if (ds.GroupColumn is { } gc)
        {
            var groupCount = ds.Items.Select(i => i.Group ?? "\0" + i.Id).Distinct().Count();
            notes.Add($"splits keep each '{gc}' group whole ({groupCount} groups for {ds.Items.Count} images).");
        }
        if (ds.Unreadable.Count > 0 && !notes.Any(n => n.Contains("could not be decoded", StringComparison.Ordinal)))
        {
            notes.Add($"{ds.Unreadable.Count} files could not be decoded and were left out.");
        }
    }
}
