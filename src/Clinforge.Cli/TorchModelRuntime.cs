using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;
using Clinforge.Training.Onnx;

namespace Clinforge.Cli;

/// <summary>The networks' side of the workflow on this machine: TorchSharp models, Grad-CAM and ONNX export from Training.</summary>
internal sealed class TorchModelRuntime : IModelRuntime
{
    /// <inheritdoc />
    public IModelScorer Scorer(Dataset dataset) => new TorchModelScorer(dataset);

    /// <inheritdoc />
    public TrialDetector Detector { get; } = (trial, dataset, items) => DetectionTrialWorker.Predict(trial, dataset, items);

    /// <inheritdoc />
    public TrialSegmenter Segmenter { get; } = (trial, dataset, items) => SegmentationTrialWorker.Predict(trial, dataset, items);

    /// <inheritdoc />
    public IModelExporter Exporter { get; } = new OnnxModelExporter();

    /// <inheritdoc />
    public (float[][] Maps, int Size) Saliency(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items, int classIndex) =>
        GradCam.ForTrial(trial, dataset, items, classIndex);

    /// <inheritdoc />
    public AuxiliaryClassifier TrainAuxiliary(Recipe recipe, Dataset dataset, IReadOnlyList<DataItem> train, IReadOnlyList<DataItem> val,
        IReadOnlyDictionary<string, int> targets, IReadOnlyList<DataItem> unlabelled, string directory, TimeSpan budget, int threads)
    {
        NativeRuntime.Initialize(threads, recipe.Seed);
        ImageSet Load(IReadOnlyList<DataItem> items) => ImageSets.Load(dataset, items.ToList(), recipe.Input) with { Labels = items.Select(i => targets[i.Id]).ToArray() };
        using var aux = ConfounderClassifier.Train(recipe, Load(train), Load(val), AucScorer, directory, budget,
            l => File.AppendAllText(new TrialPaths(directory).Log, l + Environment.NewLine));
        Json.Write(new TrialPaths(directory).Recipe, recipe);
        var predicted = aux.Apply(ImageSets.Load(dataset, unlabelled.ToList(), recipe.Input));
        return new AuxiliaryClassifier(predicted, aux.ValLabels.ToArray(), aux.ValProbabilities.ToArray(), aux.Metrics.Epochs);
    }

    /// <summary>The auxiliary classifier is selected on validation AUC.</summary>
    private static ValidationMetrics AucScorer(int[] labels, double[][] probs)
    {
        double auc = BinaryMetrics.Auc(labels, probs.Select(p => p[1]).ToArray());
        return new ValidationMetrics(auc, "auc", auc, double.NaN, double.NaN, double.NaN, double.NaN, 0.5);
    }
}
