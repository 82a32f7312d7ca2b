using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace LoraLab.Experiments;

/// <summary>
/// The sweep's results index: <c>run_root/index.sqlite</c>, table <c>runs</c> with one row per point id
/// (<c>point_id</c> PRIMARY KEY, so writing a point again updates its row). It is derived data: the per-point
/// <c>result.json</c> files are the source of truth and <see cref="Sync"/> rebuilds the table from them.
/// <c>updated_at</c> is the result's <c>finished_at</c> (ISO 8601), so a rebuild gives the same rows.
/// </summary>
public sealed class SweepIndex : IDisposable
{
    public const string FileName = "index.sqlite";

    private const string Columns =
        "point_id, sweep, method, rank, lr, targets, duration, seed, status, final_loss, target_score, forgetting_score, metrics_json, error, " +
            "overrides_json, updated_at";

    private readonly SqliteConnection _connection;

    private SweepIndex(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public static string PathFor(string runRoot) => System.IO.Path.Combine(runRoot, FileName);

    /// <summary>Opens (creating if needed) <c>runRoot/index.sqlite</c>.</summary>
    public static SweepIndex Open(string runRoot)
    {
        Directory.CreateDirectory(runRoot);
        string path = PathFor(runRoot);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 60 };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 60000");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS runs (
                    point_id TEXT PRIMARY KEY,
                    sweep TEXT,
                    method TEXT,
                    rank INTEGER,
                    lr REAL,
                    targets TEXT,
                    duration TEXT,
                    seed INTEGER,
                    status TEXT NOT NULL,
                    final_loss REAL,
                    target_score REAL,
                    forgetting_score REAL,
                    metrics_json TEXT NOT NULL,
                    error TEXT,
                    overrides_json TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new LoraLabException($"{path}: cannot open the sweep index ({e.Message}); delete it and run 'loralab sweep status' to rebuild it " +
                "from the result.json files");
        }
        return new SweepIndex(connection, path);
    }

    /// <summary>Inserts or replaces the row of <paramref name="r"/>'s point.</summary>
    public void Upsert(SweepResultRecord r) => Upsert(r, null);

    /// <summary>
    /// Makes the table match the result.json files under <paramref name="runRoot"/> (<c>*/result.json</c>): upserts
    /// each and deletes rows whose file is gone. Returns the number of rows written and removed.
    /// </summary>
    public (int Upserted, int Removed) Sync(string runRoot)
    {
        var records = Directory.Exists(runRoot)
            ? Directory.EnumerateDirectories(runRoot)
                .Select(d => System.IO.Path.Combine(d, SweepResultFile.FileName))
                .Where(File.Exists)
                .Select(SweepResultFile.Read)
                .ToList()
            : [];
        using var tx = _connection.BeginTransaction();
        foreach (var r in records) Upsert(r, tx);
        var keep = records.Select(r => r.PointId).ToHashSet(StringComparer.Ordinal);
        int removed = 0;
        foreach (var id in ReadRows(tx).Select(row => row.PointId).Where(id => !keep.Contains(id)).ToList())
        {
            using var delete = Command("DELETE FROM runs WHERE point_id = $id", tx);
            delete.Parameters.AddWithValue("$id", id);
            removed += delete.ExecuteNonQuery();
        }
        tx.Commit();
        return (records.Count, removed);
    }

    /// <summary>All rows, by point id.</summary>
    public IReadOnlyList<SweepIndexRow> Rows() => ReadRows(null);

    public SweepIndexRow? Get(string pointId) => Rows().FirstOrDefault(r => r.PointId == pointId);

    public void Dispose() => _connection.Dispose();

    private List<SweepIndexRow> ReadRows(SqliteTransaction? tx)
    {
        using var cmd = Command($"SELECT {Columns} FROM runs ORDER BY point_id", tx);
        using var reader = cmd.ExecuteReader();
        var rows = new List<SweepIndexRow>();
        while (reader.Read())
        {
            rows.Add(new SweepIndexRow(
                reader.GetString(0), Str(reader, 1), Str(reader, 2), reader.IsDBNull(3) ? null : reader.GetInt32(3),
                Real(reader, 4), Str(reader, 5), Str(reader, 6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.GetString(8), Real(reader, 9), Real(reader, 10), Real(reader, 11), reader.GetString(12),
                Str(reader, 13), reader.GetString(14), reader.GetString(15)));
        }
        return rows;
    }

    private void Upsert(SweepResultRecord r, SqliteTransaction? tx)
    {
        using var cmd = Command($"""
            INSERT INTO runs ({Columns})
            VALUES ($point_id, $sweep, $method, $rank, $lr, $targets, $duration, $seed, $status, $final_loss, $target_score, $forgetting_score,
                $metrics_json, $error, $overrides_json, $updated_at)
            ON CONFLICT(point_id) DO UPDATE SET
                sweep = excluded.sweep, method = excluded.method, rank = excluded.rank, lr = excluded.lr,
                targets = excluded.targets, duration = excluded.duration, seed = excluded.seed, status = excluded.status,
                final_loss = excluded.final_loss, target_score = excluded.target_score, forgetting_score = excluded.forgetting_score,
                metrics_json = excluded.metrics_json, error = excluded.error, overrides_json = excluded.overrides_json,
                updated_at = excluded.updated_at
            """, tx);
        var p = cmd.Parameters;
        p.AddWithValue("$point_id", r.PointId);
        p.AddWithValue("$sweep", (object?)r.Sweep ?? DBNull.Value);
        p.AddWithValue("$method", (object?)r.Method ?? DBNull.Value);
        p.AddWithValue("$rank", (object?)r.Rank ?? DBNull.Value);
        p.AddWithValue("$lr", Db(r.Lr));
        p.AddWithValue("$targets", (object?)r.Targets ?? DBNull.Value);
        p.AddWithValue("$duration", (object?)r.Duration ?? DBNull.Value);
        p.AddWithValue("$seed", (object?)r.Seed ?? DBNull.Value);
        p.AddWithValue("$status", SweepResultFile.StatusText(r.Result.Status));
        p.AddWithValue("$final_loss", Db(r.Result.FinalTrainLoss));
        p.AddWithValue("$target_score", Db(r.Result.TargetScore));
        p.AddWithValue("$forgetting_score", Db(r.Result.ForgettingScore));
        var metrics = r.Result.Metrics.Where(kv => double.IsFinite(kv.Value)).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary();
        p.AddWithValue("$metrics_json", JsonSerializer.Serialize(metrics));
        p.AddWithValue("$error", (object?)r.Result.Error ?? DBNull.Value);
        p.AddWithValue("$overrides_json", JsonSerializer.Serialize(r.Overrides));
        p.AddWithValue("$updated_at", (r.FinishedAt ?? DateTimeOffset.UtcNow).ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object Db(double? v) => v is double d && double.IsFinite(d) ? d : DBNull.Value;

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static double? Real(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
}
