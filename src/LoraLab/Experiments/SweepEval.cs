using System.Text.Json.Nodes;
using LoraLab.Evaluation.Suite;

namespace LoraLab.Experiments;

/// <summary>
/// The sweep's <c>eval:</c> section: which tasks each point is evaluated on after training, every option of
/// <c>loralab eval</c> under its snake_case name (see <see cref="Keys"/>), and <c>eval_checkpoints</c> (final | all |
/// every N): which of the point's checkpoints to evaluate. Read and checked when the sweep file is read: an unknown key
/// or a bad value is refused naming it, never ignored.
/// </summary>
public sealed class SweepEval
{
    /// <summary>Every key the section may hold.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "tasks", "eval_checkpoints", "data_dir", "task_files", "fewshot_files", "limit", "num_fewshot", "batch_size", "seed",
        "max_gen_tokens", "share_context", "n", "temperature", "top_p", "greedy", "humaneval_max_new_tokens", "timeout", "workers",
        "ppl_stride", "ppl_separator",
    ];

    public SweepEval(JsonObject settings)
    {
        Settings = settings;
        foreach (var (key, _) in settings)
            if (!Keys.Contains(key))
                throw new LoraLabException($"eval.{key}: unknown key; the eval section takes {string.Join(", ", Keys)} (the compute dtype is the " +
                    "run's precision)");
        var tasks = new List<string>();
        if (settings["tasks"] is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonValue v && v.TryGetValue(out string? s)) tasks.Add(s);
                else if (item is JsonObject o && o["name"] is JsonValue nv && nv.TryGetValue(out string? name))
                {
                    if (o.Count > 1) // per-task options would be ignored: EvalSuite applies one set to every task
                        throw new LoraLabException($"eval.tasks: {name}: per-task options " +
                            $"({string.Join(", ", o.Select(kv => kv.Key).Where(k => k != "name"))}) are not supported; set them for all tasks in the " +
                            "eval section");
                    tasks.Add(name);
                }
                else throw new LoraLabException("eval.tasks: each entry is a task name (or a mapping with name:)");
            }
        }
        else if (settings["tasks"] is JsonValue one && one.TryGetValue(out string? single))
        {
            tasks.Add(single);
        }
        Tasks = tasks;
        Checkpoints = settings["eval_checkpoints"] is JsonNode c
            ? CheckpointSelection.Parse(c is JsonValue cv && cv.TryGetValue(out long n) ? $"every {n}" : c.ToString(), "eval.eval_checkpoints")
            : CheckpointSelection.Final;
        Options = tasks.Count > 0 ? Read(settings, tasks) : null;
        Options?.Validate();
    }

    /// <summary>No eval section.</summary>
    public static SweepEval None => new(new JsonObject());

    /// <summary>The whole <c>eval:</c> mapping (numbers, booleans and nulls typed as YAML 1.2 core reads plain scalars).</summary>
    public JsonObject Settings { get; }

    /// <summary>The names in <c>eval.tasks</c> (a string each, or a mapping's <c>name</c>).</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>The evaluation options, or null when no task is named.</summary>
    public EvalSuiteOptions? Options { get; }

    /// <summary>Which checkpoints of a point to evaluate (default: the final one).</summary>
    public CheckpointSelection Checkpoints { get; }

    private static EvalSuiteOptions Read(JsonObject s, IReadOnlyList<string> tasks)
    {
        var d = new EvalSuiteOptions { Tasks = tasks };
        return new EvalSuiteOptions
        {
            Tasks = tasks,
            DataDir = Text(s, "data_dir"),
            TaskFiles = Map(s, "task_files"),
            FewShotFiles = Map(s, "fewshot_files"),
            Limit = Int(s, "limit"),
            NumFewShot = Int(s, "num_fewshot"),
            BatchSize = Int(s, "batch_size") ?? d.BatchSize,
            Seed = Int(s, "seed") ?? d.Seed,
            MaxGenTokens = Int(s, "max_gen_tokens"),
            ShareContext = Bool(s, "share_context") ?? d.ShareContext,
            HumanEvalSamples = Int(s, "n") ?? d.HumanEvalSamples,
            HumanEvalTemperature = Num(s, "temperature") ?? d.HumanEvalTemperature,
            HumanEvalTopP = Num(s, "top_p") ?? d.HumanEvalTopP,
            HumanEvalGreedy = Bool(s, "greedy") ?? d.HumanEvalGreedy,
            HumanEvalMaxNewTokens = Int(s, "humaneval_max_new_tokens") ?? d.HumanEvalMaxNewTokens,
            HumanEvalTimeoutSeconds = Num(s, "timeout") ?? d.HumanEvalTimeoutSeconds,
            HumanEvalWorkers = Int(s, "workers") ?? d.HumanEvalWorkers,
            PerplexityStride = Int(s, "ppl_stride"),
            PerplexitySeparator = Text(s, "ppl_separator") ?? d.PerplexitySeparator,
        };
    }

    private static LoraLabException Bad(string key, string what, JsonNode? node) =>
        new($"eval.{key}: expected {what}, got {node?.ToJsonString() ?? "null"}");

    private static int? Int(JsonObject s, string key) => s[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out long i) && i is >= int.MinValue and <= int.MaxValue => (int)i,
        JsonValue v when v.TryGetValue(out int i) => i,
        var n => throw Bad(key, "an integer", n),
    };

    private static double? Num(JsonObject s, string key) => s[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double x) => x,
        JsonValue v when v.TryGetValue(out long x) => x,
        var n => throw Bad(key, "a number", n),
    };

    private static bool? Bool(JsonObject s, string key) => s[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var n => throw Bad(key, "true or false", n),
    };

    private static string? Text(JsonObject s, string key) => s[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? t) => t,
        var n => throw Bad(key, "a string", n),
    };

    private static Dictionary<string, string> Map(JsonObject s, string key) => s[key] switch
    {
        null => new Dictionary<string, string>(),
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue(out string? p) ? p : throw Bad($"{key}.{kv.Key}",
            "a path", kv.Value)),
        var n => throw Bad(key, "a mapping TASK: PATH", n),
    };
}
