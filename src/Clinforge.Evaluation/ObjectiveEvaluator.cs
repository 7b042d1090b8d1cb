using System.Globalization;
using Clinforge.Core;

namespace Clinforge.Evaluation;

/// <summary>
/// Turns model outputs into the <see cref="ValidationMetrics"/> the developer loop compares: the
/// objective the clinician asked for plus the standard companions, at an operating threshold.
/// <para>
/// Threshold rule (<see cref="ChooseThreshold"/>): when the objective has an
/// <see cref="OperatingPoint"/> (sensitivity at specificity ≥ v, or specificity at sensitivity ≥ v) the
/// threshold that achieves it on the given data; otherwise the Youden threshold (Youden 1950). The
/// threshold chosen on validation can be applied unchanged to test with
/// <see cref="EvaluateAtThreshold"/>.
/// </para>
/// <para>
/// Binary tasks (2 columns): the score is the positive column, and Accuracy, BalancedAccuracy,
/// Sensitivity and Specificity are measured at the threshold; the "accuracy" and "balanced_accuracy"
/// objectives therefore use the Youden threshold too (for balanced accuracy it is the optimum).
/// Multiclass tasks (more columns): AUC is the macro one-vs-rest AUC, accuracies are by argmax,
/// sensitivity and specificity are those of the positive class against the rest — by argmax, or at
/// a threshold on its probability when the objective has an operating point.
/// </para>
/// Any NaN probability (a diverged model) makes every metric NaN, which
/// <see cref="Objective.Better"/> never accepts.
/// </summary>
public static class ObjectiveEvaluator
{
    /// <summary>A decision threshold on the positive score and the rule that chose it, in words.</summary>
    public sealed record OperatingThreshold(double Threshold, string Rule);

    /// <summary>Rule name of the Youden threshold.</summary>
    public const string YoudenRule = "Youden's J (maximum sensitivity + specificity − 1)";

    /// <summary>
    /// Metrics of <paramref name="probs"/> against <paramref name="labels"/> for <paramref name="objective"/>,
    /// with the operating threshold chosen on these data. <paramref name="positiveIndex"/> is the
    /// column of the positive class; for binary tasks a negative value means column 1, for multiclass
    /// tasks it means "no positive class" (sensitivity and specificity are then NaN).
    /// </summary>
    public static ValidationMetrics Evaluate(Objective objective, IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int positiveIndex) =>
        Compute(objective, labels, probs, positiveIndex, fixedThreshold: null);

    /// <summary>
    /// As <see cref="Evaluate"/>, but at a threshold fixed in advance (e.g. chosen on validation and
    /// applied to test). For an operating-point objective the objective value is then the maximised
    /// rate at that threshold (which may miss the constraint on new data: check the other rate).
    /// For multiclass tasks without an operating point the threshold is ignored.
    /// </summary>
    public static ValidationMetrics EvaluateAtThreshold(Objective objective, IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int positiveIndex, double threshold) =>
        Compute(objective, labels, probs, positiveIndex, threshold);

    /// <summary>
    /// The operating threshold for <paramref name="objective"/> on binary labels and positive scores:
    /// the threshold achieving the objective's operating point, else Youden's. Threshold NaN when a
    /// class is absent.
    /// </summary>
    public static OperatingThreshold ChooseThreshold(Objective objective, IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(objective);
        var point = ParseOperatingPoint(objective);
        if (point is { } p)
        {
            var value = p.Value.ToString("0.00##", CultureInfo.InvariantCulture);
            return p.MaximizeSensitivity
                ? new(BinaryMetrics.SensitivityAtSpecificity(binaryLabels, scores, p.Value).Threshold,
                      $"highest sensitivity with specificity ≥ {value}")
                : new(BinaryMetrics.SpecificityAtSensitivity(binaryLabels, scores, p.Value).Threshold,
                      $"highest specificity with sensitivity ≥ {value}");
        }
        return new(BinaryMetrics.YoudenThreshold(binaryLabels, scores), YoudenRule);
    }

    /// <summary>One-sided confidence of the margin a sensitivity floor is met with (the lower bound of a two-sided 90% Wilson interval).</summary>
    public const double FloorConfidence = 0.95;

    /// <summary>
    /// How many of <paramref name="positives"/> a threshold may miss while the sensitivity it shows still
    /// meets <paramref name="floor"/> at its one-sided <see cref="FloorConfidence"/> lower bound (Wilson);
    /// −1 when even catching all of them does not.
    /// </summary>
    public static int MissesAllowed(int positives, double floor)
    {
        double level = 2 * FloorConfidence - 1;
        int missed = -1;
        while (missed + 1 <= positives && positives > 0 && Wilson.Interval(positives - (missed + 1), positives, level).Lower >= floor) missed++;
        return missed;
    }

    /// <summary>The fewest positives on which catching every one shows <paramref name="floor"/> at its one-sided lower bound (Wilson); int.MaxValue for a floor of 1.</summary>
    public static int PositivesToPromise(double floor)
    {
        for (int n = 1; n <= 1_000_000; n++)
            if (MissesAllowed(n, floor) >= 0) return n;
        return int.MaxValue;
    }

    /// <summary>
    /// The threshold for new patients. When the clinician states a sensitivity floor ("at least 90%
    /// sensitivity"), a threshold that meets it only at the point estimate misses it about half the time
    /// on new patients; so the threshold is the highest one whose sensitivity on these data meets the
    /// floor at its one-sided 95% lower confidence bound (Wilson). When even catching every positive here
    /// cannot give that bound (too few positives), the threshold catches all of them and the rule says
    /// how far the evidence reaches. Other objectives, and a floor chosen to hold at the point estimate
    /// (<see cref="OperatingPoint.PointEstimate"/>): <see cref="ChooseThreshold"/>.
    /// </summary>
    public static OperatingThreshold ChooseThresholdForNewPatients(Objective objective, IReadOnlyList<int> binaryLabels, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(binaryLabels);
        ArgumentNullException.ThrowIfNull(scores);
        if (ParseOperatingPoint(objective) is not { MaximizeSensitivity: false } point || objective.OperatingPoint!.PointEstimate)
            return ChooseThreshold(objective, binaryLabels, scores);
        var positives = Enumerable.Range(0, scores.Count).Where(i => binaryLabels[i] == 1).Select(i => scores[i]).OrderDescending().ToArray();
        if (positives.Length == 0 || positives.Any(double.IsNaN) || binaryLabels.All(l => l == 1)) return ChooseThreshold(objective, binaryLabels, scores);
        var inv = CultureInfo.InvariantCulture;
        double level = 2 * FloorConfidence - 1;
        for (int k = 1; k <= positives.Length; k++)
        {
            double t = positives[k - 1];
            int caught = positives.Count(s => s >= t);
            var (lower, _) = Wilson.Interval(caught, positives.Length, level);
            if (lower >= point.Value)
                return new(t, string.Create(inv, $"highest specificity whose sensitivity meets {point.Value:0.00##} at its one-sided {FloorConfidence:0%} lower confidence bound (Wilson): {caught} of {positives.Length} positives caught, lower bound {lower:0.000}"));
        }
        var (allLower, _) = Wilson.Interval(positives.Length, positives.Length, level);
        return new(positives[^1], string.Create(inv,
            $"catches all {positives.Length} positives; with so few, sensitivity on new patients is only known to be ≥ {allLower:0.000} (one-sided {FloorConfidence:0%}, Wilson), short of the floor {point.Value:0.00##}: more positives are needed to promise it"));
    }

    /// <summary>
    /// The finer, still clinically aligned objective used when <paramref name="objective"/> sits at its
    /// ceiling (1.0) on the images at hand: the standardised partial AUC in the clinician's region for an
    /// operating-point objective (McClish 1989), else the AUC; its name and value. NaN when it cannot be measured.
    /// </summary>
    public static (string Name, double Value) FinerObjective(Objective objective, IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int positiveIndex)
    {
        ArgumentNullException.ThrowIfNull(objective);
        var width = Check.Multiclass(labels, probs);
        if (width != 2 || Check.AnyNaN(probs)) return ("auc", Compute(objective, labels, probs, positiveIndex, null).Auc);
        int pos = positiveIndex < 0 ? 1 : positiveIndex;
        var y = labels.Select(l => l == pos ? 1 : 0).ToArray();
        var s = probs.Select(p => p[pos]).ToArray();
        var inv = CultureInfo.InvariantCulture;
        return ParseOperatingPoint(objective) switch
        {
            { MaximizeSensitivity: true } p => (string.Create(inv, $"partial AUC at specificity ≥ {p.Value:0.00}"), PartialAuc.AtHighSpecificity(y, s, p.Value)),
            { MaximizeSensitivity: false } p => (string.Create(inv, $"partial AUC at sensitivity ≥ {p.Value:0.00}"), PartialAuc.AtHighSensitivity(y, s, p.Value)),
            _ => ("auc", BinaryMetrics.Auc(y, s)),
        };
    }

    private static ValidationMetrics Compute(Objective objective, IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int positiveIndex, double? fixedThreshold)
    {
        ArgumentNullException.ThrowIfNull(objective);
        var metric = NormalizeMetric(objective.Metric);
        var point = ParseOperatingPoint(objective);
        var width = Check.Multiclass(labels, probs);
        if (probs.Count == 0) throw new ArgumentException("No predictions to evaluate.", nameof(probs));
        if (positiveIndex >= width)
            throw new ArgumentOutOfRangeException(nameof(positiveIndex), positiveIndex, $"The positive class index must lie in [0, {width - 1}].");
        var name = objective.Describe();
        if (Check.AnyNaN(probs))
            return new ValidationMetrics(double.NaN, name, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

        var binary = width == 2;
        if (binary && positiveIndex < 0) positiveIndex = 1;
        if (point is not null && positiveIndex < 0)
            throw new ClinforgeException($"The objective '{name}' is measured for one class against the rest, but no positive class was given. Name the class whose detection matters (positive_class in task_spec.json).");

        double auc = binary ? double.NaN : MulticlassMetrics.MacroAuc(labels, probs);
        double accuracy = double.NaN, balanced = double.NaN, sensitivity = double.NaN, specificity = double.NaN, threshold = double.NaN;

        if (positiveIndex >= 0 && (binary || point is not null))
        {
            // Thresholded decisions on the positive column.
            var binaryLabels = new int[labels.Count];
            var scores = new double[labels.Count];
            for (var i = 0; i < labels.Count; i++)
            {
                binaryLabels[i] = labels[i] == positiveIndex ? 1 : 0;
                scores[i] = probs[i][positiveIndex];
            }
            if (binary) auc = BinaryMetrics.Auc(binaryLabels, scores);
            threshold = fixedThreshold ?? ChooseThreshold(objective, binaryLabels, scores).Threshold;
            if (!double.IsNaN(threshold))
            {
                var c = BinaryMetrics.ConfusionAt(binaryLabels, scores, threshold);
                sensitivity = c.Sensitivity;
                specificity = c.Specificity;
                if (binary)
                {
                    accuracy = c.Accuracy;
                    balanced = c.BalancedAccuracy;
                }
            }
        }
        else if (positiveIndex >= 0)
        {
            var c = MulticlassMetrics.OneVsRest(labels, probs, positiveIndex);
            sensitivity = c.Sensitivity;
            specificity = c.Specificity;
        }

        if (!binary)
        {
            accuracy = MulticlassMetrics.Accuracy(labels, probs);
            balanced = MulticlassMetrics.BalancedAccuracy(labels, probs);
        }

        var value = metric switch
        {
            Metrics.Auc or Metrics.MacroAuc => auc,
            Metrics.Accuracy => accuracy,
            Metrics.BalancedAccuracy => balanced,
            Metrics.SensitivityAtSpecificity => sensitivity,
            Metrics.SpecificityAtSensitivity => specificity,
            _ => throw new InvalidOperationException("unreachable: metric was validated"),
        };
        // Top-label calibration: the predicted class's probability against whether it was right.
        var confidence = probs.Select(p => p.Max()).ToArray();
        var correct = probs.Select((p, i) => Array.IndexOf(p, p.Max()) == labels[i] ? 1 : 0).ToArray();
        double ece = Calibration.ExpectedCalibrationError(correct, confidence);
        return new ValidationMetrics(value, name, auc, accuracy, balanced, sensitivity, specificity, threshold, ece)
        {
            Confusion = binary ? null : ArgmaxConfusion(labels, probs, width),
        };
    }

    /// <summary>Counts by true class (row) and most probable class (column).</summary>
    private static int[][] ArgmaxConfusion(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int width)
    {
        var m = Enumerable.Range(0, width).Select(_ => new int[width]).ToArray();
        for (int i = 0; i < labels.Count; i++) m[labels[i]][Array.IndexOf(probs[i], probs[i].Max())]++;
        return m;
    }

    private static string NormalizeMetric(string? metric)
    {
        var m = (metric ?? "").Trim().ToLowerInvariant();
        return m switch
        {
            Metrics.Auc or Metrics.MacroAuc or Metrics.Accuracy or Metrics.BalancedAccuracy
                or Metrics.SensitivityAtSpecificity or Metrics.SpecificityAtSensitivity => m,
            _ => throw new ClinforgeException(
                $"Unknown objective metric '{metric}'. Use one of: {Metrics.Auc}, {Metrics.MacroAuc}, {Metrics.SensitivityAtSpecificity}, " +
                $"{Metrics.SpecificityAtSensitivity}, {Metrics.BalancedAccuracy}, {Metrics.Accuracy}."),
        };
    }

    /// <summary>
    /// The objective's operating point as (maximise sensitivity?, constraint value), or null. Checks
    /// that operating-point metrics have one and that it agrees with the metric.
    /// </summary>
    private static (bool MaximizeSensitivity, double Value)? ParseOperatingPoint(Objective objective)
    {
        var metric = NormalizeMetric(objective.Metric);
        var op = objective.OperatingPoint;
        if (op is null)
        {
            if (metric is Metrics.SensitivityAtSpecificity or Metrics.SpecificityAtSensitivity)
                throw new ClinforgeException(
                    $"The objective '{metric}' needs an operating point (e.g. specificity ≥ 0.80); set operating_point in task_spec.json.");
            return null;
        }

        var maximize = (op.Maximize ?? "").Trim().ToLowerInvariant();
        var constraint = (op.Constraint ?? "").Trim().ToLowerInvariant();
        bool maximizeSensitivity = (maximize, constraint) switch
        {
            ("sensitivity", "specificity") => true,
            ("specificity", "sensitivity") => false,
            _ => throw new ClinforgeException(
                $"Operating point '{op.Maximize} at {op.Constraint}' is not supported; use maximize 'sensitivity' with constraint 'specificity', or the reverse."),
        };
        if (double.IsNaN(op.ConstraintValue) || op.ConstraintValue < 0 || op.ConstraintValue > 1)
            throw new ClinforgeException($"Operating point constraint {op.Constraint} ≥ {op.ConstraintValue} must lie between 0 and 1.");
        if ((metric == Metrics.SensitivityAtSpecificity && !maximizeSensitivity) ||
            (metric == Metrics.SpecificityAtSensitivity && maximizeSensitivity))
            throw new ClinforgeException(
                $"The objective metric '{metric}' disagrees with its operating point ('{op.Maximize} at {op.Constraint}'); make them match in task_spec.json.");
        return (maximizeSensitivity, op.ConstraintValue);
    }
}
