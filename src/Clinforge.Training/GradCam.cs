using Clinforge.Core;
using Clinforge.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Clinforge.Training;

/// <summary>
/// Grad-CAM (Selvaraju et al., ICCV 2017): where in the image the evidence for a class lies. The
/// gradients of the class logit with respect to the last convolutional feature map are averaged over
/// space to weight each channel; the weighted sum of channels, passed through a ReLU, is upsampled
/// to the input size and scaled to [0, 1]. It shows what the model looks at, not why, and at the
/// coarse resolution of the last feature map (e.g. 7×7 for a 28 px input to the small ResNet).
/// </summary>
public static class GradCam
{
    /// <summary>
    /// Heat maps for a batch <paramref name="x"/> [N, C, S, S] (already normalised as for training),
    /// one S×S row-major map in [0, 1] per image, for class <paramref name="classIndex"/>. A map that is
    /// zero everywhere means no positive evidence for the class anywhere.
    /// </summary>
    public static float[][] Compute(Module<Tensor, Tensor> model, Tensor x, int classIndex)
    {
        // A seed ensemble's map is the mean of its members' maps, rescaled to a maximum of 1.
        if (model is SeedEnsemble ensemble) return Average(ensemble.Members.Select(m => Compute(m, x, classIndex)).ToList());
        if (model is not IConvClassifier conv)
            throw new ClinforgeException($"Grad-CAM needs a convolutional classifier; model {model.GetName()} does not expose its feature map.");
        model.eval();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        long n = x.shape[0], size = x.shape[3];
        var features = conv.Features(x);
        var logits = conv.Classify(features);
        if (classIndex < 0 || classIndex >= logits.shape[1])
            throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, $"the model has {logits.shape[1]} classes");
        // Summing the class logits over the batch gives each image's own gradient (images are independent in eval mode).
        var target = logits.select(1, classIndex).sum();
        var g = torch.autograd.grad([target], [features])[0];
        var weights = g.mean([2L, 3L], keepdim: true);
        var cam = nn.functional.relu((weights * features).sum(1, keepdim: true));
        cam = nn.functional.interpolate(cam, [size, size], mode: InterpolationMode.Bilinear, align_corners: false).view(n, -1);
        var max = cam.amax([1L], keepdim: true).clamp_min(1e-12);
        var scaled = (cam / max).detach().to(ScalarType.Float32).cpu();
        var data = scaled.data<float>().ToArray();
        var maps = new float[n][];
        for (int i = 0; i < n; i++) maps[i] = data.AsSpan((int)(i * size * size), (int)(size * size)).ToArray();
        return maps;
    }

    private static float[][] Average(IReadOnlyList<float[][]> perMember)
    {
        var maps = new float[perMember[0].Length][];
        for (int i = 0; i < maps.Length; i++)
        {
            var sum = new float[perMember[0][i].Length];
            foreach (var member in perMember)
                for (int k = 0; k < sum.Length; k++) sum[k] += member[i][k];
            float max = Math.Max(sum.Max(), 1e-12f);
            maps[i] = sum.Select(v => v / max).ToArray();
        }
        return maps;
    }

    /// <summary>
    /// Grad-CAM maps from a trial's saved model for <paramref name="items"/>, for class
    /// <paramref name="classIndex"/>, at the recipe's input size (the centre-cropped square the model saw).
    /// </summary>
    public static (float[][] Maps, int Size) ForTrial(TrialPaths trial, Dataset dataset, IReadOnlyList<DataItem> items, int classIndex)
    {
        var recipe = Json.Read<Recipe>(trial.Recipe);
        var pre = Json.Read<Preprocessing>(trial.Preprocessing);
        using var model = TrialPlans.CreateModel(recipe, pre);
        model.load(trial.Model);
        var set = ImageSets.Load(dataset, items, recipe.Input);
        using var x = Trainer.ToTensor(set, pre);
        return (Compute(model, x, classIndex), recipe.Input.Size);
    }
}
