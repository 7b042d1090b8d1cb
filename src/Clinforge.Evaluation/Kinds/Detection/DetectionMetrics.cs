using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>Ground-truth and predicted boxes of one image (each box carries its class index; predictions carry scores).</summary>
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
/// <para>
/// Several classes: a prediction matches only ground truth of its own class, so a box of the wrong
/// class is a false positive for its predicted class and leaves the true box a miss of its class. AP
/// is computed per class (COCO caps and sorts per image and category) and mAP is the mean over the
/// classes that have ground truth (pycocotools skips categories without it, AP = −1 there).
/// Precision, recall and F1 are counted per class and overall (summed over classes, i.e. micro).
/// With one class every number is what the single-class computation gives.
/// </para>
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
        var (preds, truth) = Assign(image, iou);
        var result = new (double, bool)[preds.Count];
        for (int i = 0; i < preds.Count; i++) result[i] = (preds[i].Score, truth[i] >= 0);
        return result;
    }

    /// <summary>
    /// The matching behind every count: the image's predictions in descending score order (at most
    /// <see cref="MaxDetectionsPerImage"/>) and, for each, the index in <see cref="ImageDetections.Truth"/>
    /// of the box it matched at <paramref name="iou"/>, or −1 for a false mark. Exposed so the report's
    /// example images colour the same boxes the metrics count.
    /// </summary>
    public static (IReadOnlyList<BoundingBox> Predicted, int[] Truth) Assign(ImageDetections image, double iou)
    {
        ArgumentNullException.ThrowIfNull(image);
        var preds = image.Predicted.OrderByDescending(p => p.Score).Take(MaxDetectionsPerImage).ToList();
        var used = new bool[image.Truth.Count];
        var matched = new int[preds.Count];
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
            matched[i] = best;
        }
        return (preds, matched);
    }

    /// <summary>AP of one class at one IoU threshold (101-point interpolation; boxes of one class); NaN when there is no ground truth.</summary>
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

    /// <summary>The class indices that occur in the ground truth or the predictions, ascending.</summary>
    public static int[] ClassesOf(IReadOnlyList<ImageDetections> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.SelectMany(i => i.Truth.Concat(i.Predicted)).Select(b => b.Class).Distinct().Order().ToArray();
    }

    /// <summary>The images with only the boxes (truth and predicted) of class <paramref name="k"/>.</summary>
    public static IReadOnlyList<ImageDetections> OfClass(IReadOnlyList<ImageDetections> images, int k)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Select(i => new ImageDetections(i.Truth.Where(b => b.Class == k).ToList(), i.Predicted.Where(b => b.Class == k).ToList())).ToList();
    }

    /// <summary>Mean over classes with ground truth of each class's AP at <paramref name="iou"/>; NaN when no class has ground truth.</summary>
    public static double MeanAveragePrecision(IReadOnlyList<ImageDetections> images, double iou)
    {
        ArgumentNullException.ThrowIfNull(images);
        var aps = ClassesOf(images).Select(k => AveragePrecision(OfClass(images, k), iou)).Where(a => !double.IsNaN(a)).ToList();
        return aps.Count == 0 ? double.NaN : aps.Average();
    }

    /// <summary>mAP at IoU 0.5 (the AP for one class).</summary>
    public static double Map50(IReadOnlyList<ImageDetections> images) => MeanAveragePrecision(images, 0.5);

    /// <summary>mAP averaged over IoU 0.50:0.05:0.95.</summary>
    public static double Map50To95(IReadOnlyList<ImageDetections> images) =>
        CocoIouThresholds.Average(t => MeanAveragePrecision(images, t));

    /// <summary>Counts at <paramref name="iou"/> keeping predictions scored at least <paramref name="scoreThreshold"/>.</summary>
    public static DetectionCounts CountsAt(IReadOnlyList<ImageDetections> images, double iou, double scoreThreshold) =>
        CountsAt(images, iou, DetectionOperatingPoint.Pooled(scoreThreshold));

    /// <summary>Counts at <paramref name="iou"/> keeping the predictions the operating point keeps (each at its class's threshold).</summary>
    public static DetectionCounts CountsAt(IReadOnlyList<ImageDetections> images, double iou, DetectionOperatingPoint operating)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(operating);
        int tp = 0, fp = 0, truth = 0;
        foreach (var image in images)
        {
            truth += image.Truth.Count;
            var kept = new ImageDetections(image.Truth, image.Predicted.Where(operating.Keeps).ToList());
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
    /// A class needs at least this many validation boxes to get its own threshold: with fewer, its
    /// F-beta curve has a handful of steps and the threshold that maximises it is noise, so the class
    /// keeps the pooled threshold (a rule of thumb, as for any operating point chosen on few cases).
    /// </summary>
    public const int MinBoxesForClassThreshold = 10;

    /// <summary>
    /// Per-class score thresholds (index = class, <paramref name="classes"/> of them): each class with at
    /// least <see cref="MinBoxesForClassThreshold"/> ground-truth boxes gets the threshold that maximises
    /// its own F-beta at IoU 0.5 (<see cref="BestThreshold"/> on its boxes and predictions); the others
    /// keep <paramref name="pooled"/>. A rare class's scores need not live on the common class's scale
    /// (focal-loss maps are trained per class), so one pooled threshold can hide it or flood it.
    /// </summary>
    public static IReadOnlyList<double> BestClassThresholds(IReadOnlyList<ImageDetections> images, int classes, double beta, double pooled)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            var of = OfClass(images, k);
            result[k] = of.Sum(i => i.Truth.Count) >= MinBoxesForClassThreshold ? BestThreshold(of, beta).Threshold : pooled;
        }
        return result;
    }

    /// <summary>
    /// mAP@50, mAP@50:95 and precision, recall, F1 at IoU 0.5 and <paramref name="scoreThreshold"/>,
    /// each with a 95% percentile bootstrap CI over images (stratified by whether an image has a
    /// finding), seeded. mAP is the mean over classes with ground truth in each resample; the counts
    /// are summed over classes.
    /// </summary>
    public static IReadOnlyDictionary<string, Estimate> Evaluate(IReadOnlyList<ImageDetections> images, double scoreThreshold, int resamples, int seed) =>
        Evaluate(images, DetectionOperatingPoint.Pooled(scoreThreshold), resamples, seed);

    /// <summary>As <see cref="Evaluate(IReadOnlyList{ImageDetections}, double, int, int)"/>, each box kept at its class's threshold.</summary>
    public static IReadOnlyDictionary<string, Estimate> Evaluate(IReadOnlyList<ImageDetections> images, DetectionOperatingPoint operating, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        var m = new Matched(images, ClassesOf(images), operating);
        var stats = new Dictionary<string, Func<int[], double>>
        {
            ["map50"] = idx => m.Map(0, idx),
            ["map50_95"] = idx => Enumerable.Range(0, CocoIouThresholds.Length).Average(t => m.Map(t, idx)),
            ["recall"] = idx => m.Counts(idx, null).Recall,
            ["precision"] = idx => m.Counts(idx, null).Precision,
            ["f1"] = idx => m.Counts(idx, null).F1,
            ["f2"] = idx => m.Counts(idx, null).FBeta(2),
        };
        return Intervals(images, stats, resamples, seed);
    }

    /// <summary>
    /// Per class (index k = <paramref name="classNames"/>[k]): its AP@50 (<c>map50</c>), AP@50:95
    /// (<c>map50_95</c>), and precision, recall, F1 at IoU 0.5 and <paramref name="scoreThreshold"/>,
    /// each with the same bootstrap over images as <see cref="Evaluate(IReadOnlyList{ImageDetections}, double, int, int)"/> (same seed, same resamples).
    /// A class without ground truth (in the data or a resample) has NaN AP, recall and F1 there;
    /// its precision still counts its false marks.
    /// </summary>
    public static IReadOnlyList<DetectionClassResult> EvaluateByClass(IReadOnlyList<ImageDetections> images, IReadOnlyList<string> classNames, double scoreThreshold, int resamples, int seed) =>
        EvaluateByClass(images, classNames, DetectionOperatingPoint.Pooled(scoreThreshold), resamples, seed);

    /// <summary>As <see cref="EvaluateByClass(IReadOnlyList{ImageDetections}, IReadOnlyList{string}, double, int, int)"/>, each class at its own threshold.</summary>
    public static IReadOnlyList<DetectionClassResult> EvaluateByClass(IReadOnlyList<ImageDetections> images, IReadOnlyList<string> classNames, DetectionOperatingPoint operating, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(classNames);
        var m = new Matched(images, Enumerable.Range(0, classNames.Count).ToArray(), operating);
        var result = new List<DetectionClassResult>();
        for (int c = 0; c < classNames.Count; c++)
        {
            int k = c;
            double IfTruth(int[] idx, Func<DetectionCounts, double> f) { var counts = m.Counts(idx, k); return counts.TruePositives + counts.FalseNegatives == 0 ? double.NaN : f(counts); }
            var stats = new Dictionary<string, Func<int[], double>>
            {
                ["map50"] = idx => m.Ap(k, 0, idx),
                ["map50_95"] = idx => Enumerable.Range(0, CocoIouThresholds.Length).Average(t => m.Ap(k, t, idx)),
                ["recall"] = idx => IfTruth(idx, x => x.Recall),
                ["precision"] = idx => m.Counts(idx, k).Precision,
                ["f1"] = idx => IfTruth(idx, x => x.F1),
            };
            result.Add(new DetectionClassResult(classNames[k], images.Sum(i => i.Truth.Count(b => b.Class == k)), Intervals(images, stats, resamples, seed)));
        }
        return result;
    }

    private static Dictionary<string, Estimate> Intervals(IReadOnlyList<ImageDetections> images, Dictionary<string, Func<int[], double>> stats, int resamples, int seed)
    {
        var strata = images.Select(i => i.Truth.Count > 0 ? 1 : 0).ToArray();
        var result = new Dictionary<string, Estimate>();
        foreach (var (name, f) in stats)
        {
            var ci = Bootstrap.Percentile(images.Count, f, resamples, seed, strata);
            result[name] = new Estimate(ci.Estimate, ci.Lower, ci.Upper);
        }
        return result;
    }

    /// <summary>
    /// Matching is per image and class, so it is computed once and reused by every resample: per class
    /// (position in <c>classes</c>) and IoU threshold the matches of each image, the class's truth count
    /// per image, and the matches at IoU 0.5 of the predictions kept at the operating point (each at its class's threshold).
    /// </summary>
    private sealed class Matched
    {
        private readonly (double Score, bool Match)[][][][] _matches; // [class][iou][image][prediction]
        private readonly int[][] _truth;                             // [class][image]
        private readonly (double Score, bool Match)[][][] _kept;      // [class][image][prediction]
        private readonly int _classes;

        public Matched(IReadOnlyList<ImageDetections> images, int[] classes, DetectionOperatingPoint operating)
        {
            _classes = classes.Length;
            _matches = new (double, bool)[_classes][][][];
            _truth = new int[_classes][];
            _kept = new (double, bool)[_classes][][];
            for (int c = 0; c < _classes; c++)
            {
                var of = OfClass(images, classes[c]);
                _matches[c] = CocoIouThresholds.Select(t => of.Select(i => Match(i, t)).ToArray()).ToArray();
                _truth[c] = of.Select(i => i.Truth.Count).ToArray();
                _kept[c] = of.Select(i => Match(new ImageDetections(i.Truth, i.Predicted.Where(operating.Keeps).ToList()), 0.5)).ToArray();
            }
        }

        /// <summary>AP of class position <paramref name="c"/> at IoU index <paramref name="t"/> on the images <paramref name="idx"/>.</summary>
        public double Ap(int c, int t, int[] idx) => ApFromMatches(idx.Select(i => _matches[c][t][i]).ToList(), idx.Sum(i => _truth[c][i]));

        /// <summary>Mean AP over the classes with ground truth in <paramref name="idx"/>; NaN when none has.</summary>
        public double Map(int t, int[] idx)
        {
            double sum = 0; int n = 0;
            for (int c = 0; c < _classes; c++)
            {
                double ap = Ap(c, t, idx);
                if (double.IsNaN(ap)) continue;
                sum += ap; n++;
            }
            return n == 0 ? double.NaN : sum / n;
        }

        /// <summary>Counts at the score threshold for class position <paramref name="c"/>, or summed over classes when null.</summary>
        public DetectionCounts Counts(int[] idx, int? c)
        {
            int tp = 0, fp = 0, gt = 0;
            for (int k = 0; k < _classes; k++)
            {
                if (c is { } only && only != k) continue;
                foreach (var i in idx) { gt += _truth[k][i]; foreach (var m in _kept[k][i]) { if (m.Match) tp++; else fp++; } }
            }
            return new DetectionCounts(tp, fp, gt - tp);
        }
    }
}
