using LoraLab.Training.Config;

namespace LoraLab.Experiments;

/// <summary>
/// Expands a sweep's grid into points, in a stable order.
/// </summary>
/// <remarks>
/// <para>Order: the cartesian product of the axes taken in this order — <c>method</c>, <c>lora.r</c>,
/// <c>lora.target_modules</c>, <c>optimizer.lr</c>, <c>max_duration</c>, any other keys in the order they appear in the
/// file, and <c>seed</c> last — with the LAST axis varying fastest (like nested for-loops), and each axis's values in
/// the order written. The order does not depend on how the grid keys are ordered in the file, except among "other" keys.</para>
/// <para>Method-aware: a point whose method is <c>full</c> (from the grid, or the base config when <c>method</c> is not
/// on the grid) drops every <c>lora.*</c> override, so the rank and target axes collapse: the first combination
/// that produces a given full-finetune point keeps its place and later duplicates are skipped.</para>
/// <para>Indices: <c>--index I</c> is the 0-based position in this list (0 … Count−1); <c>sweep list</c> prints it.
/// A point's index changes when the grid changes; its id (and so its run directory and result) does not.</para>
/// <para>Every point's run config is loaded and validated through <see cref="RunConfigLoader"/> with the overrides,
/// so a bad value fails here, naming the override.</para>
/// </remarks>
public static class SweepExpander
{
    public static IReadOnlyList<SweepPoint> Expand(SweepDefinition sweep)
    {
        var axes = sweep.Axes;
        var extraLabels = ExtraLabels(axes);
        var points = new List<SweepPoint>();
        var seen = new HashSet<string>();
        var ids = new Dictionary<string, IReadOnlyList<string>>();
        var counters = new int[axes.Count];
        while (true)
        {
            var chosen = axes.Select((a, i) => (a.Key, Value: a.Values[counters[i]])).ToList();
            string? method = chosen.Where(c => c.Key == "method").Select(c => c.Value).FirstOrDefault() ?? sweep.BaseMethod;
            if (string.Equals(method?.Trim(), "full", StringComparison.Ordinal))
                chosen.RemoveAll(c => c.Key.StartsWith("lora.", StringComparison.Ordinal));
            var overrides = chosen.Select(c => $"{c.Key}={c.Value}").ToList();
            if (seen.Add(string.Join('\n', overrides)))
                points.Add(MakePoint(sweep, points.Count, overrides, chosen, extraLabels, ids));
            if (!Advance(counters, axes)) break;
        }
        return points;
    }

    private static SweepPoint MakePoint(
        SweepDefinition sweep, int index, List<string> overrides, List<(string Key, string Value)> chosen,
        Dictionary<string, string> extraLabels, Dictionary<string, IReadOnlyList<string>> ids)
    {
        // save_folder is set below from the id; a placeholder satisfies validation when the base has none
        var config = RunConfigLoader.Parse(sweep.BaseYaml, sweep.BaseSource, [.. overrides, "save_folder=" + sweep.RunRoot]);
        var extras = chosen.Where(c => extraLabels.ContainsKey(c.Key)).Select(c => (extraLabels[c.Key], c.Value));
        string id = PointIds.Build(config, extras);
        if (ids.TryGetValue(id, out var other))
            throw new LoraLabException(
                $"{sweep.SourceFile}: grid points [{string.Join(", ", other)}] and [{string.Join(", ", overrides)}] are the same run ({id}); " +
                "remove the duplicate value from the grid");
        ids[id] = overrides;
        string runDir = Path.Combine(sweep.RunRoot, id);
        config.SaveFolder = Path.Combine(runDir, "checkpoints");
        bool lora = config.Method == FinetuneMethod.Lora;
        var targets = lora ? config.Lora.ResolveTargetModules(out _) : null;
        return new SweepPoint
        {
            Index = index,
            Id = id,
            SweepName = sweep.Name,
            Method = config.Method,
            Rank = lora ? config.Lora.R : null,
            TargetModules = targets,
            Targets = targets != null ? PointIds.TargetsLabel(targets) : null,
            LearningRate = config.Optimizer.Lr,
            MaxDuration = config.MaxDuration!.Value,
            Seed = config.Seed,
            Overrides = overrides,
            RunDir = runDir,
            Config = config,
            Eval = sweep.Eval,
        };
    }

    /// <summary>Id labels for the axes that are not in the id's fixed parts: the key's last segment, or the whole key when shared.</summary>
    private static Dictionary<string, string> ExtraLabels(IReadOnlyList<SweepAxis> axes)
    {
        var extra = axes.Select(a => a.Key)
            .Where(k => k != SweepFileParser.SeedAxis && !SweepFileParser.LeadingAxes.Contains(k))
            .ToList();
        string Last(string k) => k[(k.LastIndexOf('.') + 1)..];
        return extra.ToDictionary(k => k, k => extra.Count(o => Last(o) == Last(k)) > 1 ? k.Replace('.', '_') : Last(k));
    }

    /// <summary>Odometer step with the last axis fastest; false after the last combination.</summary>
    private static bool Advance(int[] counters, IReadOnlyList<SweepAxis> axes)
    {
        for (int i = counters.Length - 1; i >= 0; i--)
        {
            if (++counters[i] < axes[i].Values.Count) return true;
            counters[i] = 0;
        }
        return false;
    }
}
