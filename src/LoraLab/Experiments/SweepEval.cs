using System.Text.Json.Nodes;

namespace LoraLab.Experiments;

/// <summary>
/// The sweep's <c>eval:</c> section, kept as given (converted to JSON) for the point runner: which tasks to run after
/// training and their options. The sweep itself does not interpret it beyond listing the task names.
/// </summary>
public sealed class SweepEval
{
    public SweepEval(JsonObject settings)
    {
        Settings = settings;
        var tasks = new List<string>();
        if (settings["tasks"] is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonValue v && v.TryGetValue(out string? s)) tasks.Add(s);
                else if (item is JsonObject o && o["name"] is JsonValue n && n.TryGetValue(out string? name)) tasks.Add(name);
            }
        }
        else if (settings["tasks"] is JsonValue one && one.TryGetValue(out string? single))
        {
            tasks.Add(single);
        }
        Tasks = tasks;
    }

    /// <summary>No eval section.</summary>
    public static SweepEval None => new(new JsonObject());

    /// <summary>The whole <c>eval:</c> mapping (numbers, booleans and nulls typed as YAML 1.2 core reads plain scalars).</summary>
    public JsonObject Settings { get; }

    /// <summary>The names in <c>eval.tasks</c> (a string each, or a mapping's <c>name</c>).</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>True when there is nothing to evaluate.</summary>
    public bool IsEmpty => Settings.Count == 0;
}
