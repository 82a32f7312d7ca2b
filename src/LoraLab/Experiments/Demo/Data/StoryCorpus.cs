namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// The demo's source domain: procedurally generated TinyStories-like English (4–8 sentences a story) about children,
/// places, toys and animals, which repeatedly states the world facts of <see cref="WorldFacts"/>.
/// <para>
/// Deterministic: story i of a stream depends only on (seed, stream, i). The train and held-out splits use different
/// streams and are disjoint by construction whatever their seeds: a story belongs to the held-out split exactly when a
/// stable hash of its text falls in bucket 0 of <see cref="HeldOutBuckets"/>, and each split skips the other's stories.
/// </para>
/// </summary>
public static class StoryCorpus
{
    /// <summary>One story in this many (by text hash) belongs to the held-out split.</summary>
    public const int HeldOutBuckets = 8;

    private const ulong AnyStream = 0x5107_0001, TrainStream = 0x5107_0002, HeldOutStream = 0x5107_0003;

    /// <summary>The story with seed <paramref name="seed"/> at position <paramref name="index"/> of the unsplit stream.</summary>
    public static string Story(int seed, long index) => StoryWriter.Write(DemoRandom.For(seed, AnyStream, index));

    /// <summary><paramref name="count"/> stories of the unsplit stream (may hold stories of either split).</summary>
    public static IEnumerable<string> Stories(int count, int seed)
    {
        CheckCount(count);
        for (int i = 0; i < count; i++) yield return Story(seed, i);
    }

    /// <summary><paramref name="count"/> training stories (never in the held-out split).</summary>
    public static IEnumerable<string> TrainStories(int count, int seed) => Split(count, seed, TrainStream, heldOut: false);

    /// <summary><paramref name="count"/> held-out stories (never in the training split).</summary>
    public static IEnumerable<string> HeldOutStories(int count, int seed) => Split(count, seed, HeldOutStream, heldOut: true);

    /// <summary>Whether <paramref name="story"/> belongs to the held-out split.</summary>
    public static bool IsHeldOut(string story) => DemoRandom.Hash(story) % HeldOutBuckets == 0;

    private static IEnumerable<string> Split(int count, int seed, ulong stream, bool heldOut)
    {
        CheckCount(count);
        int produced = 0;
        for (long i = 0; produced < count; i++)
        {
            string story = StoryWriter.Write(DemoRandom.For(seed, stream, i));
            if (IsHeldOut(story) != heldOut) continue;
            produced++;
            yield return story;
        }
    }

    private static void CheckCount(int count)
    {
        if (count < 0) throw new LoraLabException($"story count must be at least 0, got {count}");
    }
}
