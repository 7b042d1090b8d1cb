namespace Clinforge.Evaluation;

/// <summary>Input checks shared by the metric classes; messages name the argument and the row.</summary>
internal static class Check
{
    public static void SameLength(int expected, int actual, string first, string second)
    {
        if (expected != actual)
            throw new ArgumentException($"{first} has {expected} entries but {second} has {actual}; they must be paired row by row.", second);
    }

    public static void BinaryLabels(IReadOnlyList<int> labels, string name = "labels")
    {
        for (var i = 0; i < labels.Count; i++)
            if (labels[i] is not (0 or 1))
                throw new ArgumentException($"{name}[{i}] is {labels[i]}; binary labels must be 0 or 1.", name);
    }

    public static void Binary(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(scores);
        SameLength(labels.Count, scores.Count, nameof(labels), nameof(scores));
        BinaryLabels(labels);
    }

    public static bool AnyNaN(IReadOnlyList<double> values)
    {
        for (var i = 0; i < values.Count; i++)
            if (double.IsNaN(values[i])) return true;
        return false;
    }

    /// <summary>Checks a probability matrix against labels and returns its width (number of classes).</summary>
    public static int Multiclass(IReadOnlyList<int> labels, IReadOnlyList<double[]> probs)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probs);
        SameLength(labels.Count, probs.Count, nameof(labels), nameof(probs));
        if (probs.Count == 0) return 0;
        var width = probs[0]?.Length ?? throw new ArgumentException("probs[0] is null.", nameof(probs));
        if (width < 2) throw new ArgumentException($"probs rows have {width} column(s); at least 2 classes are needed.", nameof(probs));
        for (var i = 0; i < probs.Count; i++)
        {
            var row = probs[i] ?? throw new ArgumentException($"probs[{i}] is null.", nameof(probs));
            if (row.Length != width)
                throw new ArgumentException($"probs[{i}] has {row.Length} columns but probs[0] has {width}; every row needs one probability per class.", nameof(probs));
            if (labels[i] < 0 || labels[i] >= width)
                throw new ArgumentException($"labels[{i}] is {labels[i]}; it must be a class index in [0, {width - 1}].", nameof(labels));
        }
        return width;
    }

    public static bool AnyNaN(IReadOnlyList<double[]> probs)
    {
        foreach (var row in probs)
            foreach (var v in row)
                if (double.IsNaN(v)) return true;
        return false;
    }
}
