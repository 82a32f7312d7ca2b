using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The LoRA node's r-wide loops against the same products computed in float64 by libtorch from the recorded mask:
/// u = (x ⊙ m) Aᵀ, ∂L/∂A = guᵀ (x ⊙ m), ∂L/∂x += (gu A) ⊙ m, where m is 1/(1 − p) on kept entries and 0 elsewhere. Shapes
/// cover rows that do not fill a block of 8 (or a group of 4), widths with tails past the 32-, 16- and 8-wide steps, ranks
/// padded to a multiple of 8, both rank chunks of the forward (16 and 8), and rows split over the thread team.
/// </summary>
public class LoraRowsTests
{
    private const ulong Key = 0x0123456789ABCDEFUL;

    public static TheoryData<int, int, int, ScalarType> Shapes => new()
    {
        { 13, 37, 16, ScalarType.Float32 }, // 13 rows: a block of 8 and one of 5 (a group of 4 and one of 1); 37 = 32 + 5
        { 9, 64, 8, ScalarType.Float32 }, // rank 8: the forward's 8-rank chunk only
        { 21, 100, 12, ScalarType.Float32 }, // rank 12 padded to 16; 100 = 3·32 + 4, 6·16 + 4
        { 5, 3, 1, ScalarType.Float32 }, // every entry in a scalar tail
        { 600, 200, 16, ScalarType.Float32 }, // rows split over the thread team
        { 37, 600, 16, ScalarType.Float32 }, // LoraTiles: blocks of 32 rows and 5, forward chunks of 256 entries and 96
        { 19, 45, 16, ScalarType.BFloat16 },
        { 300, 344, 4, ScalarType.BFloat16 }, // the demo's down_proj width, split over the team
    };

    // m as float64 {0, 1/(1 − p)} from the recorded bits (the scale in float32, as the loops use it).
    private static Tensor Multiplier(Tensor bits, int rows, int width, double p)
    {
        var kept = empty(rows, width);
        DropoutMask.Replay(ones(rows, width), kept, bits, p);
        return kept.to_type(ScalarType.Float64);
    }

    private static void AssertClose(Tensor actual, Tensor expected, ScalarType dtype, string what)
    {
        var a = actual.to_type(ScalarType.Float64);
        double scale = expected.abs().max().item<double>() + 1e-30;
        double error = (a - expected).abs().max().item<double>() / scale;
        Assert.True(error < (dtype == ScalarType.BFloat16 ? 8e-3 : 2e-6), $"{what} differs by {error:E2} of its largest entry");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardIsTheMaskedProductAndRecordsTheMaskOfDropoutMask(int rows, int width, int rank, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var x = randn(rows, width, generator: generator).to_type(dtype);
        var a = randn(rank, width, generator: generator).to_type(dtype);
        const double p = 0.3;
        var u = empty(rows, rank, dtype: dtype);
        using Scalar stale = 0xAA.ToScalar();
        var bits = full(rows, DropoutMask.RowBytes(width), stale, dtype: ScalarType.Byte); // stale bytes must be overwritten
        Assert.Equal(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated, LoraRows.Serves(x, a)); // the loops run either way
        LoraRows.Forward(x, a, u, p, Key, bits);

        var expectedBits = empty(rows, DropoutMask.RowBytes(width), dtype: ScalarType.Byte);
        DropoutMask.Apply(x, empty_like(x), 0, p, Key, expectedBits);
        Assert.True(bits.equal(expectedBits).all().item<bool>(), "the recorded mask is not DropoutMask's");
        var d = x.to_type(ScalarType.Float64) * Multiplier(bits, rows, width, p);
        AssertClose(u, d.matmul(a.to_type(ScalarType.Float64).t()), dtype, "u");

        // without a record the mask is the same (activation checkpointing's no-grad forward)
        var again = empty(rows, rank, dtype: dtype);
        LoraRows.Forward(x, a, again, p, Key, null);
        Assert.True(again.equal(u).all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardGivesTheMaskedGradientsOfAAndX(int rows, int width, int rank, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(12);
        var x = randn(rows, width, generator: generator).to_type(dtype);
        var a = randn(rank, width, generator: generator).to_type(dtype);
        var gu = randn(rows, rank, generator: generator).to_type(dtype);
        var gxBefore = randn(rows, width, generator: generator).to_type(dtype); // ∂L/∂x from the frozen weight, added to
        const double p = 0.2;
        var bits = empty(rows, DropoutMask.RowBytes(width), dtype: ScalarType.Byte);
        LoraRows.Forward(x, a, empty(rows, rank, dtype: dtype), p, Key, bits);

        using Scalar nan = float.NaN.ToScalar();
        var gradA = full(rank, width, nan, dtype: dtype); // overwritten, not added to
        var gx = gxBefore.clone();
        LoraRows.Backward(x, a, gu, bits, p, gradA, gx);

        var m = Multiplier(bits, rows, width, p);
        var (x64, a64, gu64) = (x.to_type(ScalarType.Float64), a.to_type(ScalarType.Float64), gu.to_type(ScalarType.Float64));
        AssertClose(gradA, gu64.t().matmul(x64 * m), dtype, "∂L/∂A");
        var term = gu64.matmul(a64) * m;
        AssertClose(gx.to_type(ScalarType.Float64) - gxBefore.to_type(ScalarType.Float64), term, dtype, "∂L/∂x's LoRA term");
        // each half on its own gives the same values
        var gradAOnly = empty(rank, width, dtype: dtype);
        LoraRows.Backward(x, a, gu, bits, p, gradAOnly, null);
        Assert.True(gradAOnly.equal(gradA).all().item<bool>());
        var gxOnly = gxBefore.clone();
        LoraRows.Backward(x, a, gu, bits, p, null, gxOnly);
        Assert.True(gxOnly.equal(gx).all().item<bool>());
    }

    [Fact]
    public void WithoutBitsBackwardTakesXUnmasked()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(13);
        var x = randn(11, 40, generator: generator);
        var a = randn(16, 40, generator: generator);
        var gu = randn(11, 16, generator: generator);
        var gradA = empty(16, 40);
        var gx = zeros(11, 40);
        LoraRows.Backward(x, a, gu, null, 0.5, gradA, gx);
        AssertClose(gradA, gu.to_type(ScalarType.Float64).t().matmul(x.to_type(ScalarType.Float64)), ScalarType.Float32, "∂L/∂A");
        AssertClose(gx, gu.to_type(ScalarType.Float64).matmul(a.to_type(ScalarType.Float64)), ScalarType.Float32, "∂L/∂x");
    }

    [Fact]
    public void ResultsDoNotDependOnThreadTiming()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(14);
        var x = randn(900, 130, generator: generator);
        var a = randn(16, 130, generator: generator);
        var gu = randn(900, 16, generator: generator);
        var bits = empty(900, DropoutMask.RowBytes(130), dtype: ScalarType.Byte);
        LoraRows.Forward(x, a, empty(900, 16), 0.1, Key, bits);
        Tensor GradA()
        {
            var g = empty(16, 130);
            LoraRows.Backward(x, a, gu, bits, 0.1, g, null);
            return g;
        }
        var first = GradA();
        for (int i = 0; i < 5; i++) Assert.True(GradA().equal(first).all().item<bool>(), "∂L/∂A's parts were summed in another order");
    }

    [Fact]
    public void RanksAboveTheLimitAndOtherDtypesAreLeftToLibtorch()
    {
        using var scope = NewDisposeScope();
        Assert.False(LoraRows.Serves(ones(4, 32), ones(LoraRows.MaxRank + 1, 32)));
        Assert.False(LoraRows.Serves(ones(4, 32, dtype: ScalarType.Float64), ones(8, 32, dtype: ScalarType.Float64)));
        Assert.False(LoraRows.Serves(ones(32, 4).t(), ones(8, 32))); // not contiguous
        Assert.False(LoraRows.Serves(ones(4, 32), ones(8, 32, dtype: ScalarType.BFloat16))); // mixed dtypes
    }
}
