using System.Globalization;
using Clinforge.Core;
using Microsoft.Data.Sqlite;

namespace Clinforge.Development;

/// <summary>
/// The run's append-only journal in SQLite (journal.db): every trial, decision and the test look.
/// Rows are only ever inserted; a trial is "finished" once its row exists, so a resumed run knows
/// exactly which trials completed.
/// </summary>
public sealed class Journal : ITestLookRecorder, IDisposable
{
    private readonly SqliteConnection _connection;

    /// <summary>Opens (creating if needed) the journal at <paramref name="path"/>.</summary>
    public Journal(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS events (
              id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, kind TEXT NOT NULL,
              trial INTEGER, message TEXT NOT NULL, payload TEXT);
            CREATE TABLE IF NOT EXISTS trials (
              number INTEGER PRIMARY KEY, move TEXT NOT NULL, change TEXT NOT NULL, reason TEXT NOT NULL,
              source TEXT, status TEXT NOT NULL, objective REAL, accepted INTEGER NOT NULL,
              best_before REAL, diagnosis TEXT, finished TEXT NOT NULL);
            CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS trials_append_only_u BEFORE UPDATE ON trials BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS trials_append_only_d BEFORE DELETE ON trials BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
            """);
    }

    /// <summary>Appends a free-form event (decision, note, question, answer).</summary>
    public void Event(string kind, string message, int? trial = null, string? payload = null)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "INSERT INTO events(time, kind, trial, message, payload) VALUES ($t, $k, $n, $m, $p)";
        cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$n", (object?)trial ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$m", message);
        cmd.Parameters.AddWithValue("$p", (object?)payload ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records a finished trial (succeeded or failed) with the decision taken on it.</summary>
    public void AppendTrial(TrialRecord t)
    {
        using var tx = _connection.BeginTransaction();
        using (var cmd = _connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO trials(number, move, change, reason, source, status, objective, accepted, best_before, diagnosis, finished)
                VALUES ($n, $m, $c, $r, $s, $st, $o, $a, $b, $d, $f)
                """;
            cmd.Parameters.AddWithValue("$n", t.Number);
            cmd.Parameters.AddWithValue("$m", t.Move);
            cmd.Parameters.AddWithValue("$c", t.Change);
            cmd.Parameters.AddWithValue("$r", t.Reason);
            cmd.Parameters.AddWithValue("$s", (object?)t.Source ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$st", t.Status.ToString());
            cmd.Parameters.AddWithValue("$o", t.Objective is { } o && !double.IsNaN(o) ? o : DBNull.Value);
            cmd.Parameters.AddWithValue("$a", t.Accepted ? 1 : 0);
            cmd.Parameters.AddWithValue("$b", (object?)t.BestBefore ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$d", (object?)t.Diagnosis ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$f", t.Finished.ToString("O", CultureInfo.InvariantCulture));
            cmd.ExecuteNonQuery();
        }
        using (var ev = _connection.CreateCommand())
        {
            ev.Transaction = tx;
            ev.CommandText = "INSERT INTO events(time, kind, trial, message) VALUES ($t, 'decision', $n, $m)";
            ev.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            ev.Parameters.AddWithValue("$n", t.Number);
            ev.Parameters.AddWithValue("$m", t.Accepted ? $"kept trial {t.Number} ({t.Move})" : $"discarded trial {t.Number} ({t.Move})");
            ev.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>All finished trials in order.</summary>
    public IReadOnlyList<TrialRecord> Trials() => ReadTrials(_connection);

    /// <summary>
    /// All finished trials in order, from any open connection to a journal (e.g. a read-only one held by
    /// the web app while a developer writes): the one place that maps the trials table to records.
    /// </summary>
    public static IReadOnlyList<TrialRecord> ReadTrials(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT number, move, change, reason, source, status, objective, accepted, best_before, diagnosis, finished FROM trials ORDER BY number";
        using var r = cmd.ExecuteReader();
        var list = new List<TrialRecord>();
        while (r.Read())
        {
            list.Add(new TrialRecord(
                r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                Enum.Parse<TrialStatus>(r.GetString(5)), r.IsDBNull(6) ? null : r.GetDouble(6), r.GetInt32(7) == 1,
                r.IsDBNull(8) ? null : r.GetDouble(8), r.IsDBNull(9) ? null : r.GetString(9),
                DateTimeOffset.Parse(r.GetString(10), CultureInfo.InvariantCulture)));
        }
        return list;
    }

    /// <summary>Events of one kind (or all) in order.</summary>
    public IReadOnlyList<(DateTimeOffset Time, string Kind, int? Trial, string Message)> Events(string? kind = null)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT time, kind, trial, message FROM events" + (kind is null ? "" : " WHERE kind = $k") + " ORDER BY id";
        if (kind is not null) cmd.Parameters.AddWithValue("$k", kind);
        using var r = cmd.ExecuteReader();
        var list = new List<(DateTimeOffset, string, int?, string)>();
        while (r.Read())
            list.Add((DateTimeOffset.Parse(r.GetString(0), CultureInfo.InvariantCulture), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt32(2), r.GetString(3)));
        return list;
    }

    /// <inheritdoc />
    public int TestLookCount => Events("test_look").Count;

    /// <summary>The journaled acceptance-rule decisions ("acceptance" events) by trial (the last one wins when a trial was rerun).</summary>
    public Dictionary<int, string> Decisions()
    {
        var map = new Dictionary<int, string>();
        foreach (var e in Events("acceptance"))
            if (e.Trial is { } n) map[n] = e.Message;
        return map;
    }

    /// <inheritdoc />
    public void RecordTestLook(string purpose, bool allowRepeat)
    {
        int looks = TestLookCount;
        if (looks > 0 && !allowRepeat)
            throw new ClinforgeException(
                $"The test split of this run was already looked at ({Events("test_look")[0].Time:u}). " +
                "A second look would make the test result optimistic; pass --allow-second-look to do it anyway (the report will say so).");
        Event("test_look", looks == 0 ? $"first look at the sealed test split: {purpose}" : $"REPEATED look #{looks + 1} at the test split (explicitly allowed): {purpose}");
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();
}
