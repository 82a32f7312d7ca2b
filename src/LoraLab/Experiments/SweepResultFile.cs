using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Experiments;

/// <summary>
/// Reads and writes <c>result.json</c> (snake_case keys; <c>"status": "ok" | "failed"</c>; numbers that are not
/// finite are written as null). Writes are atomic, so a point is either finished or not.
/// </summary>
public static class SweepResultFile
{
    public const string FileName = "result.json";

    public const string Schema = "loralab.sweep.result/1";

    public static void Write(string path, SweepResultRecord r)
    {
        var o = new JsonObject
        {
            ["schema"] = Schema,
            ["point_id"] = r.PointId,
            ["index"] = r.Index,
            ["sweep"] = r.Sweep,
            ["method"] = r.Method,
            ["rank"] = r.Rank,
            ["lr"] = Num(r.Lr),
            ["targets"] = r.Targets,
            ["target_modules"] = r.TargetModules == null ? null : new JsonArray(r.TargetModules.Select(t => (JsonNode?)t).ToArray()),
            ["duration"] = r.Duration,
            ["seed"] = r.Seed,
            ["overrides"] = new JsonArray(r.Overrides.Select(t => (JsonNode?)t).ToArray()),
            ["status"] = StatusText(r.Result.Status),
            ["error"] = r.Result.Error,
            ["final_train_loss"] = Num(r.Result.FinalTrainLoss),
            ["target_score"] = Num(r.Result.TargetScore),
            ["forgetting_score"] = Num(r.Result.ForgettingScore),
            ["metrics"] = new JsonObject(r.Result.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, Num(kv.Value)))),
            ["paths"] = new JsonObject(r.Result.Paths.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["started_at"] = r.StartedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["finished_at"] = r.FinishedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["elapsed_seconds"] = Num(r.ElapsedSeconds),
        };
        AtomicFile.WriteAllText(path, o.ToJsonString(JsonFormats.Indented) + "\n");
    }

    public static SweepResultRecord Read(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new LoraLabException($"{path}: invalid JSON ({e.Message}); delete the file to run the point again");
        }
        if (node is not JsonObject o) throw new LoraLabException($"{path}: expected a JSON object; delete the file to run the point again");
        try
        {
            return new SweepResultRecord
            {
                PointId = GetString(o, "point_id") ?? throw new FormatException("point_id is missing"),
                Index = GetInt(o, "index"),
                Sweep = GetString(o, "sweep"),
                Method = GetString(o, "method"),
                Rank = GetInt(o, "rank"),
                Lr = GetNum<double>(o, "lr"),
                Targets = GetString(o, "targets"),
                TargetModules = o["target_modules"] is JsonArray tm ? tm.Select(t => t!.GetValue<string>()).ToList() : null,
                Duration = GetString(o, "duration"),
                Seed = GetNum<long>(o, "seed"),
                Overrides = o["overrides"] is JsonArray ov ? ov.Select(t => t!.GetValue<string>()).ToList() : [],
                Result = new SweepPointResult
                {
                    Status = ParseStatus(GetString(o, "status")),
                    Error = GetString(o, "error"),
                    FinalTrainLoss = GetNum<double>(o, "final_train_loss"),
                    TargetScore = GetNum<double>(o, "target_score"),
                    ForgettingScore = GetNum<double>(o, "forgetting_score"),
                    Metrics = o["metrics"] is JsonObject m
                        ? m.Where(kv => kv.Value != null).ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>())
                        : new Dictionary<string, double>(),
                    Paths = o["paths"] is JsonObject p
                        ? p.Where(kv => kv.Value != null).ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>())
                        : new Dictionary<string, string>(),
                },
                StartedAt = ParseTime(GetString(o, "started_at")),
                FinishedAt = ParseTime(GetString(o, "finished_at")),
                ElapsedSeconds = GetNum<double>(o, "elapsed_seconds"),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new LoraLabException($"{path}: {e.Message}; fix or delete the file (deleting it runs the point again)");
        }
    }

    /// <summary>Reads the record at <paramref name="path"/>, or null when there is none.</summary>
    public static SweepResultRecord? TryRead(string path) => File.Exists(path) ? Read(path) : null;

    public static string StatusText(SweepPointStatus s) => s == SweepPointStatus.Ok ? "ok" : "failed";

    private static SweepPointStatus ParseStatus(string? s) => s switch
    {
        "ok" => SweepPointStatus.Ok,
        "failed" => SweepPointStatus.Failed,
        _ => throw new FormatException($"status is '{s}', expected \"ok\" or \"failed\""),
    };

    private static JsonNode? Num(double? v) => v is double d && double.IsFinite(d) ? JsonValue.Create(d) : null;

    private static string? GetString(JsonObject o, string key) => o[key] is null ? null : Get<string>(o, key);

    private static T? GetNum<T>(JsonObject o, string key) where T : struct => o[key] is null ? null : Get<T>(o, key);

    private static T Get<T>(JsonObject o, string key)
    {
        try
        {
            return o[key]!.GetValue<T>();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new FormatException($"{key} has the wrong type ({o[key]!.ToJsonString()})");
        }
    }

    private static int? GetInt(JsonObject o, string key) => GetNum<long>(o, key) is long l ? checked((int)l) : null;

    private static DateTimeOffset? ParseTime(string? s) =>
        s == null ? null
        : DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t
        : throw new FormatException($"'{s}' is not an ISO 8601 time");
}
