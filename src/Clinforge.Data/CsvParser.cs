using System.Text;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>One CSV record and the physical line it starts on (1-based; the header is line 1).</summary>
internal sealed record CsvRecord(int Line, string[] Fields);

/// <summary>
/// RFC 4180 CSV: quoted fields may hold the delimiter, doubled quotes and line breaks; CRLF or LF line
/// ends; blank lines are skipped. The delimiter is guessed from the header (comma, semicolon as written
/// by European spreadsheets, or tab).
/// </summary>
/// <remarks>
/// Hand-written on purpose. Sep 0.18, the well-kept library tried in its place (unescaping, outer
/// trimming), reads these files differently: a stray quote inside an unquoted field (<c>x"y,3</c>) opens
/// a quoted field there and swallows the rest of the file into it, where a spreadsheet and this parser
/// keep it as a character; an unclosed quote is read to the end of the file without an error, where
/// this parser names the line; blank lines come back as one empty field; and the first record's line
/// number is 2. The error messages name the file and line, which the bad-input tests rely on.
/// </remarks>
internal static class CsvParser
{
    public static List<CsvRecord> Parse(string text, string path)
    {
        var delimiter = GuessDelimiter(text, path);
        var records = new List<CsvRecord>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        bool inQuotes = false, fieldWasQuoted = false;

        void EndField()
        {
            fields.Add(fieldWasQuoted ? field.ToString() : field.ToString().Trim());
            field.Clear();
            fieldWasQuoted = false;
        }

        void EndRecord()
        {
            EndField();
            if (!(fields.Count == 1 && fields[0].Length == 0)) records.Add(new CsvRecord(recordLine, [.. fields]));
            fields.Clear();
        }

        while (i < text.Length)
        {
            var ch = text[i];
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }
                    inQuotes = false;
                    i++;
                    continue;
                }
                if (ch == '\n') line++;
                field.Append(ch);
                i++;
                continue;
            }

            if (ch == '"' && field.ToString().Trim().Length == 0 && !fieldWasQuoted)
            {
                // A quote opens a quoted field only at its start; elsewhere it is an ordinary character.
                field.Clear();
                inQuotes = true;
                fieldWasQuoted = true;
                i++;
            }
            else if (ch == delimiter)
            {
                EndField();
                i++;
            }
            else if (ch == '\r' || ch == '\n')
            {
                EndRecord();
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                i++;
                line++;
                recordLine = line;
            }
            else
            {
                field.Append(ch);
                i++;
            }
        }
        if (inQuotes)
        {
            throw new ClinforgeException($"{path}: line {recordLine}: a quoted field is never closed. Check the quotes in that row.");
        }
        if (field.Length > 0 || fields.Count > 0 || fieldWasQuoted) EndRecord();
        return records;
    }

    private static char GuessDelimiter(string text, string path)
    {
        if (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)) return '\t';
        int commas = 0, semicolons = 0, tabs = 0;
        var inQuotes = false;
        foreach (var ch in text)
        {
            if (ch == '"') inQuotes = !inQuotes;
            else if (!inQuotes && ch is '\n' or '\r') break;
            else if (!inQuotes && ch == ',') commas++;
            else if (!inQuotes && ch == ';') semicolons++;
            else if (!inQuotes && ch == '\t') tabs++;
        }
        if (semicolons > commas && semicolons >= tabs) return ';';
        if (tabs > commas && tabs > semicolons) return '\t';
        return ',';
    }
}
