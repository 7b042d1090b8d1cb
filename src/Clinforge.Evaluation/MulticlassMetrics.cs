namespace Clinforge.Evaluation;

/// <summary>
/// Metrics of a K-class probability matrix: <c>probs[i]</c> holds one probability per class, labels
/// are class indices, and the predicted class is the argmax (the lowest index on ties). When any
/// probability is NaN the summary metrics are NaN.
/// </summary>
public static class MulticlassMetrics
{
    /// <summary>The predicted class of one row: index of the largest value, lowest index on ties.</summary>
    public static int Argmax(double[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var best = 0;
        for (var k = 1; k < row.Length; k++)
            if (row[k] > row[best]) best = k;
        return best;
    }

    /// <summary>
    /// One-vs-rest AUC of every class (class k's probability as the score of "is k"); NaN for a class
    /// absent from the labels or present in every row.
    /// </summary>
    public static double[] PerClassAuc(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        var classes = Check.Multiclass(labels, probs);
        var result = new double[classes];
        var binary = new int[labels.Count];
        var scores = new double[labels.Count];
        for (var k = 0; k < classes; k++)
        {
            for (var i = 0; i < labels.Count; i++)
            {
                binary[i] = labels[i] == k ? 1 : 0;
                scores[i] = probs[i][k];
            }
            result[k] = BinaryMetrics.Auc(binary, scores);
        }
        return result;
    }

    /// <summary>
    /// Macro-averaged one-vs-rest AUC (Provost &amp; Domingos 2000; scikit-learn's
    /// <c>roc_auc_score(multi_class="ovr", average="macro")</c>): the unweighted mean of
    /// <see cref="PerClassAuc"/> over the classes for which it is defined. NaN when none is.
    /// </summary>
    public static double MacroAuc(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        var sum = 0.0;
        var count = 0;
        foreach (var auc in PerClassAuc(labels, probs))
        {
            if (double.IsNaN(auc)) continue;
            sum += auc;
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>Fraction of rows whose argmax equals the label.</summary>
    public static double Accuracy(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        var m = MatrixOrNull(labels, probs);
        if (m is null) return double.NaN;
        var (cm, classes, n) = m.Value;
        var correct = 0;
        for (var k = 0; k < classes; k++) correct += cm[k, k];
        return (double)correct / n;
    }

    /// <summary>
    /// Balanced accuracy: the mean recall over the classes present in the labels (Brodersen et al. 2010;
    /// as scikit-learn's <c>balanced_accuracy_score</c>).
    /// </summary>
    public static double BalancedAccuracy(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        var m = MatrixOrNull(labels, probs);
        if (m is null) return double.NaN;
        var (cm, classes, _) = m.Value;
        var sum = 0.0;
        var present = 0;
        for (var k = 0; k < classes; k++)
        {
            var row = RowSum(cm, k, classes);
            if (row == 0) continue;
            sum += (double)cm[k, k] / row;
            present++;
        }
        return sum / present;
    }

    /// <summary>
    /// Macro F1: the unweighted mean of per-class F1 = 2Tp/(2Tp+Fp+Fn) over the classes that occur in
    /// the labels or the predictions (as scikit-learn's <c>f1_score(average="macro")</c>).
    /// </summary>
    public static double MacroF1(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        var m = MatrixOrNull(labels, probs);
        if (m is null) return double.NaN;
        var (cm, classes, _) = m.Value;
        var sum = 0.0;
        var used = 0;
        for (var k = 0; k < classes; k++)
        {
            var denominator = RowSum(cm, k, classes) + ColumnSum(cm, k, classes); // (Tp+Fn) + (Tp+Fp)
            if (denominator == 0) continue;
            sum += 2.0 * cm[k, k] / denominator;
            used++;
        }
        return sum / used;
    }

    /// <summary>
    /// Counts with rows = true class and columns = predicted (argmax) class. Throws when the width of
    /// <paramref name="probs"/> differs from <paramref name="classes"/> or a probability is NaN.
    /// </summary>
    public static int[,] ConfusionMatrix(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int classes)
    {
        var width = Check.Multiclass(labels, probs);
        if (probs.Count > 0 && width != classes)
            throw new ArgumentException($"probs rows have {width} columns but {classes} classes were given.", nameof(classes));
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "At least 2 classes are needed.");
        if (Check.AnyNaN(probs)) throw new ArgumentException("probs contain NaN; the model output is not a probability.", nameof(probs));
        var cm = new int[classes, classes];
        for (var i = 0; i < labels.Count; i++) cm[labels[i], Argmax(probs[i])]++;
        return cm;
    }

    /// <summary>
    /// The 2×2 table of class <paramref name="positiveClass"/> against the rest, with decisions by argmax.
    /// </summary>
    public static Confusion OneVsRest(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs, int positiveClass)
    {
        var width = Check.Multiclass(labels, probs);
        if (probs.Count > 0 && (positiveClass < 0 || positiveClass >= width))
            throw new ArgumentOutOfRangeException(nameof(positiveClass), positiveClass, $"Class index must lie in [0, {width - 1}].");
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var truth = labels[i] == positiveClass;
            var called = Argmax(probs[i]) == positiveClass;
            if (truth) { if (called) tp++; else fn++; }
            else { if (called) fp++; else tn++; }
        }
        return new Confusion(tp, fp, tn, fn);
    }

    private static (int[,] Matrix, int Classes, int N)? MatrixOrNull(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        var classes = Check.Multiclass(labels, probs);
        if (labels.Count == 0 || Check.AnyNaN(probs)) return null;
        return (ConfusionMatrix(labels, probs, classes), classes, labels.Count);
    }

    private static int RowSum(int[,] cm, int k, int classes)
    {
        var s = 0;
        for (var j = 0; j < classes; j++) s += cm[k, j];
        return s;
    }

    private static int ColumnSum(int[,] cm, int k, int classes)
    {
        var s = 0;
        for (var j = 0; j < classes; j++) s += cm[j, k];
        return s;
    }
}
