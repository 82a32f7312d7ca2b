using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The softmax numerators of a chunk of logits, in place, for <see cref="LinearCrossEntropyFunction"/>: per row,
/// m = max_j x_j, then e_j = exp(max(x_j − m, floor)) written over x_j and Σ_j e_j summed in float32 (from the unrounded
/// e_j when the logits are bfloat16, which are rounded to nearest even as they are stored); the row's logit at its label is
/// read before it is overwritten. Two sweeps over each row (128 KB at a 32 000-token vocabulary, so the second finds it in
/// L2) where the same work as libtorch operations (amax, sub, clamp_min, exp, sum, gather) makes six over the whole
/// chunk. exp is <see cref="TorchExp"/> (Sleef's 1-ulp expf); libtorch's exp_ calls MKL's, so the two may differ by an
/// ulp. Rows run in parallel over libtorch's thread team (<see cref="OmpTeam"/>).
/// Shapes: logits (n, V) contiguous float32 or bfloat16; labels (n) int64 in [0, V); max, sum and target (n) float32.
/// </summary>
internal static unsafe class SoftmaxRows
{
    /// <summary>Whether the loops take logits of this dtype.</summary>
    public static bool Serves(ScalarType dtype) => dtype is ScalarType.Float32 or ScalarType.BFloat16;

    public static void Exp(Tensor logits, Tensor labels, float floor, Tensor max, Tensor sum, Tensor target)
    {
        long n = logits.shape[0], v = logits.shape[1];
        if (!logits.is_contiguous() || !Serves(logits.dtype) || labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"logits must be contiguous float32 or bfloat16 with int64 labels, got {logits.dtype} and {labels.dtype}.");
        if (n == 0) return;
        bool bf16 = logits.dtype == ScalarType.BFloat16;
        using var labelRows = labels.contiguous(); // (n)
        nint x = TensorAddress.Of(logits), l = TensorAddress.Of(labelRows), m = TensorAddress.Of(max),
            s = TensorAddress.Of(sum), t = TensorAddress.Of(target);
        for (long i = 0; i < n; i++) // the loops read each row at its label
        {
            long label = ((long*)l)[i];
            if (label < 0 || label >= v) throw new ArgumentException($"label {label} (row {i} of the chunk) is outside the vocabulary [0, {v}).");
        }
        OmpTeam.For(n, 1, (r0, r1) =>
        {
            for (long i = r0; i < r1; i++)
            {
                long label = ((long*)l)[i];
                byte* row = (byte*)x + i * v * (bf16 ? 2 : 4);
                ((float*)t)[i] = bf16 ? Bf16Row.Load1(row, label) : Float32Row.Load1(row, label);
                float top = bf16 ? Max<Bf16Row>(row, v) : Max<Float32Row>(row, v);
                ((float*)m)[i] = top;
                ((float*)s)[i] = bf16 ? ExpInPlace<Bf16Row>(row, v, top, floor) : ExpInPlace<Float32Row>(row, v, top, floor);
            }
        });
    }

    // The row's maximum: 16 lanes at a time where AVX-512 runs at full width, then 8, then one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Max<TRow>(byte* row, long v) where TRow : struct, IRow
    {
        long j = 0;
        var top8 = Vector256.Create(float.NegativeInfinity);
        if (Vector512.IsHardwareAccelerated)
        {
            var top16 = Vector512.Create(float.NegativeInfinity);
            for (; j + 16 <= v; j += 16) top16 = Vector512.Max(top16, TRow.Load16(row, j));
            top8 = Vector256.Max(top16.GetLower(), top16.GetUpper());
        }
        for (; j + 8 <= v; j += 8) top8 = Vector256.Max(top8, TRow.Load8(row, j));
        float top = float.NegativeInfinity;
        for (int k = 0; k < 8; k++) top = Math.Max(top, top8.GetElement(k));
        for (; j < v; j++) top = Math.Max(top, TRow.Load1(row, j));
        return top;
    }

    // e_j = exp(max(x_j − top, floor)) over the row, in place; returns Σ e_j of the unrounded values. 16 lanes, then 8,
    // then one (the 8-lane exp on a single value: the same arithmetic).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ExpInPlace<TRow>(byte* row, long v, float top, float floor) where TRow : struct, IRow
    {
        long j = 0;
        Vector256<float> m8 = Vector256.Create(top), f8 = Vector256.Create(floor), sum8 = Vector256<float>.Zero;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> m16 = Vector512.Create(top), f16 = Vector512.Create(floor), sum16 = Vector512<float>.Zero;
            for (; j + 16 <= v; j += 16)
            {
                var e = TorchExp.Exp(Vector512.Max(TRow.Load16(row, j) - m16, f16));
                TRow.Store16(row, j, e);
                sum16 += e;
            }
            sum8 = sum16.GetLower() + sum16.GetUpper();
        }
        for (; j + 8 <= v; j += 8)
        {
            var e = TorchExp.Exp(Vector256.Max(TRow.Load8(row, j) - m8, f8));
            TRow.Store8(row, j, e);
            sum8 += e;
        }
        float sum = Vector256.Sum(sum8);
        for (; j < v; j++)
        {
            float e = TorchExp.Exp(Vector256.Create(Math.Max(TRow.Load1(row, j) - top, floor))).GetElement(0);
            TRow.Store1(row, j, e);
            sum += e;
        }
        return sum;
    }

    // How a row's entries are read as float32 and written back: float32 as they are, bfloat16 widened exactly and rounded
    // to nearest even (Bf16Rows).
    private interface IRow
    {
        static abstract Vector512<float> Load16(byte* row, long j);
        static abstract Vector256<float> Load8(byte* row, long j);
        static abstract float Load1(byte* row, long j);
        static abstract void Store16(byte* row, long j, Vector512<float> e);
        static abstract void Store8(byte* row, long j, Vector256<float> e);
        static abstract void Store1(byte* row, long j, float e);
    }

    private readonly struct Float32Row : IRow
    {
        public static Vector512<float> Load16(byte* row, long j) => Vector512.Load((float*)row + j);
        public static Vector256<float> Load8(byte* row, long j) => Vector256.Load((float*)row + j);
        public static float Load1(byte* row, long j) => ((float*)row)[j];
        public static void Store16(byte* row, long j, Vector512<float> e) => e.Store((float*)row + j);
        public static void Store8(byte* row, long j, Vector256<float> e) => e.Store((float*)row + j);
        public static void Store1(byte* row, long j, float e) => ((float*)row)[j] = e;
    }

    private readonly struct Bf16Row : IRow
    {
        public static Vector512<float> Load16(byte* row, long j) => Bf16Rows.Load16((ushort*)row + j);
        public static Vector256<float> Load8(byte* row, long j) => Bf16Rows.Load((ushort*)row + j);
        public static float Load1(byte* row, long j) => Bf16Rows.Widen(((ushort*)row)[j]);
        public static void Store16(byte* row, long j, Vector512<float> e) => Bf16Rows.Store16((ushort*)row + j, e);
        public static void Store8(byte* row, long j, Vector256<float> e) => Bf16Rows.Store((ushort*)row + j, e);
        public static void Store1(byte* row, long j, float e) => ((ushort*)row)[j] = Bf16Rows.Round(e);
    }
}
