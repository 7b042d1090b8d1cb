using Clinforge.Core;
using Clinforge.Development;
using Clinforge.Evaluation;
using Clinforge.Training;

namespace Clinforge.Tests;

/// <summary>
/// A detection trial's validation halves: the epoch and threshold chosen on one, the objective judged on
/// the other, and acceptance pairing the judged images only.
/// </summary>
public sealed class ValidationHalvesTests
{
    private static readonly BoundingBox Box = new(0.1, 0.1, 0.3, 0.3);

    private static List<string> Ids(int n) => Enumerable.Range(0, n).Select(i => $"v{i:000}").ToList();

    private static ValidationHalves Split(int n, Func<int, string?> group, Func<int, bool> finding, int seed = 7) =>
        ValidationHalves.Split(Ids(n), Enumerable.Range(0, n).Select(group).ToList(), Enumerable.Range(0, n).Select(finding).ToList(), seed);

    [Fact]
    public void Should_GiveTheSameHalves_When_SplitTwiceWithOneSeed()
    {
        // given / when: 120 images, a third with findings, split twice with seed 7 and once with seed 8
        var a = Split(120, _ => null, i => i % 3 == 0);
        var b = Split(120, _ => null, i => i % 3 == 0);
        var c = Split(120, _ => null, i => i % 3 == 0, seed: 8);

        // then: the same halves for the same seed, others for another
        Assert.True(a.Halved);
        Assert.Equal(a.Selection, b.Selection);
        Assert.Equal(a.Judging, b.Judging);
        Assert.NotEqual(a.Judging, c.Judging);
    }

    [Fact]
    public void Should_BeDisjointAndComplete_When_Split()
    {
        // given / when: 101 images, 40 with findings
        var h = Split(101, _ => null, i => i < 40);

        // then: every image on exactly one side, and the halves within one image of each other
        Assert.Empty(h.Selection.Intersect(h.Judging));
        Assert.Equal(Enumerable.Range(0, 101), h.Selection.Concat(h.Judging).Order());
        Assert.InRange(h.Selection.Count - h.Judging.Count, -1, 1);
        Assert.Null(h.Fallback);
    }

    [Fact]
    public void Should_ShareImagesWithAndWithoutFindings_When_Split()
    {
        // given / when: 100 images, 30 with findings (stratum sizes 30 and 70)
        var h = Split(100, _ => null, i => i % 10 < 3);

        // then: 15 images with findings and 35 without on each side
        Assert.Equal(15, h.Selection.Count(i => i % 10 < 3));
        Assert.Equal(15, h.Judging.Count(i => i % 10 < 3));
        Assert.Equal(35, h.Selection.Count(i => i % 10 >= 3));
        Assert.Equal(35, h.Judging.Count(i => i % 10 >= 3));
    }

    [Fact]
    public void Should_KeepAugmentedCopiesOfOneSourceOnOneSide_When_ImagesAreGrouped()
    {
        // given: 90 images, three augmented copies of each of 30 sources (the group), every other source with a finding
        var h = Split(90, i => $"source{i / 3}", i => i / 3 % 2 == 0);

        // then: no source has copies on both sides, and the findings are shared by whole sources (15 sources of each kind)
        var selectionSources = h.Selection.Select(i => i / 3).ToHashSet();
        var judgingSources = h.Judging.Select(i => i / 3).ToHashSet();
        Assert.Empty(selectionSources.Intersect(judgingSources));
        Assert.Equal(90, h.Selection.Count + h.Judging.Count);
        Assert.InRange(h.Selection.Count(i => i / 3 % 2 == 0), 21, 24);
        Assert.InRange(h.Judging.Count(i => i / 3 % 2 == 0), 21, 24);
    }

    [Fact]
    public void Should_FallBackToEveryImage_When_ValidationHasFewerThan40Images()
    {
        // given / when: 39 images
        var h = Split(39, _ => null, i => i % 2 == 0);

        // then: not halved; every image chooses and judges, and the reason says why
        Assert.False(h.Halved);
        Assert.Equal(Enumerable.Range(0, 39), h.Selection);
        Assert.Equal(Enumerable.Range(0, 39), h.Judging);
        Assert.Contains("fewer than 40", h.Fallback, StringComparison.Ordinal);
        Assert.True(Split(ValidationHalves.MinImages, _ => null, i => i % 2 == 0).Halved);
    }

    [Fact]
    public void Should_FallBackToEveryImage_When_AllFindingsAreInOneGroup()
    {
        // given / when: 60 images, the 5 with findings all copies of one source
        var h = Split(60, i => i < 5 ? "one source" : null, i => i < 5);

        // then: halving would leave one side without findings, so it is not halved
        Assert.False(h.Halved);
        Assert.Contains("too few groups", h.Fallback, StringComparison.Ordinal);
    }

    /// <summary>Each image has one finding, detected at <paramref name="score"/>(i), or not at all when that is null.</summary>
    private static List<IReadOnlyList<BoundingBox>> Detect(int n, Func<int, double?> score) =>
        Enumerable.Range(0, n).Select(i => score(i) is { } s ? (IReadOnlyList<BoundingBox>)[Box with { Score = s }] : []).ToList();

    private static ValidationMetrics F2(IReadOnlyList<IReadOnlyList<BoundingBox>> truth, IReadOnlyList<IReadOnlyList<BoundingBox>> predicted, DetectionOperatingPoint? at) =>
        DetectionObjective.Score(DetectionMetricNames.F2, truth, predicted, at: at);

    [Fact]
    public void Should_ReportTheJudgingHalfAtTheSelectionThreshold_When_TheHalvesDiffer()
    {
        // given: 40 images with one finding each; found at score 0.9 on the selection half, at 0.5 on the judging half
        var h = Split(40, _ => null, _ => true);
        var truth = Enumerable.Range(0, 40).Select(_ => (IReadOnlyList<BoundingBox>)[Box]).ToList();
        var selection = h.Selection.ToHashSet();
        var detections = Detect(40, i => selection.Contains(i) ? 0.9 : 0.5);

        // when
        var (chose, judged, whole) = h.Score(truth, detections, F2);

        // then: the selection half picks score 0.9 (F2 1); at that score the judging half keeps nothing (F2 0),
        // and that is what the trial reports, while the whole set at its own best score would say 1
        Assert.Equal(0.9, chose.Threshold, 9);
        Assert.Equal(1.0, chose.Objective, 9);
        Assert.Equal(0.9, judged.Threshold, 9);
        Assert.Equal(0.0, judged.Objective, 9);
        Assert.Equal(0.5, whole.Threshold, 9);
        Assert.Equal(1.0, whole.Objective, 9);
    }

    [Fact]
    public void Should_WriteOnlyTheJudgedImages_When_ValidationDetectionsAreSavedForAcceptance()
    {
        // given: 4 images, the judging half is positions 1 and 3
        var detections = Detect(4, i => 0.1 * i);

        // when
        var rows = DetectionTrialWorker.JudgedDetections(["a", "b", "c", "d"], detections, [1, 3]);
        var unhalved = DetectionTrialWorker.JudgedDetections(["a", "b", "c", "d"], detections, []);

        // then
        Assert.Equal(["b", "d"], rows.Select(r => r.Id));
        Assert.Equal(0.3, rows[1].Boxes[0].Score, 9);
        Assert.Equal(4, unhalved.Count);
    }

    /// <summary>Writes a trial as the worker does: judged detections only, metrics with the judged objective.</summary>
    private static TrialMetrics WriteTrial(RunPaths run, int number, ValidationHalves h, IReadOnlyList<IReadOnlyList<BoundingBox>> truth, List<IReadOnlyList<BoundingBox>> detections)
    {
        var paths = run.Trial(number);
        Directory.CreateDirectory(paths.Root);
        Json.Write(Path.Combine(paths.Root, ImageBoxes.ValidationFile), DetectionTrialWorker.JudgedDetections(Ids(truth.Count), detections, h.Judging));
        var (chose, judged, whole) = h.Score(truth, detections, F2);
        var metrics = new TrialMetrics
        {
            Status = TrialStatus.Succeeded, Best = judged,
            Judging = new DetectionJudging(truth.Count, h.Selection.Count, h.Judging.Count, h.Fallback) { Selection = chose, WholeValidation = whole },
        };
        Json.Write(paths.Metrics, metrics);
        return metrics;
    }

    private static AcceptanceDecision Decide(Func<int, bool> bestFinds, Func<int, bool> candidateFinds, ValidationHalves h, int n)
    {
        using var tmp = new TempDir();
        var run = new RunPaths(tmp.Combine("run"));
        var truth = Enumerable.Range(0, n).Select(_ => (IReadOnlyList<BoundingBox>)[Box]).ToList();
        var b = WriteTrial(run, 0, h, truth, Detect(n, i => bestFinds(i) ? 0.9 : null));
        var c = WriteTrial(run, 1, h, truth, Detect(n, i => candidateFinds(i) ? 0.9 : null));
        var labels = Ids(n).ToDictionary(id => id, _ => DetectionLabel.WithBoxes([Box]));
        return new DetectionAcceptance(new Objective(DetectionMetricNames.F2, null, null), run, labels, seed: 5).Decide(1, 0, c, b, b.Best!.Objective);
    }

    [Fact]
    public void Should_DiscardTheChange_When_ItIsBetterOnlyOnTheSelectionHalf()
    {
        // given: 100 validation images, one finding each; both trials find the same 20 judging images; on the
        // selection half the best finds 10, the candidate 40 (its whole-validation F2 would be far higher)
        var h = Split(100, _ => null, _ => true);
        var judging = h.Judging.Take(20).ToHashSet();
        var ten = h.Selection.Take(10).ToHashSet();
        var forty = h.Selection.Take(40).ToHashSet();

        // when
        var decision = Decide(i => judging.Contains(i) || ten.Contains(i), i => judging.Contains(i) || forty.Contains(i), h, 100);

        // then: acceptance sees the judged halves, which are equal, so the change is not kept
        Assert.False(decision.Accepted, decision.Reason);
    }

    [Fact]
    public void Should_BootstrapOverTheJudgedImagesOnly_When_TheChangeIsBetterOnTheJudgingHalf()
    {
        // given: 100 validation images; both trials find the same 20 selection images (so both choose score 0.9);
        // on the judging half the best finds 10, the candidate 40
        var h = Split(100, _ => null, _ => true);
        var selection = h.Selection.Take(20).ToHashSet();
        var ten = h.Judging.Take(10).ToHashSet();
        var forty = h.Judging.Take(40).ToHashSet();

        // when
        var decision = Decide(i => selection.Contains(i) || ten.Contains(i), i => selection.Contains(i) || forty.Contains(i), h, 100);

        // then: kept by the paired bootstrap over the 50 judged images, and the reason names the halves
        Assert.True(decision.Accepted, decision.Reason);
        Assert.Equal("detection:paired_bootstrap", decision.Rule);
        Assert.Contains("over the 50 judged validation images", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("chosen on the other 50", decision.Reason, StringComparison.Ordinal);
    }
}
