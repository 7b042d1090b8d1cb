using System.Globalization;
using System.Text;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>Label maps of a trial's saved model on items, each on the image's own pixels (injected: Development does not reference Training).</summary>
public delegate IReadOnlyList<byte[]> TrialSegmenter(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items);

/// <summary>
/// The one look at the sealed test split for segmentation runs: the initial (trial 0) and final (best)
/// models outline the same test images at the images' own resolution; Dice, IoU, sensitivity,
/// precision and HD95 per image and label inside the region of interest (the Metrics Reloaded choices
/// for tubular and blob-like structures, Maier-Hein et al. 2024), their means with 95% bootstrap CIs
/// over images, and the paired difference in Dice. Example overlays of the final model (best, median
/// and worst Dice) go to the report.
/// </summary>
public static class SegmentationFinalEvaluator
{
    /// <summary>Bootstrap resamples over images.</summary>
    public const int Resamples = 2000;

    /// <summary>Runs the evaluation and writes its files (see <see cref="DetectionFinalEvaluator.Evaluate"/> for <paramref name="interrupted"/>).</summary>
    public static SegmentationEvaluation Evaluate(RunPaths run, Journal journal, TrialSegmenter segmenter, TaskSpec spec, Dataset dataset, int seed, bool interrupted)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(segmenter);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(dataset);
        var masks = dataset.Segmentation ?? throw new ClinforgeException($"{dataset.Source}: not a segmentation dataset.");
        var (best, test, lookedAt) = TestLook.Open(run, journal, "final segmentation evaluation", interrupted);
        var labelNames = Json.Read<Recipe>(run.Trial(best.Number).Recipe).Segmentation?.Labels ?? ["foreground"];
        var truth = test.Select(i => masks.Labels(i.Id)).ToList();
        var regions = test.Select(i => masks.Region(i.Id)).ToList();
        var sizes = test.Select(i => dataset.Load(i)).Select(img => (img.Width, img.Height)).ToList();

        (SegmentationModelResult Result, IReadOnlyList<byte[]> Maps) Score(int trial)
        {
            var maps = segmenter(run.Trial(trial), dataset, test);
            var images = new List<SegmentationImageScore>();
            for (int i = 0; i < test.Count; i++)
                for (int k = 1; k <= labelNames.Count; k++)
                    images.Add(SegmentationMetrics.Score(test[i].Id, truth[i], maps[i], regions[i] ?? [], sizes[i].Width, sizes[i].Height, k));
            var summaries = Enumerable.Range(1, labelNames.Count)
                .Select(k => SegmentationMetrics.Summarise(images.Where(s => s.Label == k).ToList(), Resamples, seed)).ToList();
            return (new SegmentationModelResult(trial, summaries, images), maps);
        }

        var (initial, initialMaps) = Score(0);
        var (final, finalMaps) = best.Number == 0 ? (initial, initialMaps) : Score(best.Number);
        var evaluation = new SegmentationEvaluation
        {
            LookedAt = lookedAt,
            TestImages = test.Count,
            Labels = labelNames,
            ObjectiveName = spec.PrimaryMetric,
            RegionOfInterest = regions.Any(r => r is not null),
            Initial = initial,
            Final = final,
            DiceChange = best.Number == 0 ? null : SegmentationMetrics.PairedDice(MeanOverLabels(initial.Images), MeanOverLabels(final.Images), Resamples, seed),
            BootstrapResamples = Resamples,
            BootstrapSeed = seed,
            Examples = Examples(run, dataset, test, finalMaps, truth, regions, MeanOverLabels(final.Images)),
        };
        WriteScores(run, evaluation);
        Json.Write(run.SegmentationEvaluation, evaluation);
        journal.Event("evaluation", $"segmentation test evaluation written: initial trial 0, final trial {best.Number}");
        return evaluation;
    }

    /// <summary>One score per image: Dice averaged over the labels (label 1's own scores when there is one label).</summary>
    public static IReadOnlyList<SegmentationImageScore> MeanOverLabels(IReadOnlyList<SegmentationImageScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return scores.GroupBy(s => s.Id).Select(g => g.Count() == 1 ? g.First() : g.First() with { Label = 0, Dice = g.Average(s => s.Dice), Iou = g.Average(s => s.Iou) }).ToList();
    }

    /// <summary>Overlays of the final model on the test images with the best, median and worst Dice.</summary>
    private static List<SegmentationExample> Examples(RunPaths run, Dataset dataset, IReadOnlyList<DataItem> test, IReadOnlyList<byte[]> maps,
        IReadOnlyList<byte[]> truth, IReadOnlyList<byte[]?> regions, IReadOnlyList<SegmentationImageScore> scores)
    {
        var order = Enumerable.Range(0, test.Count).OrderBy(i => scores[i].Dice).ThenBy(i => test[i].Id, StringComparer.Ordinal).ToList();
        if (order.Count == 0) return [];
        var picks = new List<(string Kind, int Index)> { ("best", order[^1]), ("median", order[order.Count / 2]), ("worst", order[0]) }
            .DistinctBy(p => p.Index).ToList();
        Directory.CreateDirectory(run.ExamplesDir);
        var result = new List<SegmentationExample>();
        foreach (var (kind, i) in picks)
        {
            var name = $"segmentation_{kind}.png";
            File.WriteAllBytes(Path.Combine(run.ExamplesDir, name), SegmentationDrawing.Compare(dataset.Load(test[i]), maps[i], truth[i], regions[i] ?? []));
            result.Add(new SegmentationExample(kind, test[i].Id, scores[i].Dice, "examples/" + name));
        }
        return result;
    }

    /// <summary>final/test_scores.csv: every test image's scores for each model and label.</summary>
    private static void WriteScores(RunPaths run, SegmentationEvaluation e)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("model,trial,id,label,dice,iou,sensitivity,precision,hd95,truth_pixels,predicted_pixels\n");
        foreach (var (name, result) in new[] { ("initial", e.Initial), ("final", e.Final) })
            foreach (var s in result.Images)
                sb.Append(ci, $"{name},{result.Trial},\"{s.Id.Replace("\"", "\"\"", StringComparison.Ordinal)}\",{e.Labels[s.Label - 1]},{s.Dice:F6},{s.Iou:F6},{s.Sensitivity:F6},{s.Precision:F6},{(s.Hd95 is { } h ? h.ToString("F3", ci) : "")},{s.TruthPixels},{s.PredictedPixels}\n");
        File.WriteAllText(Path.Combine(run.FinalDir, "test_scores.csv"), sb.ToString());
    }
}
