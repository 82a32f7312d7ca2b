namespace LoraLab.Experiments;

/// <summary>What a <c>sweep run</c> did: points run, skipped as finished, failed, and whether --fail-fast stopped it.</summary>
public sealed record SweepRunSummary(int Ran, int Skipped, IReadOnlyList<string> FailedIds, bool StoppedEarly)
{
    public int Failed => FailedIds.Count;
}
