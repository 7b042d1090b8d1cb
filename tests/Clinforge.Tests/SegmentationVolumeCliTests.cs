using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Tests;

/// <summary>Segmentation of NIfTI volumes as a user runs it: develop on image + label-map volumes read as slices, then outline a new volume into a label-map volume.</summary>
public sealed class SegmentationVolumeCliTests
{
    [Fact]
    public void Should_DevelopOnSlicesAndWriteALabelVolume_When_DataAreNiftiVolumesWithLabelMaps()
    {
        // given: 8 generated cases, each a 48x48x10 volume (1x1x2.5 mm) with a two-label map
        using var tmp = new TempDir();
        var data = SyntheticSegmentation.WriteVolumes(tmp.Combine("data"), 8, seed: 3);
        var runDir = tmp.Combine("run");

        // when: the structures are outlined with one trial and no refinement (90 s: the suite runs beside it on two cores)
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(5), "develop", "--request", "Outline the lesion and the organ on these scans",
            "--data", data, "--rounds", "0", "--trial-minutes", "1.5", "--run", runDir, "--threads", "1", "--non-interactive");

        // then: every axial slice is a pair, whole volumes are split apart, and both labels are scored at the test look
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}\n{Repo.TrialLogs(runDir)}");
        var run = new RunPaths(runDir);
        var card = Json.Read<DataCard>(run.DataCard);
        var seg = card.Segmentation!;
        Assert.Equal((80, 8, 2), (seg.Pairs, seg.Volumes, seg.SliceAxis!.Value));
        var splits = Json.Read<Splits>(run.Splits);
        var volumesIn = new[] { splits.Train, splits.Val, splits.Test }.Select(s => s.Select(i => i.Id.Split('#')[0]).ToHashSet()).ToList();
        Assert.Empty(volumesIn[0].Intersect(volumesIn[2]));
        Assert.Empty(volumesIn[0].Intersect(volumesIn[1]));
        var e = Json.Read<SegmentationEvaluation>(run.SegmentationEvaluation);
        Assert.Equal(2, e.Final.Labels.Count);
        Assert.True(e.Final.Labels[0].Dice.Value > 0.5, $"test Dice of label 1: {e.Final.Labels[0].Dice}");
        Assert.Contains("slices of 8 volume(s)", File.ReadAllText(run.ReportMarkdown), StringComparison.Ordinal);
        Assert.Equal(2, Json.Read<SegmentationPackageManifest>(run.Package.SegmentationManifest).SliceAxis);

        // when: a new volume is outlined with the package
        var fresh = SyntheticSegmentation.WriteVolumes(tmp.Combine("new"), 1, seed: 77);
        var volume = Path.Combine(fresh, "case_000", "image.nii.gz");
        var outDir = tmp.Combine("out");
        (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(2), "predict", run.PackageDir, volume, "--out", outDir, "--threads", "1");

        // then: a label-map volume on the new volume's grid that finds the lesion, an overlay, and each label's volume in mL
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var predicted = NiftiReader.Read(Path.Combine(outDir, "image_mask.nii.gz"));
        var truth = NiftiReader.Read(Path.Combine(fresh, "case_000", "mask.nii.gz"));
        Assert.Equal(truth.Dims, predicted.Dims);
        Assert.Equal(1002, predicted.IntentCode);
        long both = 0, p = 0, t = 0;
        for (int s = 0; s < truth.Dims[2]; s++)
            for (int a = 0; a < truth.Dims[1]; a++)
                for (int r = 0; r < truth.Dims[0]; r++)
                {
                    bool inPrediction = predicted[r, a, s] == 1, inTruth = truth[r, a, s] == 1;
                    Assert.InRange(predicted[r, a, s], 0, 2);
                    both += inPrediction && inTruth ? 1 : 0;
                    p += inPrediction ? 1 : 0;
                    t += inTruth ? 1 : 0;
                }
        double dice = 2.0 * both / (p + t);
        Assert.True(dice > 0.5, $"lesion Dice on the new volume {dice:F3}\n{stdout}");
        Assert.True(File.Exists(Path.Combine(outDir, "image_overlay.png")));
        var rows = File.ReadAllLines(Path.Combine(outDir, "segmentation.csv"));
        Assert.Equal("image,width,height,label,pixels,fraction,mask,overlay,volume_ml", rows[0]);
        var lesion = rows[1].Split(',');
        // 1 × 1 × 2.5 mm voxels: 400 voxels per mL
        double expectedMl = long.Parse(lesion[4], System.Globalization.CultureInfo.InvariantCulture) * 0.0025;
        Assert.True(Math.Abs(expectedMl - double.Parse(lesion[8], System.Globalization.CultureInfo.InvariantCulture)) <= 0.0005, rows[1]);
    }
}
