using Clinforge.Core;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>The auxiliary confounder classifier, trained and ready to label every image.</summary>
public sealed class ConfounderClassifier : IDisposable
{
    private readonly Module<Tensor, Tensor> _model;
    private readonly Preprocessing _pre;

    private ConfounderClassifier(Module<Tensor, Tensor> model, Preprocessing pre, TrialMetrics metrics, double[] valProbabilities, int[] valLabels)
    {
        _model = model;
        _pre = pre;
        Metrics = metrics;
        ValProbabilities = valProbabilities;
        ValLabels = valLabels;
    }

    /// <summary>The training run's metrics (learning curve, best epoch).</summary>
    public TrialMetrics Metrics { get; }

    /// <summary>P(confounder present) on the annotated validation images, from the selected checkpoint.</summary>
    public IReadOnlyList<double> ValProbabilities { get; }

    /// <summary>The annotated validation images' confounder labels (1 = present).</summary>
    public IReadOnlyList<int> ValLabels { get; }

    /// <summary>
    /// Trains the classifier with the project's <see cref="Trainer"/> on the images that carry a
    /// confounder annotation (labels: 0 = absent, 1 = present), like the seed study's drain classifier.
    /// <paramref name="scorer"/> scores validation (the confounder AUC); the best checkpoint is kept in
    /// <paramref name="workDir"/>.
    /// </summary>
    public static ConfounderClassifier Train(Recipe recipe, ImageSet annotatedTrain, ImageSet annotatedVal, ValidationScorer scorer,
        string workDir, TimeSpan budget, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(annotatedTrain);
        ArgumentNullException.ThrowIfNull(annotatedVal);
        foreach (var (set, name) in new[] { (annotatedTrain, "training"), (annotatedVal, "validation") })
            if (set.Labels.Distinct().Count() < 2)
                throw new ClinforgeException($"The auxiliary confounder classifier needs annotated {name} images with the confounder both present and absent; found only one kind.");
        Directory.CreateDirectory(workDir);
        var paths = new TrialPaths(workDir);
        string[] classes = ["absent", "present"];
        var outcome = new Trainer(log).Train(recipe, annotatedTrain, annotatedVal, classes, scorer, DateTime.UtcNow + budget, paths);
        if (outcome.Metrics.Status != TrialStatus.Succeeded)
            throw new ClinforgeException($"The auxiliary confounder classifier failed to train: {outcome.Metrics.Error}");
        var model = ModelRegistry.Create(recipe.Model, annotatedTrain.Channels, classes.Length);
        model.load(paths.Model);
        model.to(NativeRuntime.PreferredDevice());
        var pre = Trainer.ComputePreprocessing(annotatedTrain, classes, recipe.Model);
        return new ConfounderClassifier(model, pre, outcome.Metrics, outcome.BestValProbabilities.Select(p => p[1]).ToArray(), annotatedVal.Labels);
    }

    /// <summary>P(confounder present) for every image of <paramref name="set"/>.</summary>
    public double[] Apply(ImageSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        using var x = Trainer.ToTensor(set, _pre);
        var (_, probs) = Trainer.Predict(_model, x, null, false, NativeRuntime.PreferredDevice());
        return probs.Select(p => p[1]).ToArray();
    }

    /// <summary>Frees the model.</summary>
    public void Dispose() => _model.Dispose();
}
