using System.Globalization;

namespace LoraLab.Evaluation.Suite;

/// <summary>
/// Which of a run's checkpoints to evaluate: <c>final</c> (the newest, which is the final model), <c>all</c>, or
/// <c>every N</c> (steps that are multiples of N, plus the final one).
/// </summary>
public sealed record CheckpointSelection
{
    private CheckpointSelection(string text, long? every, bool finalOnly)
    {
        Text = text;
        Every = every;
        FinalOnly = finalOnly;
    }

    public static CheckpointSelection All { get; } = new("all", null, false);

    public static CheckpointSelection Final { get; } = new("final", null, true);

    public static CheckpointSelection EveryN(long n) =>
        n >= 1 ? new($"every {n}", n, false) : throw new LoraLabException($"eval_checkpoints: every N needs N ≥ 1, got {n}");

    /// <summary>As written: "final", "all" or "every N".</summary>
    public string Text { get; }

    public long? Every { get; }

    public bool FinalOnly { get; }

    /// <summary>Parses "final", "all" or "every N" (<paramref name="where"/> names the setting in messages).</summary>
    public static CheckpointSelection Parse(string text, string where)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "final") return Final;
        if (t == "all") return All;
        string[] parts = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[0] == "every" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1)
            return EveryN(n);
        throw new LoraLabException($"{where}: '{text}' is not final, all or every N (N ≥ 1 steps)");
    }

    /// <summary>The selected steps among <paramref name="steps"/> (ascending): the last one is always kept.</summary>
    public IReadOnlyList<long> Select(IReadOnlyList<long> steps)
    {
        if (steps.Count == 0) return [];
        if (FinalOnly) return [steps[^1]];
        if (Every is not long n) return steps;
        return steps.Where((s, i) => s % n == 0 || i == steps.Count - 1).ToList();
    }

    public override string ToString() => Text;
}
