namespace Clinforge.Evaluation;

/// <summary>
/// A 2×2 confusion table of a binary decision, with the usual clinical rates. A rate whose
/// denominator is zero is NaN (undefined), never 0 or 1.
/// </summary>
public sealed record Confusion(int Tp, int Fp, int Tn, int Fn)
{
    /// <summary>True positives.</summary>
    public int Tp { get; } = Tp >= 0 ? Tp : throw new ArgumentOutOfRangeException(nameof(Tp), Tp, "Counts must be non-negative.");

    /// <summary>False positives.</summary>
    public int Fp { get; } = Fp >= 0 ? Fp : throw new ArgumentOutOfRangeException(nameof(Fp), Fp, "Counts must be non-negative.");

    /// <summary>True negatives.</summary>
    public int Tn { get; } = Tn >= 0 ? Tn : throw new ArgumentOutOfRangeException(nameof(Tn), Tn, "Counts must be non-negative.");

    /// <summary>False negatives.</summary>
    public int Fn { get; } = Fn >= 0 ? Fn : throw new ArgumentOutOfRangeException(nameof(Fn), Fn, "Counts must be non-negative.");

    /// <summary>All cases.</summary>
    public int Total => Tp + Fp + Tn + Fn;

    /// <summary>Cases with the condition (Tp + Fn).</summary>
    public int Positives => Tp + Fn;

    /// <summary>Cases without the condition (Tn + Fp).</summary>
    public int Negatives => Tn + Fp;

    /// <summary>Sensitivity (recall, true-positive rate): Tp / (Tp + Fn).</summary>
    public double Sensitivity => Ratio(Tp, Tp + Fn);

    /// <summary>Specificity (true-negative rate): Tn / (Tn + Fp).</summary>
    public double Specificity => Ratio(Tn, Tn + Fp);

    /// <summary>Positive predictive value (precision): Tp / (Tp + Fp).</summary>
    public double Ppv => Ratio(Tp, Tp + Fp);

    /// <summary>Negative predictive value: Tn / (Tn + Fn).</summary>
    public double Npv => Ratio(Tn, Tn + Fn);

    /// <summary>F1 score, the harmonic mean of PPV and sensitivity: 2Tp / (2Tp + Fp + Fn).</summary>
    public double F1 => Ratio(2 * Tp, 2 * Tp + Fp + Fn);

    /// <summary>Fraction of correct decisions: (Tp + Tn) / Total.</summary>
    public double Accuracy => Ratio(Tp + Tn, Total);

    /// <summary>Mean of sensitivity and specificity; NaN when either is undefined.</summary>
    public double BalancedAccuracy => 0.5 * (Sensitivity + Specificity);

    private static double Ratio(int numerator, int denominator) =>
        denominator == 0 ? double.NaN : (double)numerator / denominator;
}
