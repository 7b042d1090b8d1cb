using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Training;
using static TorchSharp.torch;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class ConvolutionCheckTests
{
    /// <summary>The input gradient of <paramref name="conv"/> at x, and the float64 reference computed by libtorch's own kernels.</summary>
    private static double RelativeInputGradientError(SafeConv2d conv, int inChannels, int seed)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var x = randn([4, inChannels, 10, 10], generator: gen).requires_grad_(true);
        var y = conv.forward(x);
        var gy = randn(y.shape, generator: gen);
        (y * gy).sum().backward();
        var gx = x.grad!.to(float64);

        var xd = x.detach().to(float64).requires_grad_(true);
        var yd = nn.functional.conv2d(xd, conv.Weight.detach().to(float64), conv.Bias?.detach().to(float64), padding: [conv.Padding, conv.Padding]);
        (yd * gy.to(float64)).sum().backward();
        double scale = xd.grad!.abs().max().item<double>();
        double err = (gx - xd.grad!).abs().max().item<double>() / Math.Max(scale, 1e-12);
        return double.IsFinite(err) ? err : double.PositiveInfinity;
    }

    [Theory]
    [InlineData(16, 1, 3)]
    [InlineData(16, 4, 3)]
    [InlineData(3, 8, 3)]
    [InlineData(32, 12, 5)]
    [InlineData(8, 2, 7)]
    public void Should_ComputeCorrectInputGradients_When_OutputChannelsAreNotAMultipleOf16(int inCh, int outCh, int kernel)
    {
        // Given a narrow stride-1 convolution of the kind a detection head or a width-8 stem has
        // (on CPUs with the oneDNN backward-data defect, these gradients are 10–100% off or NaN)
        random.manual_seed(3);
        using var conv = new SafeConv2d(inCh, outCh, kernel, padding: kernel / 2);

        // When its input gradient is compared with the float64 reference, over a few draws
        double worst = Enumerable.Range(0, 3).Max(seed => RelativeInputGradientError(conv, inCh, seed));

        // Then it matches on whatever path the machine's check chose
        Assert.True(worst <= ConvolutionCheck.Tolerance, $"relative error {worst} on path {ConvolutionCheck.Current.Name}");
    }

    [Fact]
    public void Should_DecideAPathWithItsReason_When_TheMachineIsChecked()
    {
        // Given this machine / When the self-check has run (or been read from the cache)
        var path = ConvolutionCheck.Current;

        // Then a known path is recorded with a reason, and the path's padding agrees with its name
        Assert.Contains(path.Name, new[] { "onednn", "padded", "onednn-off" });
        Assert.False(string.IsNullOrWhiteSpace(path.Reason));
        Assert.Equal(path.Name == "padded", path.PadMultiple > 0);
        Assert.StartsWith("convolutions: " + path.Name, path.Describe());
        // and a path that pads was chosen only because the default failed somewhere
        if (path.Name != "onednn" && !path.Reason.Contains("forced", StringComparison.Ordinal))
            Assert.NotEmpty(path.Failures);
    }

    [Fact]
    public void Should_MatchTheFloat64Reference_When_FiltersArePaddedTo16()
    {
        // Given every panel shape / When checked with padded filters
        var results = ConvolutionCheck.Panel().Select(s => ConvolutionCheck.Check(s.In, s.Out, s.K, ConvolutionCheck.PadTo, "padded")).ToList();

        // Then the padded path is correct on every shape it is used for (or the machine chose another path)
        if (ConvolutionCheck.Current.Name == "padded")
            Assert.All(results, r => Assert.True(r.RelativeError <= ConvolutionCheck.Tolerance, $"{r.InChannels}->{r.OutChannels} k{r.Kernel}: {r.RelativeError}"));
        Assert.Equal(ConvolutionCheck.Panel().Count(), results.Count);
    }

    [Fact]
    public void Should_KeepConv2dParameterNamesAndOutput_When_ASafeConvolutionReplacesIt()
    {
        // Given TorchSharp's Conv2d and a SafeConv2d built from the same seed
        random.manual_seed(11);
        using var reference = nn.Conv2d(3, 4, 3, padding: 1);
        random.manual_seed(11);
        using var safe = new SafeConv2d(3, 4, 3, padding: 1);

        // Then checkpoints are interchangeable (same names and shapes) and the initial weights are identical
        Assert.Equal(reference.state_dict().Keys.Order(), safe.state_dict().Keys.Order());
        Assert.True(reference.weight!.eq(safe.Weight).all().item<bool>());
        Assert.True(reference.bias!.eq(safe.Bias!).all().item<bool>());
        // and the forward pass is the same convolution
        using var x = randn(2, 3, 9, 9);
        using var a = reference.forward(x);
        using var b = safe.forward(x.requires_grad_(true));
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(new long[] { 2, 4, 9, 9 }, b.shape);
    }

    [Fact]
    public void Should_CallItNotDivergence_When_TheLossIsNaNInTheFirstEpoch()
    {
        // Given a NaN loss in epoch 1 and one in epoch 5
        var atStart = Trainer.NonFiniteLoss([], 1, 1.0, 10);
        var later = Trainer.NonFiniteLoss([], 5, 10.0, 100);

        // Then the first is a numerical fault naming the convolution path, the second divergence
        Assert.Equal(TrialFailure.NanAtStart, atStart.FailureKind);
        Assert.DoesNotContain("lower the learning rate", atStart.Diagnosis);
        Assert.Contains("convolutions:", atStart.Diagnosis);
        Assert.Equal(TrialFailure.Diverged, later.FailureKind);
        Assert.Contains("lower the learning rate", later.Diagnosis);
    }

    private static TrialMetrics Failed(string kind) => new() { Status = TrialStatus.Failed, FailureKind = kind, Diagnosis = $"failed: {kind}" };

    [Fact]
    public void Should_StopForAMachineFault_When_ThreeRecipesInARowFailWithNaNAtTheStart()
    {
        // Given three trials in a row whose loss was NaN from the first epoch
        var history = new List<TrialMetrics?> { Failed(TrialFailure.NanAtStart), Failed(TrialFailure.NanAtStart), Failed(TrialFailure.NanAtStart) };

        // Then the loop stops and says the machine is at fault
        var reason = StopPolicy.MachineFault(history);
        Assert.NotNull(reason);
        Assert.Contains("machine", reason);
        Assert.Contains("first epoch", reason);
    }

    [Fact]
    public void Should_GoOn_When_FailuresAreTheRecipesOrMixed()
    {
        var ok = new TrialMetrics { Status = TrialStatus.Succeeded };
        // Divergence is a recipe problem the playbook can repair
        Assert.Null(StopPolicy.MachineFault([Failed(TrialFailure.Diverged), Failed(TrialFailure.Diverged), Failed(TrialFailure.Diverged)]));
        // Two are not yet a pattern
        Assert.Null(StopPolicy.MachineFault([Failed(TrialFailure.NanAtStart), Failed(TrialFailure.NanAtStart)]));
        // A success in between breaks the run
        Assert.Null(StopPolicy.MachineFault([Failed(TrialFailure.NanAtStart), ok, Failed(TrialFailure.NanAtStart)]));
        // Different machine-level kinds are not the same fault
        Assert.Null(StopPolicy.MachineFault([Failed(TrialFailure.NanAtStart), Failed(TrialFailure.NativeCrash), Failed(TrialFailure.NanAtStart)]));
        // Native crashes three times in a row are
        Assert.NotNull(StopPolicy.MachineFault([ok, Failed(TrialFailure.NativeCrash), Failed(TrialFailure.NativeCrash), Failed(TrialFailure.NativeCrash)]));
    }
}
