using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// A LoRA node's input rows (N, in) and their dropout mask, for <see cref="LoraRows"/>: widens rows of x (float32 or
/// bfloat16) to float32 into a block scratch with the mask applied (hashed from the key and recorded, or replayed from
/// the bits; <see cref="DropoutMask"/>'s formula and bit layout), and masks backward's values the same way. Without a key
/// or bits there is no mask. Holds raw addresses: valid while x and the bits tensor live.
/// </summary>
internal readonly unsafe struct MaskedRows
{
    private readonly nint x, bits;
    private readonly bool bf16, dropout;
    private readonly long width, rowBytes;
    private readonly uint threshold, k0, k1;
    private readonly float scale;

    public MaskedRows(Tensor x2, Tensor? bits, double p, ulong? key)
    {
        fixed (byte* xs = x2.bytes) x = (nint)xs; // libtorch buffers: addresses stay valid while the tensors live
        if (bits is not null) fixed (byte* b = bits.bytes) this.bits = (nint)b;
        bf16 = x2.dtype == ScalarType.BFloat16;
        width = x2.shape[1];
        rowBytes = DropoutMask.RowBytes(width);
        dropout = key is not null || bits is not null;
        threshold = (uint)DropoutMask.Threshold(p);
        scale = dropout ? (float)(1.0 / (1.0 - p)) : 1f;
        (k0, k1) = ((uint)(key ?? 0), (uint)((key ?? 0) >> 32));
    }

    /// <summary>
    /// Rows [i0, i0 + count) into d (<paramref name="block"/> rows of stride ld, rows past count zeroed): hashed with
    /// the key and recorded into the bits (when any) if <paramref name="hash"/>, else replayed from the bits, else (no
    /// dropout) copied.
    /// </summary>
    public void Fill(float* d, long ld, long i0, int count, int block, bool hash)
    {
        for (int i = 0; i < count; i++)
        {
            long row = i0 + i;
            float* dst = d + i * ld;
            byte* b = bits == 0 ? null : (byte*)bits + row * rowBytes;
            uint first = (uint)(row * width); // < 2³²: checked by the forward
            long j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j + 16 <= width; j += 16) // the same decisions 16 at a time: bit n of the two bytes at j / 8 is entry j + n
                {
                    var v = Load16(row * width + j);
                    if (hash && dropout)
                    {
                        var keep = DropoutMask.Keep16(first + (uint)j, k0, k1, threshold);
                        if (b != null) *(ushort*)(b + (j >> 3)) = (ushort)keep.ExtractMostSignificantBits();
                        v = Vector512.BitwiseAnd(v * scale, keep.AsSingle());
                    }
                    else if (dropout) v = Vector512.BitwiseAnd(v * scale, DropoutMask.Kept16(*(ushort*)(b + (j >> 3))).AsSingle());
                    v.Store(dst + j);
                }
            }
            for (; j + 8 <= width; j += 8)
            {
                var v = Load(row * width + j);
                if (hash && dropout)
                {
                    var keep = DropoutMask.Keep8(first + (uint)j, k0, k1, threshold);
                    if (b != null) b[j >> 3] = (byte)keep.ExtractMostSignificantBits();
                    v = Vector256.BitwiseAnd(v * scale, keep.AsSingle());
                }
                else if (dropout) v = Vector256.BitwiseAnd(v * scale, DropoutMask.Kept8(b[j >> 3]).AsSingle());
                v.Store(dst + j);
            }
            for (; j < width; j++) // j starts at a multiple of 8: its byte is zeroed before its first bit is set
            {
                float v = bf16 ? Bf16Rows.Widen(((ushort*)x)[row * width + j]) : ((float*)x)[row * width + j];
                if (hash && dropout)
                {
                    bool kept = DropoutMask.Hash(first + (uint)j, k0, k1) >= threshold;
                    if (b != null) DropoutMask.Record(b, j, kept);
                    v = kept ? v * scale : 0f;
                }
                else if (dropout) v = DropoutMask.Kept(b, j) ? v * scale : 0f;
                dst[j] = v;
            }
        }
        if (count < block) new Span<float>(d + count * ld, (int)((block - count) * ld)).Clear();
    }

    /// <summary>dropout of 8 values at row <paramref name="row"/>, entries j..j+8 (j a multiple of 8), from the bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Masked(Vector256<float> v, long row, long j)
    {
        if (!dropout) return v;
        return Vector256.BitwiseAnd(v * scale, DropoutMask.Kept8(((byte*)bits)[row * rowBytes + (j >> 3)]).AsSingle());
    }

    /// <summary>dropout of 16 values at row <paramref name="row"/>, entries j..j+16 (j a multiple of 8), from the bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Masked16(Vector512<float> v, long row, long j)
    {
        if (!dropout) return v;
        return Vector512.BitwiseAnd(v * scale, DropoutMask.Kept16(*(ushort*)((byte*)bits + row * rowBytes + (j >> 3))).AsSingle());
    }

    /// <summary>dropout of one value at (row, j), from the bits.</summary>
    public float Masked(float v, long row, long j) =>
        !dropout ? v : DropoutMask.Kept((byte*)bits + row * rowBytes, j) ? v * scale : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Load16(long at) => bf16 ? Bf16Rows.Load16((ushort*)x + at) : Vector512.Load((float*)x + at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<float> Load(long at) => bf16 ? Bf16Rows.Load((ushort*)x + at) : Vector256.Load((float*)x + at);
}
