using Clinforge.Core;
using Clinforge.Data;
using TorchSharp;

namespace Clinforge.Training;

/// <summary>Scores items with a trial's saved model: the recipe, preprocessing and weights from its folder.</summary>
public sealed class TorchModelScorer(Dataset dataset) : IModelScorer
{
    /// <inheritdoc />
    public double[][] Predict(TrialPaths trial, IReadOnlyList<DataItem> items)
    {
        var recipe = Json.Read<Recipe>(trial.Recipe);
        var pre = Json.Read<Preprocessing>(trial.Preprocessing);
        using var model = TrialPlans.CreateModel(recipe, pre);
        model.load(trial.Model);
        var device = NativeRuntime.PreferredDevice();
        model.to(device);
        var set = ImageSets.Load(dataset, items, recipe.Input);
        using var pixels = set.Pixels;
        using var x = new ImageBatches(set, pre);
        return Trainer.Predict(model, x, null, recipe.TestTimeAugmentation, device).Probabilities;
    }
}
