using System.Runtime.Intrinsics;
using LoraLab.Kernels;

namespace LoraLab.Tests.Kernels;

/// <summary>
/// The shared 4 × 16, 4 × 32 and 8 × 16 tiles against their definition written out in scalars: each entry is one float32 fused multiply-add per
/// step, in step order, from zero. The tile runs in 8-wide or 16-wide vectors depending on the machine; both must give
/// exactly these bits, so that attention and LoRA results do not depend on which one a machine takes.
/// </summary>
public unsafe class TileProductsTests
{
    [Theory]
    [InlineData(4, 16, 1, 1, 16, 1)] // one step
    [InlineData(4, 16, 37, 1, 16, 37)] // contiguous rows of scalars, packed vectors
    [InlineData(4, 16, 64, 80, 24, 1)] // scalars down columns (stride 80 between steps), vectors 24 apart
    [InlineData(4, 32, 1, 1, 32, 1)]
    [InlineData(4, 32, 37, 1, 32, 37)]
    [InlineData(4, 32, 64, 80, 40, 1)]
    [InlineData(8, 16, 1, 1, 16, 1)]
    [InlineData(8, 16, 37, 1, 16, 37)]
    [InlineData(8, 16, 64, 80, 24, 1)]
    public void EveryEntryIsTheStepOrderedFusedMultiplyAddSum(int rows, int width, int steps, int stepStride, int vStride, int sStride)
    {
        var random = new Random(7);
        int sLength = (rows - 1) * sStride + (steps - 1) * stepStride + 1, vLength = (steps - 1) * vStride + width;
        float[] s = Enumerable.Range(0, sLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] v = Enumerable.Range(0, vLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var output = new Vector256<float>[rows * width / 8];
        fixed (float* sp = s, vp = v)
        fixed (Vector256<float>* op = output)
        {
            if (rows == 8) TileProducts.Outer8x16(sp, sStride, stepStride, vp, vStride, steps, op);
            else if (width == 16) TileProducts.Outer4x16(sp, sStride, stepStride, vp, vStride, steps, op);
            else TileProducts.Outer4x32(sp, sStride, stepStride, vp, vStride, steps, op);
        }
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < width; c++)
            {
                float expected = 0;
                for (int t = 0; t < steps; t++)
                    expected = MathF.FusedMultiplyAdd(s[i * sStride + t * stepStride], v[t * vStride + c], expected);
                float actual = output[8 * (i / 4 + c / 16) + 2 * (i % 4) + c % 16 / 8][c % 8]; // 4 × 16 tiles side by side or stacked
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                    $"row {i}, column {c}: {actual:R}, expected {expected:R} (Vector512 accelerated: {Vector512.IsHardwareAccelerated})");
            }
    }
}
