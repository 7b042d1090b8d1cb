using Clinforge.Core;
using Clinforge.Development;

namespace Clinforge.Tests;

/// <summary>Segmentation's plan, playbook and acceptance rule, from data cards and trial records alone.</summary>
public sealed class SegmentationDevelopmentTests
{
    private static TaskSpec Spec(ErrorPreference preference = ErrorPreference.Balanced) => new()
    {
        Request = "Outline the retinal vessels", Task = TaskKind.Segmentation, Classes = ["vessel"], PositiveClass = "vessel",
        PrimaryMetric = preference == ErrorPreference.Sensitivity ? SegmentationMetricNames.Sensitivity : SegmentationMetricNames.Dice, ErrorPreference = preference,
    };

    // DRIVE as the data card describes it: 20 fundus photographs of 565 × 584 px, vessels 12.5% of the field of view and about 3.9 px wide.
    private static DataCard Card() => new()
    {
        Format = "segmentation", Source = "/data/drive", Classes = ["image"], TotalItems = 20,
        Counts = new Dictionary<string, IReadOnlyDictionary<string, int>> { ["train"] = new Dictionary<string, int> { ["image"] = 12 } },
        ImageSizes = new SizeSummary(565, 565, 584, 584, 565, 584), Channels = 3, SplitMethod = "stratified_grouped",
        Segmentation = new SegmentationSummary
        {
            Pairs = 20, MaskKind = "binary", RegionOfInterest = true, Layout = "images/ with masks in 1st_manual/",
            Labels = [new SegmentationLabelStats("foreground", 255, 0.125, 0.087, 0.168, 20, MeanWidth: 3.9)],
        },
    };

    private static (TrialRecord, Recipe, TrialMetrics?) Done(int n, string move, Recipe r, double sensitivity, double precision, bool accepted = true) =>
        (new TrialRecord(n, move, move, "why", null, TrialStatus.Succeeded, 0.74, accepted, null, null, DateTimeOffset.UtcNow), r,
         new TrialMetrics
         {
             Status = TrialStatus.Succeeded, BestEpoch = 3,
             Best = new ValidationMetrics(0.74, SegmentationMetricNames.Dice, 0.74, 0.59, 0.74, sensitivity, precision, 0.5),
             Curve = [new EpochLog(1, 1.2, 1.2, 0.6, 0.6, 25), new EpochLog(2, 1.0, 1.0, 0.7, 0.7, 25), new EpochLog(3, 0.9, 0.9, 0.74, 0.74, 25)],
         });

    [Fact]
    public void Should_PlanAPretrainedUNetOnEnlargedImages_When_TheDataAreFundusPhotographsWithThinVessels()
    {
        // when: the plan for DRIVE's card, automatic and from scratch
        var auto = SegmentationInitializer.Plan(Spec(), Card(), 17);
        var scratch = SegmentationInitializer.Plan(Spec(), Card(), 17, "scratch");

        // then: the pretrained encoder on images enlarged 1.75× (584 px → 1024, whole stride-32 cells) because vessels are thin,
        // 256-px patches, Dice + CE, the spec's label name; from scratch at the images' own size; valid recipes
        Assert.Equal("unet_resnet18", auto.Model.Name);
        Assert.Equal(1024, auto.Input.Size);
        Assert.Contains("enlarged", auto.Origins["input.size"], StringComparison.Ordinal);
        Assert.Contains("stride 2", auto.Origins["input.size"], StringComparison.Ordinal);
        Assert.Equal(576, scratch.Input.Size);
        Assert.DoesNotContain("enlarged", scratch.Origins["input.size"], StringComparison.Ordinal);
        Assert.Equal(3, auto.Input.Channels);
        Assert.Equal(256, auto.Segmentation!.PatchSize);
        Assert.Equal("dice_ce", auto.Segmentation.Loss);
        Assert.Equal(["vessel"], auto.Segmentation.Labels);
        Assert.Equal(2, auto.Segmentation.ClassCount);
        Assert.Contains("12.5%", auto.Origins["segmentation"], StringComparison.Ordinal);
        Assert.Empty(RecipeSchema.Problems(auto));
        Assert.Equal("unet", scratch.Model.Name);
        Assert.Null(scratch.FineTune);
        Assert.Empty(RecipeSchema.Problems(scratch));
    }

    [Theory]
    [InlineData(0.05, 14.0)] // a small lesion: rare, but 14 px wide
    [InlineData(0.40, null)] // a card written before widths were measured: an organ covering 40% is not thin
    public void Should_KeepTheImagesOwnSize_When_TheStructureIsNotThin(double coverage, double? width)
    {
        // given: DRIVE's card with another structure
        var card = Card() with { Segmentation = Card().Segmentation! with { Labels = [new SegmentationLabelStats("lesion", 255, coverage, coverage / 2, coverage * 2, 20, width)] } };

        // when: planned with the pretrained encoder
        var recipe = SegmentationInitializer.Plan(Spec(), card, 17);

        // then: whole stride-32 cells at the images' own size, nothing enlarged
        Assert.Equal(576, recipe.Input.Size);
        Assert.DoesNotContain("enlarged", recipe.Origins["input.size"], StringComparison.Ordinal);
        Assert.False(SegmentationInitializer.Thin(card.Segmentation!).Thin);
    }

    [Fact]
    public void Should_LeaveEnlargingToThePlaybook_When_ImagesAreSmallerThanAPatch()
    {
        // given: thin structures on 128-px images (each image is a single training patch)
        var card = Card() with { ImageSizes = new SizeSummary(128, 128, 128, 128, 128, 128) };

        // when: planned with the pretrained encoder, and the playbook asked after a first trial
        var r0 = SegmentationInitializer.Plan(Spec(), card, 17);
        r0 = r0 with { Segmentation = r0.Segmentation! with { FlipInference = true } };
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, sensitivity: 0.78, precision: 0.80) };
        var proposals = new List<Proposal>();
        while (proposals.Count < 20 && new SegmentationPlaybook().Propose(new DevelopmentState(Spec(), card, history, r0, history[0].Item3)) is { } p)
        {
            proposals.Add(p);
            history.Add(Done(history.Count, p.Move, p.Recipe, 0.78, 0.80, accepted: false));
        }

        // then: the first plan keeps the images' own 128 px; enlarging (to 224 px, 1.75×) is a move judged on validation
        Assert.Equal(128, r0.Input.Size);
        Assert.DoesNotContain("enlarged", r0.Origins["input.size"], StringComparison.Ordinal);
        var higher = Assert.Single(proposals, p => p.Move == "higher_resolution");
        Assert.Equal(224, higher.Recipe.Input.Size);
        Assert.Contains("enlarged", higher.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_LowerTheWorkingSize_When_TheDecodedImagesWouldNotFitInMemory()
    {
        // given: 2,000 DRIVE-like colour images; at 1024 px they would take 2000 × 1024² × 10 B ≈ 21 GB decoded
        // (three channel bytes, a label and a region byte per pixel, each in an array and in a tensor)
        var card = Card() with { TotalItems = 2000 };

        // when: planned with the pretrained encoder
        var recipe = SegmentationInitializer.Plan(Spec(), card, 17);

        // then: the largest whole-cell side whose decoded set stays within 4 GiB (2000 × 448² × 10 B ≈ 4.01 GB), with the reason
        Assert.Equal(10, SegmentationInitializer.BytesPerPixel(3));
        Assert.Equal(448, recipe.Input.Size);
        Assert.True(2000L * 448 * 448 * 10 <= SegmentationInitializer.MaxDecodedBytes);
        Assert.True(2000L * 480 * 480 * 10 > SegmentationInitializer.MaxDecodedBytes);
        Assert.Contains("lowered to 448 px", recipe.Origins["input.size"], StringComparison.Ordinal);
        Assert.Empty(RecipeSchema.Problems(recipe));
    }

    [Fact]
    public void Should_ProposeEnlargingTheImages_When_APretrainedTrialRanAtTheImagesOwnSizeOnAThinStructure()
    {
        // given: a pretrained trial at 576 px on DRIVE (e.g. an edited recipe), test-time flips already tried
        var r0 = SegmentationInitializer.Plan(Spec(), Card(), 17);
        r0 = r0 with { Input = r0.Input with { Size = 576 }, Segmentation = r0.Segmentation! with { FlipInference = true } };
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, sensitivity: 0.78, precision: 0.80) };

        // when: the playbook proposes in turn, each proposal discarded
        var proposals = new List<Proposal>();
        while (proposals.Count < 20 && new SegmentationPlaybook().Propose(new DevelopmentState(Spec(), Card(), history, r0, history[0].Item3)) is { } p)
        {
            proposals.Add(p);
            history.Add(Done(history.Count, p.Move, p.Recipe, 0.78, 0.80, accepted: false));
        }

        // then: a higher resolution above the images' own 584 px, by 128-px steps up to 1024, with the reason
        var higher = proposals.Where(p => p.Move == "higher_resolution").ToList();
        Assert.NotEmpty(higher);
        Assert.Equal(704, higher[0].Recipe.Input.Size);
        Assert.Contains("enlarged", higher[0].Reason, StringComparison.Ordinal);
        Assert.All(higher, p => Assert.True(p.Recipe.Input.Size <= 1024));

        // and: from scratch, the same trial is never enlarged past the images' own size
        var s0 = SegmentationInitializer.Plan(Spec(), Card(), 17, "scratch");
        var scratchHistory = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", s0, 0.78, 0.80) };
        for (int i = 0; i < 20 && new SegmentationPlaybook().Propose(new DevelopmentState(Spec(), Card(), scratchHistory, s0, scratchHistory[0].Item3)) is { } p; i++)
        {
            Assert.True(p.Recipe.Input.Size <= 576, p.Move);
            scratchHistory.Add(Done(scratchHistory.Count, p.Move, p.Recipe, 0.78, 0.80, accepted: false));
        }
    }

    [Fact]
    public void Should_RefuseAPlan_When_TheCardHasNoMasks()
    {
        var ex = Assert.Throws<ClinforgeException>(() => SegmentationInitializer.Plan(Spec(), Card() with { Segmentation = null }, 17));
        Assert.Contains("no masks", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ProposeMovesInTurnWithValidRecipes_When_EarlierMovesWereDiscarded()
    {
        // given: the initial trial on DRIVE with more false pixels than missed ones
        var r0 = SegmentationInitializer.Plan(Spec(), Card(), 17);
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, sensitivity: 0.78, precision: 0.70) };

        // when: each proposal is tried and discarded, in turn
        var moves = new List<string>();
        while (moves.Count < 20 && new SegmentationPlaybook().Propose(new DevelopmentState(Spec(), Card(), history, r0, history[0].Item3)) is { } p)
        {
            Assert.Empty(RecipeSchema.Problems(p.Recipe));
            Assert.False(PlaybookProposer.Same(p.Recipe, r0), p.Move);
            Assert.False(string.IsNullOrWhiteSpace(p.Source));
            moves.Add(p.Move);
            history.Add(Done(history.Count, p.Move, p.Recipe, 0.78, 0.70, accepted: false));
        }

        // then: test-time flips first, validated on the initial trial's own weights (not retrained); training moves train anew; the focal loss for a structure covering 12.5%; small pieces removed (precision < sensitivity); none twice
        Assert.Equal("flip_inference", moves[0]);
        Assert.Equal(0, history[1].Item2.Segmentation!.ReuseWeightsOf);
        Assert.All(history.Skip(1).Where(h => h.Item1.Move is not ("flip_inference" or "remove_small_components")), h => Assert.Null(h.Item2.Segmentation!.ReuseWeightsOf));
        Assert.Equal(0, history.Single(h => h.Item1.Move == "remove_small_components").Item2.Segmentation!.ReuseWeightsOf);
        Assert.Contains("focal_loss", moves);
        Assert.Contains("remove_small_components", moves);
        Assert.Equal(ContrastModes.Clahe, history.Single(h => h.Item1.Move == "local_contrast").Item2.Segmentation!.Contrast);
        Assert.DoesNotContain("tversky_loss", moves); // missed pixels were not said to cost more
        Assert.DoesNotContain("foreground_oversampling", moves); // sensitivity is already 78%
        Assert.Equal(moves.Count, moves.Distinct().Count());
    }

    [Fact]
    public void Should_ProposeTheTverskyLossAndOversampling_When_MissedPixelsCostMoreAndSensitivityIsLow()
    {
        // given: a clinician who does not want parts of the vessels missed, and an initial trial that misses many pixels
        var spec = Spec(ErrorPreference.Sensitivity);
        var r0 = SegmentationInitializer.Plan(spec, Card(), 17) with { Segmentation = SegmentationInitializer.Plan(spec, Card(), 17).Segmentation! with { FlipInference = true } };
        var history = new List<(TrialRecord, Recipe, TrialMetrics?)> { Done(0, "initial", r0, sensitivity: 0.55, precision: 0.85) };

        // when: three proposals, each discarded in turn
        var proposals = new List<Proposal>();
        for (int i = 0; i < 3; i++)
        {
            var p = new SegmentationPlaybook().Propose(new DevelopmentState(spec, Card(), history, r0, history[0].Item3))!;
            proposals.Add(p);
            history.Add(Done(i + 1, p.Move, p.Recipe, 0.55, 0.85, accepted: false));
        }

        // then: the Tversky loss weighing misses (β 0.7 > α 0.3), the focal loss for thin structures, then patches centred on the vessels more often
        Assert.Equal(["tversky_loss", "focal_loss", "foreground_oversampling"], proposals.Select(p => p.Move));
        Assert.Equal("tversky", proposals[0].Recipe.Segmentation!.Loss);
        Assert.True(proposals[0].Recipe.Segmentation!.TverskyBeta > proposals[0].Recipe.Segmentation!.TverskyAlpha);
        Assert.True(proposals[2].Recipe.Segmentation!.ForegroundPatchFraction > r0.Segmentation!.ForegroundPatchFraction);
        Assert.Contains("sensitivity is 55%", proposals[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_KeepAChangeOnlyBeyondNoise_When_ValidationImagesArePaired()
    {
        // given: per-image validation Dice of a best trial and three candidates on the same 6 images
        double[] best = [0.70, 0.72, 0.68, 0.75, 0.71, 0.69];
        double[] everywhere = best.Select(d => d + 0.02).ToArray();
        double[] oneImage = [0.69, 0.71, 0.67, 0.74, 0.70, 0.75];
        double[] worse = best.Select(d => d - 0.01).ToArray();

        // when
        double shareEverywhere = SegmentationAcceptance.ShareBetter(everywhere, best, 17);
        double shareOne = SegmentationAcceptance.ShareBetter(oneImage, best, 17);
        double shareWorse = SegmentationAcceptance.ShareBetter(worse, best, 17);

        // then: a gain on every image is better in (nearly) every resample; a gain on one image of six, with small losses on the others, is not told from noise; a loss never is
        Assert.True(shareEverywhere >= SegmentationAcceptance.MinShareBetter, $"{shareEverywhere}");
        Assert.True(shareOne < SegmentationAcceptance.MinShareBetter, $"{shareOne}");
        Assert.True(shareWorse < 0.05, $"{shareWorse}");
        Assert.Throws<ArgumentException>(() => SegmentationAcceptance.ShareBetter([0.1], best, 17));
    }
}
