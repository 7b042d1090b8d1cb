using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>Ground-truth and predicted boxes of one image (one detection class; predictions carry scores).</summary>
public sealed record ImageDetections(IReadOnlyList<BoundingBox> Truth, IReadOnlyList<BoundingBox> Predicted);

/// <summary>True/false positives and misses at one IoU and score threshold, with the rates they give.</summary>
public sealed record DetectionCounts(int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>TP / (TP + FP); 1 when nothing was predicted (no false marks).</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);
    /// <summary>TP / (TP + FN): the share of findings marked; 1 when there are none.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);
    /// <summary>Harmonic mean of precision and recall.</summary>
    public double F1 => FBeta(1);
    /// <summary>F-beta (van Rijsbergen 1979): β = 2 weighs recall four times as much as precision.</summary>
    public double FBeta(double beta)
    {
        double b2 = beta * beta, denom = (1 + b2) * TruePositives + b2 * FalseNegatives + FalsePositives;
        return denom == 0 ? 0 : (1 + b2) * TruePositives / denom;
    }
}

/// <summary>
/// COCO-style detection metrics (Lin et al. 2014; the pycocotools evaluation): greedy matching of
/// predictions in descending score order to the unmatched ground truth of highest IoU at or above
/// the threshold; AP as the mean of the interpolated precision (the precision envelope) at the 101
/// recall points 0, 0.01, ..., 1; mAP@50:95 the mean over IoU 0.50, 0.55, ..., 0.95. Confidence
/// intervals come from the bootstrap over images (Efron and Tibshirani 1993).
/// </summary>
public static class DetectionMetrics
{
    /// <summary>COCO's IoU thresholds 0.50:0.05:0.95.</summary>
    public static readonly double[] CocoIouThresholds = Enumerable.Range(0, 10).Select(i => 0.5 + 0.05 * i).ToArray();

    /// <summary>COCO's cap on detections per image.</summary>
    public const int MaxDetectionsPerImage = 100;

    /// <summary>Per prediction of one image (in descending score order): its score and whether it matched at <paramref name="iou"/>.</summary>
    public static (double Score, bool Match)[] Match(ImageDetections image, double iou)
    {
        ArgumentNullException.ThrowIfNull(image);
        var preds = image.Predicted.OrderByDescending(p => p.Score).Take(MaxDetectionsPerImage).ToList();
        var used = new bool[image.Truth.Count];
        var result = new (double, bool)[preds.Count];
        for (int i = 0; i < preds.Count; i++)
        {
            int best = -1; double bestIou = iou - 1e-12;
            for (int g = 0; g < image.Truth.Count; g++)
            {
                if (used[g] || image.Truth[g].Class != preds[i].Class) continue;
                double v = preds[i].Iou(image.Truth[g]);
                if (v >= bestIou) { bestIou = v; best = g; }
            }
            if (best >= 0) used[best] = true;
            result[i] = (preds[i].Score, best >= 0);
        }
        return result;
    }

    /// <summary>AP at one IoU threshold (101-point interpolation); NaN when there is no ground truth.</summary>
    public static double AveragePrecision(IReadOnlyList<ImageDetections> images, double iou)
    {
        ArgumentNullException.ThrowIfNull(images);
        return ApFromMatches(images.Select(i => Match(i, iou)).ToList(), images.Sum(i => i.Truth.Count));
    }

    /// <summary>AP from precomputed per-image matches and the total number of ground-truth boxes.</summary>
    public static double ApFromMatches(IReadOnlyList<(double Score, bool Match)[]> perImage, int truthCount)
    {
        ArgumentNullException.ThrowIfNull(perImage);
        if (truthCount == 0) return double.NaN;
        // Stable sort on descending score, image order breaking ties (pycocotools uses mergesort).
        var all = perImage.SelectMany(m => m).OrderByDescending(m => m.Score).ToList();
        var precision = new double[all.Count];
        var recall = new double[all.Count];
        int tp = 0;
        for (int i = 0; i < all.Count; i++)
        {
            if (all[i].Match) tp++;
            precision[i] = (double)tp / (i + 1);
            recall[i] = (double)tp / truthCount;
        }
        for (int i = all.Count - 2; i >= 0; i--) precision[i] = Math.Max(precision[i], precision[i + 1]);
        double sum = 0;
        int k = 0;
        for (int r = 0; r <= 100; r++)
        {
            double level = r / 100.0;
            while (k < all.Count && recall[k] < level) k++;
            if (k < all.Count) sum += precision[k];
        }
        return sum / 101;
    }

    /// <summary>AP at IoU 0.5.</summary>
    public static double Map50(IReadOnlyList<ImageDetections> images) => AveragePrecision(images, 0.5);

    /// <summary>Mean AP over IoU 0.50:0.05:0.95.</summary>
    public static double Map50To95(IReadOnlyList<ImageDetections> images) =>
        CocoIouThresholds.Average(t => AveragePrecision(images, t));

    /// <summary>Counts at <paramref name="iou"/> keeping predictions scored at least <paramref name="scoreThreshold"/>.</summary>
    public static DetectionCounts CountsAt(IReadOnlyList<ImageDetections> images, double iou, double scoreThreshold)
    {
        ArgumentNullException.ThrowIfNull(images);
        int tp = 0, fp = 0, truth = 0;
        foreach (var image in images)
        {
            truth += image.Truth.Count;
            var kept = new ImageDetections(image.Truth, image.Predicted.Where(p => p.Score >= scoreThreshold).ToList());
            foreach (var (_, match) in Match(kept, iou)) { if (match) tp++; else fp++; }
        }
        return new DetectionCounts(tp, fp, truth - tp);
    }

    /// <summary>
    /// The score threshold that maximises F-beta at IoU 0.5 (ties: the higher threshold), chosen on
    /// validation and applied unchanged to test. β = 2 when misses cost more (recall first).
    /// </summary>
    public static (double Threshold, double FBeta) BestThreshold(IReadOnlyList<ImageDetections> images, double beta, double iou = 0.5)
    {
        ArgumentNullException.ThrowIfNull(images);
        var matches = images.SelectMany(i => Match(i, iou)).OrderByDescending(m => m.Score).ToList();
        int truth = images.Sum(i => i.Truth.Count);
        double bestF = new DetectionCounts(0, 0, truth).FBeta(beta), bestT = matches.Count == 0 ? 1.0 : matches[0].Score + 1e-9;
        int tp = 0, fp = 0;
        for (int i = 0; i < matches.Count; i++)
        {
            if (matches[i].Match) tp++; else fp++;
            if (i + 1 < matches.Count && matches[i + 1].Score == matches[i].Score) continue; // a threshold keeps all ties
            double f = new DetectionCounts(tp, fp, truth - tp).FBeta(beta);
            if (f > bestF + 1e-12) { bestF = f; bestT = matches[i].Score; }
        }
        return (bestT, bestF);
    }

    /// <summary>
    /// mAP@50, mAP@50:95 and precision, recall, F1 at IoU 0.5 and <paramref name="scoreThreshold"/>,
    /// each with a 95% percentile bootstrap CI over images (stratified by whether an image has a
    /// finding), seeded.
    /// </summary>
    public static IReadOnlyDictionary<string, Estimate> Evaluate(IReadOnlyList<ImageDetections> images, double scoreThreshold, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        int n = images.Count;
        var strata = images.Select(i => i.Truth.Count > 0 ? 1 : 0).ToArray();
        // Matching is per image, so it is computed once and reused by every resample.
        var matches = CocoIouThresholds.Select(t => images.Select(i => Match(i, t)).ToArray()).ToArray();
        var truth = images.Select(i => i.Truth.Count).ToArray();
        var atThreshold = images.Select(i => Match(new ImageDetections(i.Truth, i.Predicted.Where(p => p.Score >= scoreThreshold).ToList()), 0.5)).ToArray();
        double Ap(int t, int[] idx) => ApFromMatches(idx.Select(i => matches[t][i]).ToList(), idx.Sum(i => truth[i]));
        DetectionCounts Counts(int[] idx)
        {
            int tp = 0, fp = 0, gt = 0;
            foreach (var i in idx) { gt += truth[i]; foreach (var m in atThreshold[i]) { if (m.Match) tp++; else fp++; } }
            return new DetectionCounts(tp, fp, gt - tp);
        }
        var stats = new Dictionary<string, Func<int[], double>>
        {
            ["map50"] = idx => Ap(0, idx),
            ["map50_95"] = idx => Enumerable.Range(0, CocoIouThresholds.Length).Average(t => Ap(t, idx)),
            ["recall"] = idx => Counts(idx).Recall,
            ["precision"] = idx => Counts(idx).Precision,
            ["f1"] = idx => Counts(idx).F1,
            ["f2"] = idx => Counts(idx).FBeta(2),
        };
        var result = new Dictionary<string, Estimate>();
        foreach (var (name, f) in stats)
        {
            var ci = Bootstrap.Percentile(n, f, resamples, seed, strata);
            result[name] = new Estimate(ci.Estimate, ci.Lower, ci.Upper);
        }
        return result;
    }
}
