using Clinforge.Core;

namespace Clinforge.Tests;

/// <summary>develop --recipe: a person's edited recipe (or a benchmark's fixed arm) is recipe v0 instead of the initializer's plan.</summary>
public sealed class GivenRecipeTests
{
    [Fact]
    public void Should_TrainTheGivenRecipeAsTheFirstTrial_When_DevelopIsGivenARecipeFile()
    {
        // Given small class folders and an edited recipe the initializer would not have planned
        using var tmp = new TempDir();
        var data = BadInput.ClassFolders(tmp.Combine("data"), 12);
        var edited = new Recipe { Input = new InputSpec(16, 3), Model = new ModelSpec("simple_cnn", 8, 1, 0.2), MaxEpochs = 3, BatchSize = 8, Seed = 5 };
        Assert.Empty(RecipeSchema.Problems(edited));
        var file = tmp.Combine("edited.json");
        File.WriteAllText(file, Json.Serialize(edited));
        var run = new RunPaths(tmp.Combine("run"));

        // When develop starts from it
        var (code, stdout, stderr) = Repo.RunCli(TimeSpan.FromMinutes(4), "develop", "--request", "Tell benign from malignant.", "--data", data, "--recipe", file,
            "--rounds", "0", "--trial-minutes", "0.2", "--run", run.Root, "--threads", "1", "--non-interactive");

        // Then the first trial trained exactly that recipe, said so, and its origins record where it came from
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("recipe v0 given with --recipe edited.json", Json.Read<Proposal>(Path.Combine(run.Trial(0).Root, "proposal.json")).Change, StringComparison.Ordinal);
        var trained = Json.Read<Recipe>(run.Trial(0).Recipe);
        Assert.Equal(edited.Model, trained.Model);
        Assert.Equal(edited.Input, trained.Input);
        Assert.Equal(5, trained.Seed);
        Assert.Contains("--recipe edited.json", trained.Origins["recipe"], StringComparison.Ordinal);
        Assert.True(File.Exists(run.Trial(0).Metrics));
    }
}
