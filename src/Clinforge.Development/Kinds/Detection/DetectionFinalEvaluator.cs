using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Evaluation;

namespace Clinforge.Development;

/// <summary>Detections of a trial's saved model on items (injected: Development does not reference Training).</summary>
public delegate IReadOnlyList<IReadOnlyList<BoundingBox>> TrialDetector(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items);

/// <summary>
/// The one look at the sealed test split for detection runs: the initial (trial 0) and final (best)
/// models detect on the same fully supervised test images; mAP@50, mAP@50:95, and precision,
/// recall, F1, F2 at IoU 0.5 at each model's validation-chosen score threshold, each with a 95%
/// bootstrap CI over images (Efron and Tibshirani 1993). A model that keeps classes apart (its recipe's
/// <see cref="DetectionRecipe.Classes"/>) is scored against the test boxes' own classes, with the same
/// metrics per class beside the overall ones (mAP = mean over classes with ground truth). Every test
/// image, positives known only at image level included, is also read at image level
/// (<see cref="ImageLevelDetection"/>: AUC of the highest box score, sensitivity and specificity of
/// "at least one mark" at the same threshold). Example images of the final model's marks at its
/// operating point (<see cref="DetectionExamples"/>) are drawn from the same predictions at the same
/// look, under report/examples, so the report never reads test pixels again.
/// </summary>
public static class DetectionFinalEvaluator
{
    /// <summary>Bootstrap resamples over images.</summary>
    public const int Resamples = 1000;

    /// <summary>The classes a trial's model keeps apart (its recipe's list; empty for one class).</summary>
    public static IReadOnlyList<string> ClassesOf(TrialPaths trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return File.Exists(trial.Recipe) ? Json.Read<Recipe>(trial.Recipe).Detection?.Classes ?? [] : [];
    }

    /// <summary>
    /// Runs the evaluation and writes its files. With <paramref name="interrupted"/> (a look journaled
    /// without its evaluation file) the same look is finished by scoring again: nothing had been
    /// written or shown, so it stays one look.
    /// </summary>
    public static DetectionEvaluation Evaluate(RunPaths run, Journal journal, TrialDetector detector, TaskSpec spec, Dataset dataset, int seed, bool interrupted)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(dataset);
        var det = dataset.Detection ?? throw new ClinforgeException($"{dataset.Source}: not a detection dataset.");
        var (best, test, lookedAt) = TestLook.Open(run, journal, "final detection evaluation", interrupted);
        var scored = test.Where(i => det.Labels[i.Id].HasBoxes).ToList();
        var truth = scored.Select(i => det.Labels[i.Id].Boxes).ToList();
        var classes = ClassesOf(run.Trial(best.Number));
        Directory.CreateDirectory(run.FinalDir);

        // Every test image is detected on: the box metrics use the fully supervised ones, the image-level
        // reading all of them (positives known only at image level included).
        var positive = test.Select(i => det.Labels[i.Id].Positive).ToList();
        var boxedIndex = test.Select((item, i) => (item, i)).Where(x => det.Labels[x.item.Id].HasBoxes).Select(x => x.i).ToList();
        var imageScores = new Dictionary<int, IReadOnlyList<double>>();
        IReadOnlyList<DetectionExample> examples = [];

        DetectionModelResult Score(int trial, string label)
        {
            var all = detector(run.Trial(trial), dataset, test);
            var predicted = boxedIndex.Select(i => all[i]).ToList();
            var metrics = Json.Read<TrialMetrics>(run.Trial(trial).Metrics);
            // The operating point is the one the trial chose on its selection half of validation (Best's
            // threshold; the whole set when it was too small to halve), not one re-chosen on all validation
            // images: it is the operating point whose judged-half result the trial reported and acceptance
            // compared, so the shipped detector is the one that was measured on images that chose nothing.
            // Re-choosing on twice the images would be less noisy, but would ship a threshold no held-out
            // validation image has checked, and the test look is too late to find out it was worse.
            double threshold = metrics.Best?.Threshold ?? 0.3;
            var operating = new DetectionOperatingPoint(threshold, metrics.Best?.ClassThresholds ?? []);
            // Truth in the model's own classes (every box class 0 for a single-class model).
            var own = ClassesOf(run.Trial(trial));
            var labels = det.LabelsFor(own);
            var images = scored.Select((item, i) => new ImageDetections(labels[item.Id].Boxes, predicted[i])).ToList();
            if (label == "final")
            {
                Json.Write(run.TestDetections, scored.Select((item, i) => new { item.Id, Boxes = predicted[i], Kept = predicted[i].Where(operating.Keeps).ToList() }).ToList());
                examples = WriteExamples(run, dataset, scored, images, operating);
            }
            imageScores[trial] = all.Select(ImageLevelDetection.ImageScore).ToList();
            return new DetectionModelResult(trial, label, threshold, DetectionMetrics.Evaluate(images, operating, Resamples, seed))
            {
                PerClass = own.Count > 1 ? DetectionMetrics.EvaluateByClass(images, own, operating, Resamples, seed) : [],
                ClassThresholds = operating.ClassThresholds,
                ImageLevel = ImageLevelDetection.Evaluate(positive, all, operating, Resamples, seed),
            };
        }

        var initial = Score(0, best.Number == 0 ? "final" : "initial");
        var final = best.Number == 0 ? initial with { Label = "final" } : Score(best.Number, "final");
        var evaluation = new DetectionEvaluation
        {
            LookedAt = lookedAt,
            TestImages = scored.Count,
            TestPositives = scored.Count(i => det.Labels[i.Id].Positive),
            TestBoxes = truth.Sum(t => t.Count),
            TestImageLevelOnly = test.Count - scored.Count,
            ObjectiveName = spec.PrimaryMetric,
            Classes = classes,
            Initial = initial with { Label = "initial" },
            Final = final,
            BootstrapResamples = Resamples,
            BootstrapSeed = seed,
            ImageLevelChange = best.Number == 0 ? null : ImageLevelDetection.Compare(positive, imageScores[0], imageScores[best.Number]),
            Examples = examples,
        };
        Json.Write(run.DetectionEvaluation, evaluation);
        journal.Event("evaluation", $"detection test evaluation written: initial trial 0, final trial {best.Number}");
        return evaluation;
    }

    /// <summary>
    /// Draws the final model's example test images (<see cref="DetectionExamples.Select"/> on the boxes
    /// the metrics were computed from, at the same operating point) as report/examples/detection_*.png.
    /// </summary>
    private static List<DetectionExample> WriteExamples(RunPaths run, Dataset dataset, IReadOnlyList<DataItem> scored, IReadOnlyList<ImageDetections> images, DetectionOperatingPoint operating)
    {
        var picks = DetectionExamples.Select(scored.Select(i => i.Id).ToList(), images, operating);
        Directory.CreateDirectory(run.ExamplesDir);
        // A look finished after an interruption draws again; pictures of the first attempt that this one
        // does not choose must not linger beside the ones the report lists.
        foreach (var old in Directory.GetFiles(run.ExamplesDir, "detection_*.png")) File.Delete(old);
        var result = new List<DetectionExample>();
        foreach (var (kind, i, marks) in picks)
        {
            var name = $"detection_{kind.Replace(' ', '_')}_{result.Count(e => e.Kind == kind) + 1}.png";
            AtomicFile.WriteAllBytes(Path.Combine(run.ExamplesDir, name), DetectionDrawing.Compare(dataset.Load(scored[i]), marks.TrueMarks, marks.Missed, marks.FalseMarks));
            result.Add(new DetectionExample(kind, scored[i].Id, marks.TrueMarks.Count, marks.Missed.Count, marks.FalseMarks.Count, "examples/" + name));
        }
        return result;
    }
}
