using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Splits a dataset into train, val and test. The source's own split is kept when it has one
/// ("official"; a split it lacks is drawn from its train part). Otherwise the split is stratified by
/// label and grouped ("stratified_grouped"): all items of a group (patient, lesion) land in one split,
/// and each class is spread over the splits in the asked proportions.
/// </summary>
/// <remarks>
/// The algorithm, seeded and deterministic: groups are shuffled with <c>SeededRandom</c> (SplitMix64,
/// fixed across .NET versions, unlike <see cref="Random"/>'s unspecified algorithm). First, for every
/// class present in at least three groups, rarest class first, the smallest unassigned groups holding it
/// seed each split that still lacks the class, so a class with three or more items (in three or more
/// groups) appears in train, val and test. Then the remaining groups, largest first, each go to the split
/// where they reduce the squared shortfall per class the most, Σ_c ((n_sc + g_c − t_sc)² − (n_sc − t_sc)²) / t_sc,
/// with t_sc the class's target count in that split. For single-item groups this is a Sainte-Laguë
/// apportionment, so per-class proportions come within one item of the target.
/// </remarks>
public static class Splitter
{
    /// <summary>Splits <paramref name="ds"/>; <paramref name="train"/> and <paramref name="val"/> are fractions, test gets the rest.</summary>
    public static Splits Split(Dataset ds, int seed, double train = 0.70, double val = 0.15)
    {
        ArgumentNullException.ThrowIfNull(ds);
        if (!(train > 0 && val > 0 && train + val < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(train), $"need train > 0, val > 0 and train + val < 1 (got {train}, {val})");
        }
        if (ds.Items.Count == 0) throw new ClinforgeException($"{ds.Source}: no items to split.");
        double[] fractions = [train, val, 1 - train - val];
        string[] names = [SplitNames.Train, SplitNames.Val, SplitNames.Test];
        var rng = new SeededRandom(unchecked((ulong)seed));

        if (ds.OfficialSplit is { } official)
        {
            var lists = names.ToDictionary(n => n, _ => new List<DataItem>(), StringComparer.Ordinal);
            foreach (var item in ds.Items)
            {
                var split = official.TryGetValue(item.Id, out var s) && lists.ContainsKey(s) ? s : SplitNames.Train;
                lists[split].Add(item);
            }
            // A source that lacks val or test: draw the missing ones from its train part, in the asked proportions.
            var missing = names.Skip(1).Where(n => lists[n].Count == 0).ToList();
            if (missing.Count > 0)
            {
                var pool = lists[SplitNames.Train];
                var poolFractions = new double[3];
                poolFractions[0] = train;
                foreach (var n in missing) poolFractions[Array.IndexOf(names, n)] = fractions[Array.IndexOf(names, n)];
                var total = poolFractions.Sum();
                for (var i = 0; i < 3; i++) poolFractions[i] /= total;
                var assigned = Assign(pool, ds.Classes.Count, poolFractions, rng);
                var carved = names.ToDictionary(n => n, _ => new List<DataItem>(), StringComparer.Ordinal);
                for (var i = 0; i < pool.Count; i++) carved[names[assigned[i]]].Add(pool[i]);
                lists[SplitNames.Train] = carved[SplitNames.Train];
                foreach (var n in missing) lists[n] = carved[n];
            }
            // A class the source puts only in its val or test part cannot be learned: a model trained without
            // it would still be scored on it, and a binary request would silently become a three-class one.
            var untrained = Enumerable.Range(0, ds.Classes.Count).Where(c => lists[SplitNames.Train].All(i => i.Label != c) && ds.Items.Any(i => i.Label == c)).ToList();
            if (untrained.Count > 0)
            {
                string Where(int c) => string.Join(" and ", names.Skip(1).Where(n => lists[n].Any(i => i.Label == c)).Select(n => $"{lists[n].Count(i => i.Label == c)} in {n}"));
                throw new ClinforgeException($"{ds.Source}: class {string.Join(", ", untrained.Select(c => $"'{ds.Classes[c]}' ({Where(c)})"))} has no training images in the data's own split, so no model can learn it. " +
                    "Add training images of that class, or remove its images from the other splits.");
            }
            return new Splits(lists[SplitNames.Train], lists[SplitNames.Val], lists[SplitNames.Test], "official", seed);
        }

        var which = Assign(ds.Items, ds.Classes.Count, fractions, rng);
        var result = names.Select(_ => new List<DataItem>()).ToArray();
        for (var i = 0; i < ds.Items.Count; i++) result[which[i]].Add(ds.Items[i]);
        return new Splits(result[0], result[1], result[2], "stratified_grouped", seed);
    }

    /// <summary>
    /// The same development pool (train and val together) cut into <paramref name="k"/> folds for
    /// cross-validation, stratified by label and grouped exactly as the splits are (a patient's images
    /// share a fold), seeded from the split seed. The test split is untouched. Val becomes fold 0 and
    /// train the other folds, so code that knows nothing of folds sees a valid hold-out split.
    /// </summary>
    public static Splits WithFolds(Splits splits, int classCount, int k)
    {
        ArgumentNullException.ThrowIfNull(splits);
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "cross-validation needs at least 2 folds");
        var pool = splits.Pool();
        // A different stream from the split's own draw, so the folds do not echo the train/val cut.
        var rng = new SeededRandom(unchecked((ulong)splits.Seed * 0x9E3779B97F4A7C15UL + 0xF01D5UL));
        var fold = Assign(pool, classCount, Enumerable.Repeat(1.0 / k, k).ToArray(), rng);
        var folds = Enumerable.Range(0, k).Select(f => (IReadOnlyList<string>)Enumerable.Range(0, pool.Count).Where(i => fold[i] == f).Select(i => pool[i].Id).ToList()).ToList();
        var train = Enumerable.Range(0, pool.Count).Where(i => fold[i] != 0).Select(i => pool[i]).ToList();
        var val = Enumerable.Range(0, pool.Count).Where(i => fold[i] == 0).Select(i => pool[i]).ToList();
        return splits with { Train = train, Val = val, Folds = folds };
    }

    private sealed class Group
    {
        public List<int> Members { get; } = [];
        public Dictionary<int, int> PerClass { get; } = [];
        public int Split { get; set; } = -1;
    }

    /// <summary>Split index (into <paramref name="fractions"/>) for each item, keeping groups whole.</summary>
    private static int[] Assign(IReadOnlyList<DataItem> items, int classCount, double[] fractions, SeededRandom rng)
    {
        var byKey = new Dictionary<string, Group>(StringComparer.Ordinal);
        var groups = new List<Group>();
        for (var i = 0; i < items.Count; i++)
        {
            // An item without a group is a group of its own; the prefix keeps such keys apart from real group values.
            var key = items[i].Group is { } g ? "g:" + g : "i:" + items[i].Id;
            if (!byKey.TryGetValue(key, out var group))
            {
                byKey[key] = group = new Group();
                groups.Add(group);
            }
            group.Members.Add(i);
            group.PerClass[items[i].Label] = group.PerClass.GetValueOrDefault(items[i].Label) + 1;
        }
        rng.Shuffle(groups);

        var splits = fractions.Length;
        var classTotals = new int[classCount];
        foreach (var item in items) classTotals[item.Label]++;
        var target = new double[splits, classCount];
        for (var s = 0; s < splits; s++)
            for (var c = 0; c < classCount; c++) target[s, c] = fractions[s] * classTotals[c];
        var current = new int[splits, classCount];

        void Place(Group group, int split)
        {
            group.Split = split;
            foreach (var (c, n) in group.PerClass) current[split, c] += n;
        }

        // Seeding: rarest class first, so its few groups are not used up by commoner classes.
        var usedSplits = Enumerable.Range(0, splits).Where(s => fractions[s] > 0).OrderBy(s => fractions[s]).ToList();
        var classOrder = Enumerable.Range(0, classCount).OrderBy(c => classTotals[c]).ThenBy(c => c).ToList();
        foreach (var c in classOrder)
        {
            var holding = groups.Where(g => g.PerClass.ContainsKey(c)).ToList();
            if (holding.Count < usedSplits.Count) continue;
            foreach (var s in usedSplits)
            {
                if (current[s, c] > 0) continue;
                // Smallest group first (stable on the shuffled order), to disturb the proportions least.
                var pick = holding.Where(g => g.Split < 0).OrderBy(g => g.Members.Count).FirstOrDefault();
                if (pick is null) break;
                Place(pick, s);
            }
        }

        // Greedy: largest groups first, while there is still room to balance around them.
        foreach (var group in groups.Where(g => g.Split < 0).OrderByDescending(g => g.Members.Count).ToList())
        {
            var best = -1;
            var bestCost = double.PositiveInfinity;
            for (var s = 0; s < splits; s++)
            {
                if (fractions[s] <= 0) continue;
                var cost = 0.0;
                foreach (var (c, n) in group.PerClass)
                {
                    var t = target[s, c];
                    var before = current[s, c] - t;
                    var after = before + n;
                    cost += (after * after - before * before) / t;
                }
                if (cost < bestCost)
                {
                    bestCost = cost;
                    best = s;
                }
            }
            Place(group, best);
        }

        var result = new int[items.Count];
        foreach (var group in groups)
            foreach (var m in group.Members) result[m] = group.Split;
        return result;
    }
}
