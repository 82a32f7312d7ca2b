using LoraLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// Moving a head's rows between a (B, heads, T, D) tensor and float32 scratch, against libtorch: its indexing and
/// transpose for the layout, its float32 → bfloat16 conversion (nearest even) for the rounding on the way back, and its
/// bfloat16 → float32 widening (exact) on the way in. The tensors are (B, T, heads, D) transposed, as attention's
/// projections hand them over, so batch, head and row strides all differ from a packed layout.
/// </summary>
public unsafe class HeadRowsTests
{
    private const long B = 2, H = 3, T = 13, D = 32; // T: one full block of 8 rows for the transpose, then 5 one at a time

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void LoadsAHeadAsRowsAndAsColumnsWithThePaddingZeroed(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { B, T, H, D }, generator: new Generator(3)).to_type(dtype).transpose(1, 2); // (B, H, T, D)
        var head = x[1, 2].to_type(ScalarType.Float32); // (T, D): libtorch's widening
        const long rows = 16, ld = 24;
        var loaded = new float[rows * D];
        var transposed = Enumerable.Repeat(float.NaN, (int)(D * ld)).ToArray(); // padding must be written, not left
        fixed (float* p = loaded, q = transposed)
        {
            HeadRows.Load(Heads(x), 1, 2, T, (int)D, p, rows);
            HeadRows.LoadTransposed(Heads(x), 1, 2, T, (int)D, q, ld);
        }
        var expected = head.data<float>().ToArray(); // row-major (T, D)
        for (int t = 0; t < rows; t++)
            for (int c = 0; c < D; c++)
            {
                float want = t < T ? expected[t * D + c] : 0f;
                Assert.Equal(want, loaded[t * D + c]);
            }
        for (int c = 0; c < D; c++)
            for (int t = 0; t < ld; t++)
                Assert.Equal(t < T ? expected[t * D + c] : 0f, transposed[c * ld + t]);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void StoresRowsRoundedAsLibtorchConvertsThem(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var y = zeros(new long[] { B, T, H, D }, dtype: dtype).transpose(1, 2); // (B, H, T, D)
        // values with more mantissa than bfloat16 keeps, including exact halfway cases, which round to even
        using Scalar hundred = 100.ToScalar();
        var source = randn(new long[] { T, D }, generator: new Generator(5)).mul_(hundred);
        source[0, 0] = tensor(1f + 1f / 256); // halfway between bfloat16 1 and 1 + 2⁻⁷: even is 1
        source[0, 1] = tensor(1f + 3f / 256); // halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: even is 1 + 2⁻⁶
        var values = source.data<float>().ToArray();
        fixed (float* p = values) HeadRows.Store(Heads(y), 0, 1, T, (int)D, p);
        var expected = source.to_type(dtype).to_type(ScalarType.Float32);
        Assert.Equal(expected.data<float>().ToArray(), y[0, 1].to_type(ScalarType.Float32).contiguous().data<float>().ToArray());
        Assert.Equal(0, y[0, 0].count_nonzero().item<long>()); // the other heads untouched
        Assert.Equal(0, y[1].count_nonzero().item<long>());
    }

    private static AttentionTiles.Heads Heads(Tensor x) => AttentionTiles.Heads.Of(x);
}
