using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Clinforge.Core;

/// <summary>
/// The one JSON convention for every record a person may read or edit: snake_case names, indented,
/// enums as snake_case strings.
/// </summary>
public static class Json
{
    /// <summary>Shared serializer options.</summary>
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            // Files are read by people: keep "≥", "…" and accents as written (no HTML context here).
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DictionaryKeyPolicy = null,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>Serialises a record.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Deserialises a record, failing with the file name when the content is invalid.</summary>
    public static T Deserialize<T>(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                   ?? throw new ClinforgeException($"{source}: the file is empty or 'null'.");
        }
        catch (JsonException e)
        {
            throw new ClinforgeException($"{source}: not a valid {typeof(T).Name} ({e.Message}). Fix the JSON or delete the file to regenerate it.");
        }
    }

    /// <summary>Reads a record from a file.</summary>
    public static T Read<T>(string path)
    {
        if (!File.Exists(path)) throw new ClinforgeException($"{path}: file not found.");
        return Deserialize<T>(File.ReadAllText(path), path);
    }

    /// <summary>Writes a record atomically (temporary file then rename), so a crash never leaves half a file.</summary>
    public static void Write<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value));
}

/// <summary>Writes files so that a reader sees either the old or the complete new content.</summary>
public static class AtomicFile
{
    /// <summary>Writes text through a temporary file in the same folder and a rename.</summary>
    public static void WriteAllText(string path, string text)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes bytes through a temporary file in the same folder and a rename.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// A problem with the user's input or run folder, with a message that names the file, the row and
/// what to do. The CLI prints the message (no stack trace) and exits non-zero.
/// </summary>
public class ClinforgeException(string message, int exitCode = 2) : Exception(message)
{
    /// <summary>Process exit code to use.</summary>
    public int ExitCode { get; } = exitCode;
}
