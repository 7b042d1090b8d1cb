using Clinforge.Cli;
using Clinforge.Core;

namespace Clinforge.Tests;

/// <summary>
/// The CLI's one exception boundary: every failure becomes a plain message and an exit code. Faults
/// that cannot be made for real on every machine (a full disk without a tmpfs to fill) are injected
/// here as the exception the write would throw.
/// </summary>
public sealed class CliBoundaryTests
{
    public static TheoryData<string, Exception, int, string> Failures() => new()
    {
        { "disk full", new IOException("No space left on device : '/runs/x/journal.db'", 28), 74, "the disk is full" },
        { "quota exceeded", new IOException("Disk quota exceeded : '/runs/x/journal.db'", 122), 74, "the disk is full" },
        { "read-only file system", new IOException("Read-only file system : '/runs/x'", 30), 74, "read-only" },
        { "permission denied", new UnauthorizedAccessException("Access to the path '/runs/x' is denied."), 77, "permission denied" },
        { "bad input inside a parallel loop", new AggregateException(new ClinforgeException("/data/x.png: cannot decode image (truncated).")), 2, "/data/x.png: cannot decode image" },
        { "bad input with its own code", new ClinforgeException("locked", 75), 75, "locked" },
        { "a bug", new NullReferenceException("Object reference not set to an instance of an object."), 70, "an internal error stopped clinforge" },
        { "out of memory", new OutOfMemoryException(), 70, "out of memory" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Should_GiveAPlainMessageAndExitCode_When_ACommandFails(string what, Exception failure, int code, string says)
    {
        // Given a command that fails this way, when it is run through the boundary
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int exit;
        try { exit = CliBoundary.Run(() => throw failure); }
        finally { Console.SetError(saved); }

        // Then it exits with the code and says what happened, with no stack trace
        Assert.True(code == exit, $"{what}: exit {exit}");
        Assert.StartsWith("error: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(says, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }
}
