namespace Clinforge.Web.Tests;

/// <summary>The path confinement on its own.</summary>
public sealed class PathGuardTests
{
    [Fact]
    public void Should_AcceptAFolderInsideARoot_When_ItIsGivenRelativeToTheWorkspace()
    {
        // Given a workspace with a data folder
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("datasets", "skin"));
        var guard = new PathGuard([dir.Path]);

        // When the folder is named relative to the workspace
        var (path, error) = guard.Confine("datasets/skin", dir.Path);

        // Then it resolves inside the root
        Assert.Null(error);
        Assert.Equal(PathGuard.RealPath(dir.Combine("datasets", "skin")), path);
    }

    [Fact]
    public void Should_RefuseASiblingWithTheRootAsPrefix_When_OnlyTheNameStartsAlike()
    {
        // Given a root /x/data and a sibling /x/data-secret
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("data"));
        Directory.CreateDirectory(dir.Combine("data-secret"));
        var guard = new PathGuard([dir.Combine("data")]);

        // When the sibling is named
        var (path, error) = guard.Confine(dir.Combine("data-secret"), dir.Path);

        // Then it is outside (a prefix of the text is not a parent folder)
        Assert.Null(path);
        Assert.Contains("outside", error, StringComparison.Ordinal);
    }
}
