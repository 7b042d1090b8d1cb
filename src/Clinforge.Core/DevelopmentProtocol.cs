namespace Clinforge.Core;

/// <summary>
/// How development judges a trial, chosen from the data before training and written in the data card
/// with its reason: <see cref="HoldOut"/> (train on train/, judge on val/) or
/// <see cref="CrossValidation"/> (k folds over the whole development pool; a trial trains one model per
/// fold and is judged on the pooled out-of-fold predictions). The test split is sealed either way.
/// </summary>
/// <param name="Kind">holdout | cross_validation.</param>
/// <param name="Folds">k for cross-validation; 1 for hold-out.</param>
/// <param name="Reason">The rule and what it saw, in plain words.</param>
/// <param name="PriorityClass">The class whose count decided (the clinician's positive class, or the rarest).</param>
/// <param name="HoldOutCount">Images of that class the hold-out validation split holds.</param>
/// <param name="JudgedCount">Images of that class every change is judged on under this protocol.</param>
/// <param name="HoldOutHalfWidth">95% CI half-width of a rate of 0.8 measured on <paramref name="HoldOutCount"/> images (Wilson).</param>
/// <param name="JudgedHalfWidth">The same on <paramref name="JudgedCount"/> images.</param>
/// <param name="FloorEvidence">When the request states a sensitivity floor and the images the threshold
/// will be set on are too few to promise it on new patients cheaply (or at all), that, said before training; else null.</param>
public sealed record DevelopmentProtocol(string Kind, int Folds, string Reason, string? PriorityClass = null,
    int HoldOutCount = 0, int JudgedCount = 0, double HoldOutHalfWidth = double.NaN, double JudgedHalfWidth = double.NaN,
    string? FloorEvidence = null)
{
    /// <summary>Name of the hold-out protocol.</summary>
    public const string HoldOut = "holdout";

    /// <summary>Name of the k-fold protocol.</summary>
    public const string CrossValidation = "cross_validation";

    /// <summary>Whether trials train one model per fold.</summary>
    public bool UsesFolds => Kind == CrossValidation && Folds > 1;

    /// <summary>One line for the console, the report and explain.</summary>
    public string Describe() => UsesFolds
        ? $"{Folds}-fold cross-validation over the development pool (out-of-fold predictions judge every change)"
        : "hold-out validation (train on the training split, judge on the validation split)";
}
