using Clinforge.Cli;
using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Development;

namespace Clinforge.Tests;

/// <summary>The task-kind registry: which kind prepares and develops a run, and that every kind can run its trials.</summary>
[Collection(InProcessTraining.Name)]
public sealed class TaskKindTests
{
    [Fact]
    public void Should_PrepareWithDetection_When_TheDataHaveBoxes_And_WithClassification_When_TheyHaveClassFolders()
    {
        // Given a detection folder (YOLO labels), image/mask pairs and a folder per class
        using var tmp = new TempDir();
        var boxes = DatasetReader.Open(SyntheticDetection.WriteFolder(tmp.Combine("boxes"), count: 20, seed: 3));
        var masks = DatasetReader.Open(SyntheticSegmentation.WriteFolder(tmp.Combine("masks"), count: 6, seed: 3));
        var classes = DatasetReader.Open(BadInput.ClassFolders(tmp.Combine("classes")));

        // When the registry is asked which kind prepares each
        // Then the boxes go to detection, the pairs to segmentation and the class folders to classification
        Assert.Equal("detection", TaskKinds.ForData(boxes).Name);
        Assert.Equal("segmentation", TaskKinds.ForData(masks).Name);
        Assert.Equal("classification", TaskKinds.ForData(classes).Name);
    }

    [Fact]
    public void Should_RegisterEachKindOnceWithATrialBody_When_TheRegistryIsWalked()
    {
        // Given every registered kind
        var names = TaskKinds.All.Select(k => k.Name).ToList();

        // Then names are unique, each is found by name, and each has the trial body its child processes run
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        foreach (var name in names)
        {
            Assert.Same(TaskKinds.All.Single(k => k.Name == name), TaskKinds.ByName(name));
            Assert.Contains(name, TrialBodies.Kinds);
        }
        Assert.Throws<ClinforgeException>(() => TaskKinds.ByName("segmentation-that-is-not-there"));
    }

    [Fact]
    public void Should_DevelopAsDetection_Only_When_TheSpecAsksForDetectionAndTheCardHasBoxes()
    {
        // Given a detection dataset's card, and a spec asking for detection or for classification
        using var tmp = new TempDir();
        var dataset = DatasetReader.Open(SyntheticDetection.WriteFolder(tmp.Combine("boxes"), count: 20, seed: 3));
        var splits = Splitter.Split(dataset, 17);
        var card = Inspector.Inspect(dataset, splits, 17);
        var detection = new TaskSpec { Request = "mark fractures", Task = TaskKind.Detection, Classes = ["fracture"], PrimaryMetric = "map50" };

        // Then the run's kind follows both
        Assert.Equal("detection", TaskKinds.For(detection, card).Name);
        Assert.Equal("classification", TaskKinds.For(detection with { Task = TaskKind.Classification }, card).Name);
        Assert.Equal("classification", TaskKinds.For(detection, card with { Detection = null }).Name);
    }
}
