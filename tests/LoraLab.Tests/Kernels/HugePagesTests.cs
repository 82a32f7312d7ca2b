using LoraLab.Kernels;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary><see cref="HugePages"/>: which memory it asks to collapse, and that collapsing leaves the contents alone.</summary>
public unsafe class HugePagesTests
{
    [Fact]
    public void RunsJoinNeighboursWithinTheGapOnly()
    {
        (nint, long)[] spans = [(10_000, 1_000), (0, 4_000), (4_500, 100), (200_000, 50), (300, 10), (500_000, 0)];
        var runs = HugePages.Runs(spans, gap: 1_000);
        Assert.Equal([(0L, 4_600L), (10_000L, 11_000L), (200_000L, 200_050L)], runs);
    }

    [Fact]
    public void CollapsingKeepsEveryValueAndAsksOnlyForWholePagesInside()
    {
        using var scope = NewDisposeScope();
        var t = randn(3 << 20); // 12 MiB of float32: at least five whole 2 MiB pages inside
        // (whether the kernel finds free huge pages at the moment is its business: collapsing is advice)
        var before = t.clone();
        var first = t.narrow(0, 0, 1);
        nint start;
        fixed (byte* p = first.bytes) start = (nint)p;
        long asked = HugePages.Collapse([(start, t.numel() * 4)]);
        Assert.True(asked % (2L << 20) == 0 && asked <= t.numel() * 4, $"asked for {asked} bytes");
        Assert.True(t.eq(before).all().item<bool>());
    }
}
