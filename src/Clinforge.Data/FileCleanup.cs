namespace Clinforge.Data;

/// <summary>Best-effort removal of partial files (a cache entry another process may still hold open, a half-written temp file).</summary>
internal static class FileCleanup
{
    /// <summary>Deletes <paramref name="file"/> if it can; a file in use or not permitted is left for the next attempt.</summary>
    public static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
