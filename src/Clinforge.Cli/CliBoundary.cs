using System.Globalization;
using Clinforge.Core;
using Clinforge.Data;

namespace Clinforge.Cli;

/// <summary>
/// The one place where a failure leaves the command: every exception becomes a line starting
/// "error:" that says what happened and what to do, and an exit code (sysexits.h where one fits), so
/// no stack trace reaches a user. CLINFORGE_DEBUG=1 adds the trace for a developer.
/// Also handles the options every command takes (<c>--max-image-pixels</c>, <c>--allow-root</c>).
/// </summary>
internal static class CliBoundary
{
    /// <summary>EX_SOFTWARE: an internal error.</summary>
    public const int Internal = 70;

    /// <summary>EX_IOERR: the disk is full, read-only or failed.</summary>
    public const int IoError = 74;

    /// <summary>EX_NOPERM: a file or folder may not be read or written.</summary>
    public const int NoPermission = 77;

    // errno values .NET puts in IOException.HResult on Linux and macOS.
    private const int NoSpace = 28, ReadOnlyFileSystem = 30, QuotaExceeded = 122, QuotaExceededMac = 69;

    /// <summary>Runs a command and turns any exception into a message and an exit code.</summary>
    public static int Run(Func<int> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            return command();
        }
        catch (Exception e)
        {
            var (message, code) = Describe(e);
            Console.Out.Flush();
            Console.Error.WriteLine($"error: {message}");
            if (Environment.GetEnvironmentVariable("CLINFORGE_DEBUG") == "1") Console.Error.WriteLine(e);
            return code;
        }
    }

    /// <summary>The message and exit code for a failure.</summary>
    public static (string Message, int Code) Describe(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        // Parallel loops and tasks wrap what went wrong.
        while (e is AggregateException { InnerExceptions.Count: >= 1 } agg) e = agg.InnerExceptions[0];
        if (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        return e switch
        {
            ClinforgeException c => (c.Message, c.ExitCode),
            UnauthorizedAccessException => ($"permission denied: {e.Message} Check that you may write there, or choose another folder (e.g. --run DIR or --out DIR).", NoPermission),
            IOException io when io.HResult is NoSpace or QuotaExceeded or QuotaExceededMac =>
                ($"the disk is full ({e.Message}). Free some space and run the command again; a run continues with 'clinforge resume RUN'.", IoError),
            IOException io when io.HResult == ReadOnlyFileSystem =>
                ($"the file system is read-only ({e.Message}). Choose a folder you can write to (e.g. --run DIR or --out DIR).", IoError),
            IOException => ($"a file could not be read or written: {e.Message}", IoError),
            OutOfMemoryException => ("out of memory. Use smaller images (--max-image-pixels), fewer parallel trials (--parallel 1) or a machine with more memory.", Internal),
            _ => ($"an internal error stopped clinforge ({e.GetType().Name}: {e.Message}). What was already written in the run folder is kept; set CLINFORGE_DEBUG=1 to see the details when reporting this.", Internal),
        };
    }

    /// <summary>
    /// Applies the options every command accepts to this process and the trial processes it starts:
    /// <c>--max-image-pixels N</c> (the largest image decoded) and <c>--allow-root DIR</c> (repeatable: a
    /// folder besides the dataset's own that its files may lie in). Both were checked by the parser.
    /// </summary>
    public static void ApplyGlobalOptions(long? maxPixels, IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (maxPixels is { } pixels) DataLimits.SetMaxPixels(pixels);
        if (roots.Count > 0) DataLimits.AllowRoots(roots.Select(Path.GetFullPath).ToList());
    }
}
