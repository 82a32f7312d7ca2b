using LoraLab.Data;

namespace LoraLab.Tests.Data;

public class BatchLoaderTests
{
    private static long FirstId(Batch b, int row) => b.InputIds[row, 0].item<long>();

    [Fact]
    public void FollowsTheSeededOrderAndDropsTheLastPartialBatch()
    {
        var loader = new BatchLoader(new VariableSource(10), batchSize: 3, seed: 42);
        Assert.Equal(3, loader.BatchesPerEpoch);
        // Epoch 0 order (see SplitMix64Tests): 0 9 5 | 8 6 4 | 7 2 1 | (3 dropped); epoch 1: 2 3 9 | ...
        int[][] expected = [[0, 9, 5], [8, 6, 4], [7, 2, 1], [2, 3, 9]];
        foreach (var rows in expected)
        {
            using var b = loader.Next();
            Assert.Equal(rows.Select(r => (long)r + 10), Enumerable.Range(0, 3).Select(r => FirstId(b, r)));
        }
        Assert.Equal(new DataPosition(1, 3), loader.Position);
    }

    [Fact]
    public void ResumedLoaderYieldsTheSameBatches()
    {
        var a = new BatchLoader(new VariableSource(10), 3, seed: 7);
        for (int i = 0; i < 4; i++) a.Next().Dispose();
        var saved = a.Position;
        var b = new BatchLoader(new VariableSource(10), 3, seed: 7) { Position = saved };
        for (int i = 0; i < 5; i++)
        {
            using var x = a.Next();
            using var y = b.Next();
            Assert.Equal(x.InputIds.data<long>().ToArray(), y.InputIds.data<long>().ToArray());
        }
    }

    [Fact]
    public void PadsToTheLongestRowWithMaskAndIgnoredLabels()
    {
        using var b = BatchLoader.Collate([([5, 6], [7, -100]), ([8, 9, 10], [11, 12, 13])], padId: 0);
        Assert.Equal([2L, 3], b.InputIds.shape);
        Assert.Equal([5L, 6, 0, 8, 9, 10], b.InputIds.data<long>().ToArray());
        Assert.Equal([7L, -100, -100, 11, 12, 13], b.Labels.data<long>().ToArray());
        Assert.Equal([1L, 1, 0, 1, 1, 1], b.AttentionMask!.data<long>().ToArray());
        Assert.Equal(4, b.LossTokens);
        Assert.Equal(5, b.RealTokens);
        using var full = BatchLoader.Collate([([1, 2], [2, 3])], padId: 0);
        Assert.Null(full.AttentionMask);
    }

    [Fact]
    public void TooFewSamplesIsAUserError()
    {
        Assert.Contains("fewer than one batch", Assert.Throws<LoraLabException>(() => new BatchLoader(new VariableSource(2), 3, 0)).Message);
    }
}
