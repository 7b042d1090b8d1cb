using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Development;

/// <summary>
/// What the workflow needs from the side that holds the networks (Training), given by the shell that
/// hosts the workflow: Development never references Training (DESIGN.md), so the trained models are
/// reached only through this seam and through trial child processes.
/// </summary>
public interface IModelRuntime
{
    /// <summary>Class probabilities from a trial's model on items of <paramref name="dataset"/>.</summary>
    IModelScorer Scorer(Dataset dataset);

    /// <summary>Boxes from a trial's detector.</summary>
    TrialDetector Detector { get; }

    /// <summary>Label maps from a trial's segmenter.</summary>
    TrialSegmenter Segmenter { get; }

    /// <summary>Writes a trial's model as ONNX into a package.</summary>
    IModelExporter Exporter { get; }

    /// <summary>Grad-CAM maps of <paramref name="items"/> for class <paramref name="classIndex"/>; a <see cref="ClinforgeException"/> when the model has no convolutional feature map.</summary>
    (float[][] Maps, int Size) Saliency(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items, int classIndex);

    /// <summary>
    /// Trains an auxiliary binary classifier (a debiasing run's confounder, where only some images are
    /// annotated) on <paramref name="train"/>, validates it on <paramref name="val"/> (each item's 0/1
    /// target in <paramref name="targets"/>), saves it in <paramref name="directory"/> with its recipe,
    /// and applies it to <paramref name="unlabelled"/>.
    /// </summary>
    AuxiliaryClassifier TrainAuxiliary(Recipe recipe, Dataset dataset, IReadOnlyList<DataItem> train, IReadOnlyList<DataItem> val,
        IReadOnlyDictionary<string, int> targets, IReadOnlyList<DataItem> unlabelled, string directory, TimeSpan budget, int threads);
}

/// <summary>An auxiliary classifier's outcome: its probability for each unlabelled item, and its validation labels, probabilities and epochs.</summary>
public sealed record AuxiliaryClassifier(IReadOnlyList<double> Predicted, IReadOnlyList<int> ValLabels, IReadOnlyList<double> ValProbabilities, int Epochs);
