using Clinforge.Core;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class ShortcutTrainingTests
{
    [Fact]
    public void Should_PassValuesAndReverseGradients_When_GoingThroughTheGradientReversalLayer()
    {
        // given a leaf tensor and λ = 0.7
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1f, -2f, 3f }).requires_grad_(true);

        // when it goes through the reversal layer and the sum is differentiated
        var y = GradientReversal.Apply(x, 0.7);
        y.sum().backward();

        // then the values are unchanged and every gradient is −λ
        Assert.Equal(new float[] { 1f, -2f, 3f }, y.data<float>().ToArray());
        Assert.All(x.grad!.data<float>().ToArray(), g => Assert.Equal(-0.7f, g, 5));
    }

    [Fact]
    public void Should_ForwardAndBackwardBothHeads_When_TheAdversaryIsOn()
    {
        // given the registry's resnet wrapped in a ShortcutNet, and a batch with soft label targets and confounder targets
        random.manual_seed(3);
        using var scope = NewDisposeScope();
        using var model = ShortcutNet.For(new ModelSpec("resnet", 8, 1, 0.1), 1, 2);
        var x = randn(4, 1, 28, 28);
        var target = tensor(new float[] { 1, 0, 0, 1, 1, 0, 0, 1 }, [4, 2]);
        var conf = tensor(new float[] { 1, 0, 0, 1 });

        // when the label loss plus the adversary's loss goes backward
        var (logits, adv) = model.ForwardWithAdversary(x, target, 1.0);
        var loss = -(target * nn.functional.log_softmax(logits, 1)).sum(1).mean() + nn.functional.binary_cross_entropy_with_logits(adv, conf);
        loss.backward();

        // then shapes are right, the loss is finite, and every parameter (encoder, both heads) has a gradient
        Assert.Equal(new long[] { 4, 2 }, logits.shape);
        Assert.Equal(new long[] { 4 }, adv.shape);
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
        Assert.Equal(new long[] { 4, 2 }, model.forward(x).shape);
        // and the label path is the wrapped resnet's own (same architecture as a plain trial; Grad-CAM sees its feature map)
        Assert.Equal(new long[] { 4, 32, 7, 7 }, model.Features(x).shape);
    }

    [Fact]
    public void Should_GiveEachLabelConfounderGroupEqualWeight_When_GroupBalancing()
    {
        // given 6 positives with the confounder, 2 without, 1 negative with it, 3 without
        int[] labels = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
        double[] conf = [1, 1, 1, 1, 1, 1, 0, 0, 0.9, 0.1, 0, 0.2];

        // when weights are computed
        var w = ShortcutTrainer.GroupWeights(labels, conf);

        // then each of the four groups sums to 1
        double Sum(int label, bool present) => w.Where((_, i) => labels[i] == label && (conf[i] >= 0.5) == present).Sum();
        Assert.Equal(1.0, Sum(1, true), 5);
        Assert.Equal(1.0, Sum(1, false), 5);
        Assert.Equal(1.0, Sum(0, true), 5);
        Assert.Equal(1.0, Sum(0, false), 5);
    }

    [Fact]
    public void Should_TrainEveryMoveWithoutError_When_RunningTwoEpochsOnTinyData()
    {
        // given 32 tiny images where a bright stripe marks most positives, and a recipe with every debias move on
        var rng = new Random(1);
        int n = 32, s = 12;
        var px = new float[n * s * s];
        var labels = new int[n];
        var conf = new double[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            conf[i] = (i % 2 == 1 && i % 4 != 3) || i == 0 ? 1 : 0;
            for (int k = 0; k < s * s; k++) px[i * s * s + k] = (float)rng.NextDouble() * 0.5f + (conf[i] > 0 && k % s == 3 ? 0.5f : 0f);
        }
        var set = ImageSet.FromUnitFloats(px, labels, 1, s, Enumerable.Range(0, n).Select(i => $"i{i}").ToList());
        var recipe = new Recipe
        {
            Input = new InputSpec(s, 1), Model = new ModelSpec("simple_cnn", 4, 1), MaxEpochs = 2, BatchSize = 8,
            Loss = new LossSpec(LabelSmoothing: 0.1), Debias = new DebiasSpec("stripe", GroupBalanced: true, AdversaryWeight: 0.5, MixupAlpha: 0.2),
        };
        var lines = new List<string>();

        // when trained
        using var outcome = new ShortcutTrainer(lines.Add).Train(recipe, set, conf, set, ["a", "b"]);

        // then two epochs ran, losses are finite and every validation image has a probability pair
        Assert.Equal(2, outcome.Curve.Count);
        Assert.All(outcome.Curve, e => Assert.True(double.IsFinite(e.TrainLoss)));
        Assert.Equal(n, outcome.ValProbabilities.Length);
        Assert.All(outcome.ValProbabilities, p => Assert.Equal(1.0, p.Sum(), 5));
        Assert.Contains(lines, l => l.Contains("adversarial confounder head", StringComparison.Ordinal));
    }
}
