using System.Text.Json;
using LoraLab.Data;
using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Data;

/// <summary><c>data.packing: true</c> for instruction finetuning: full windows, the unpacked loss tokens, determinism, resume.</summary>
public class PackedIftDataTests
{
    private static readonly ByteTestTokenizer Tok = new();

    private static IftFormat Plain => IftFormat.Create(null, "q", "a", null);

    private static string Write(TempDir dir, IEnumerable<(string Q, string A)> rows)
    {
        string path = dir.File("train.jsonl");
        File.WriteAllLines(path, rows.Select(r => JsonSerializer.Serialize(new Dictionary<string, string> { ["q"] = r.Q, ["a"] = r.A })));
        return path;
    }

    /// <summary>Rows of varied lengths (some longer than seq_len + 1, so truncated; one with a too-long prompt, dropped).</summary>
    private static IEnumerable<(string, string)> Varied()
    {
        for (int i = 0; i < 40; i++) yield return (new string((char)('a' + i % 26), 1 + i * 7 % 9), new string((char)('A' + i % 26), 1 + i * 5 % 23));
        yield return (new string('z', 30), "never");
    }

    [Fact]
    public void WindowsAreTheHandComputedStreamCuts()
    {
        using var dir = new TempDir();
        var ift = new IftDataset([Write(dir, [("a", "b"), ("c", "de"), ("f", "g")])], Tok, Plain, seqLen: 5);
        var packed = new PackedIftDataset(ift);
        // ByteTestTokenizer: BOS 1, EOS 2, byte b → b + 3 (a 100, b 101, c 102, d 103, e 104, f 105, g 106, \n 13).
        // stream  1 100 13 101 2 | 1 102 13 103 104 2 | 1 105 13 106 2   (prompts "x\n" = 3 tokens with BOS)
        // labels  - -   -  101 2 | - -   -  103 104 2 | - -   -  106 2
        // window k = stream[5k, 5k + 6): inputs = its first 5 (the last window: the 5k+1.. left), labels = labels of the next token
        Assert.Equal(16, packed.StreamLength);
        Assert.Equal(3, packed.Count);
        Assert.Equal(7, packed.LossTokens);
        // EOS of example 0 does not predict BOS of example 1 (input 2 → label -100)
        AssertSample([1L, 100, 13, 101, 2], [-100L, -100, 101, 2, -100], packed.GetSample(0));
        AssertSample([1L, 102, 13, 103, 104], [-100L, -100, 103, 104, 2], packed.GetSample(1));
        AssertSample([2L, 1, 105, 13, 106], [-100L, -100, -100, 106, 2], packed.GetSample(2));
    }

    [Fact]
    public void PackingKeepsExactlyTheUnpackedLossTokensInFullWindows()
    {
        using var dir = new TempDir();
        var ift = new IftDataset([Write(dir, Varied())], Tok, Plain, seqLen: 16);
        Assert.True(ift.Truncated > 0);
        Assert.Equal(1, ift.DroppedPromptTooLong);
        var packed = new PackedIftDataset(ift);

        // every (input token, target) pair with a loss, in order: the same with and without packing
        var unpacked = Enumerable.Range(0, ift.Count).Select(ift.GetSample).SelectMany(LossPairs).ToList();
        var windows = Enumerable.Range(0, packed.Count).Select(packed.GetSample).ToList();
        Assert.Equal(unpacked, windows.SelectMany(LossPairs).ToList());
        Assert.Equal(unpacked.Count, packed.LossTokens);
        // all windows but the last are full; the windows together cover the stream once (minus its first token)
        Assert.All(windows.SkipLast(1), w => Assert.Equal(16, w.InputIds.Length));
        Assert.InRange(windows[^1].InputIds.Length, 1, 16);
        Assert.Equal(packed.StreamLength - 1, windows.Sum(w => w.InputIds.Length));
        Assert.Equal(Enumerable.Range(0, ift.Count).Sum(i => ift.Sequence(i).Length), packed.StreamLength);
    }

    private static void AssertSample(long[] inputs, long[] labels, (long[] InputIds, long[] Labels) actual)
    {
        Assert.Equal(inputs, actual.InputIds);
        Assert.Equal(labels, actual.Labels);
    }

    private static IEnumerable<(long, long)> LossPairs((long[] InputIds, long[] Labels) s) =>
        s.InputIds.Zip(s.Labels).Where(p => p.Second != Batch.IgnoreIndex);

    [Fact]
    public void PackedBatchesAreDeterministicAndResumeExactly()
    {
        using var dir = new TempDir();
        string path = Write(dir, Varied());
        PackedIftDataset Build() => new(new IftDataset([path], Tok, Plain, seqLen: 16));

        var a = new BatchLoader(Build(), batchSize: 4, seed: 11);
        var b = new BatchLoader(Build(), batchSize: 4, seed: 11);
        DataPosition saved = default;
        var seen = new List<long[]>();
        for (int i = 0; i < 2 * (int)a.BatchesPerEpoch + 1; i++) // crosses an epoch boundary
        {
            if (i == 3) saved = a.Position;
            using var x = a.Next();
            using var y = b.Next();
            Assert.Equal(x.InputIds.data<long>().ToArray(), y.InputIds.data<long>().ToArray());
            Assert.Equal(x.Labels.data<long>().ToArray(), y.Labels.data<long>().ToArray());
            seen.Add(x.Labels.data<long>().ToArray());
        }
        var resumed = new BatchLoader(Build(), batchSize: 4, seed: 11) { Position = saved };
        for (int i = 3; i < seen.Count; i++)
        {
            using var z = resumed.Next();
            Assert.Equal(seen[i], z.Labels.data<long>().ToArray());
        }
    }

    [Fact]
    public void TrainingDataPacksIftWhenAsked()
    {
        using var dir = new TempDir();
        string path = Write(dir, Varied());
        var section = new DataSection { Regime = DataRegime.Ift, Paths = [path], SeqLen = 16, PromptField = "q", ResponseField = "a", Packing = true };
        using var packed = TrainingData.Open(section, Tok, dir.File("cache"), "data");
        Assert.IsType<PackedIftDataset>(packed.Source);
        Assert.Contains("packed into", packed.Summary);
        section.Packing = null;
        using var padded = TrainingData.Open(section, Tok, dir.File("cache"), "data");
        Assert.IsType<IftDataset>(padded.Source);
    }
}
