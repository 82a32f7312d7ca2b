namespace LoraLab.Tokenization;

/// <summary>
/// Greedy pair merging shared by llama2.c-style (highest piece score first) and Hugging Face BPE (lowest merge rank
/// first): repeatedly merge the adjacent pair with the best priority, ties going to the leftmost pair.
/// <para>
/// Equivalent to the naive "scan all pairs, merge the best, repeat" loop, but O(n log n): symbols live in a doubly
/// linked list indexed by their original position (positions keep their left-to-right order as symbols merge, so
/// "leftmost" = smallest position), and candidate pairs sit in a heap keyed by (priority, position). A heap entry is
/// stale when its left symbol was absorbed or its neighbours changed since it was pushed; stale entries are skipped.
/// </para>
/// </summary>
internal sealed class PairMerger
{
    private readonly Dictionary<long, (int MergedId, double Priority)> _pairs;

    /// <param name="pairs">(left id, right id) → merged id and priority (LOWER merges first).</param>
    public PairMerger(Dictionary<long, (int MergedId, double Priority)> pairs) => _pairs = pairs;

    public int PairCount => _pairs.Count;

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Merges <paramref name="symbols"/> and appends the resulting ids to <paramref name="output"/>.</summary>
    public void Merge(IReadOnlyList<int> symbols, List<int> output)
    {
        int n = symbols.Count;
        if (n == 0) return;
        if (n == 1)
        {
            output.Add(symbols[0]);
            return;
        }

        var ids = new int[n];
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = symbols[i];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Element: (left position, right position, left id, right id) as a snapshot to detect staleness.
        var heap = new PriorityQueue<(int Left, int Right, int LeftId, int RightId), (double Priority, int Position)>();
        for (int i = 0; i + 1 < n; i++) Push(heap, i, i + 1, ids);

        while (heap.TryDequeue(out var e, out _))
        {
            int left = e.Left, right = e.Right;
            if (ids[left] != e.LeftId || next[left] != right || ids[right] != e.RightId) continue; // stale
            if (!_pairs.TryGetValue(Key(e.LeftId, e.RightId), out var merged)) continue;

            // Absorb the right symbol into the left one.
            ids[left] = merged.MergedId;
            ids[right] = -1;
            int after = next[right];
            next[left] = after;
            if (after >= 0) prev[after] = left;
            next[right] = -1;

            if (prev[left] >= 0) Push(heap, prev[left], left, ids);
            if (after >= 0) Push(heap, left, after, ids);
        }

        for (int i = 0; i >= 0; i = next[i]) output.Add(ids[i]);
    }

    private void Push(PriorityQueue<(int, int, int, int), (double, int)> heap, int left, int right, int[] ids)
    {
        if (_pairs.TryGetValue(Key(ids[left], ids[right]), out var merged))
            heap.Enqueue((left, right, ids[left], ids[right]), (merged.Priority, left));
    }
}
