using LoraLab.Data;

namespace LoraLab.Tests.Data;

/// <summary>Sample i has i + 1 tokens, all equal to i + 10; labels equal to i + 100.</summary>
internal sealed class VariableSource(int count) : ITokenSampleSource
{
    public int Count => count;

    public int MaxLength => count;

    public (long[] InputIds, long[] Labels) GetSample(int index) =>
        (Enumerable.Repeat((long)index + 10, index + 1).ToArray(), Enumerable.Repeat((long)index + 100, index + 1).ToArray());
}
