using System.Runtime;
using Clinforge.Training;

namespace Clinforge.Tests;

[Collection(InProcessTraining.Name)]
public sealed class QuietCollectorTests
{
    [Fact]
    public void Should_StartNoCollectionFromAnotherThread_When_TheTrainingThreadIsInsideTheQuietRegion()
    {
        try
        {
            // given the quiet region entered, as the training loop does before a step
            Assert.True(QuietCollector.Enter());
            int before = GC.CollectionCount(0);

            // when another thread allocates 48 MB in small pieces (without the region: 3 collections, measured)
            var other = new Thread(() =>
            {
                var keep = new List<byte[]>();
                for (int i = 0; i < 12288; i++)
                {
                    keep.Add(new byte[4096]);
                    if (keep.Count > 64) keep.Clear();
                }
            });
            other.Start();
            other.Join();

            // then no collection ran, so no Scalar handed to libtorch by the training thread could be finalised meanwhile
            Assert.Equal(before, GC.CollectionCount(0));
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            // and entering again inside the region keeps it (one region per budget, not per step)
            Assert.True(QuietCollector.Enter());
            Assert.Equal(before, GC.CollectionCount(0));
        }
        finally
        {
            QuietCollector.Exit();
        }
        // and leaving returns to normal collections; leaving twice is harmless
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        QuietCollector.Exit();
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void Should_LeaveNoQuietRegionBehind_When_ATrainingStepThrows()
    {
        // given hooks whose first step fails
        var hooks = new ThrowingHooks();

        // when the loop runs them
        Assert.Throws<InvalidOperationException>(() => TrainingLoop.Run(hooks, new LoopSettings(3, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(1)), _ => { }));

        // then the step ran inside the quiet region, and the process collects normally again afterwards
        Assert.Equal(GCLatencyMode.NoGCRegion, hooks.ModeDuringStep);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    private sealed class ThrowingHooks : ITrainingHooks
    {
        public GCLatencyMode? ModeDuringStep { get; private set; }

        public int EpochStart(int epoch) => 1;

        public (double Loss, int Images)? Batch(int epoch, int batch, int batches, double budgetFraction)
        {
            ModeDuringStep = GCSettings.LatencyMode;
            throw new InvalidOperationException("the step failed");
        }

        public DateTime TrainUntil(int epoch, DateTime deadlineUtc) => deadlineUtc;

        public EpochCheck Validate(int epoch) => throw new NotSupportedException();

        public void Checkpoint(int epoch, EpochCheck check) { }

        public LoopStep EpochEnd(int epoch, EpochCheck best, int bestEpoch, double typicalEpochSeconds) => LoopStep.Stop;

        public string Describe(EpochReport report) => "";
    }
}
