using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LoraLab.Kernels;

/// <summary>
/// <see cref="DropoutMask"/>'s row loops for bfloat16 tensors, read and written as bfloat16 without float32 copies: each
/// entry is widened to float32 (exact), scaled by 1/(1 − p) in float32, masked, and rounded back to bfloat16 to nearest
/// even, the rounding libtorch's float32 → bfloat16 cast uses, so the values equal a float32 pass followed by that cast
/// (a NaN becomes the quiet NaN 0x7FC0). Same keep decisions and mask bits as the float32 loops. 8 entries per vector step.
/// </summary>
internal static unsafe class Bf16Rows
{
    /// <summary>Rows [0, rows) hashed with the key; with <paramref name="bits"/> non-null the keep decisions are recorded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Hash(ushort* src, ushort* dst, byte* bits, long rows, long firstRow, long width, uint threshold, float scale, ulong key)
    {
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        long rowBytes = DropoutMask.RowBytes(width);
        for (long i = 0; i < rows; i++)
        {
            uint first = (uint)((firstRow + i) * width); // entry index of the row's first element (< 2³², checked by the caller)
            ushort* s = src + i * width, d = dst + i * width;
            byte* b = bits == null ? null : bits + i * rowBytes;
            long j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= width; j += 8)
                {
                    var keep = DropoutMask.Keep8(first + (uint)j, k0, k1, threshold);
                    Store(d + j, Vector256.BitwiseAnd(Load(s + j) * scale, keep.AsSingle()));
                    if (b != null) b[j >> 3] = (byte)keep.ExtractMostSignificantBits();
                }
            }
            for (; j < width; j++) // j starts at a multiple of 8: its byte is zeroed before its first bit is set
            {
                bool kept = DropoutMask.Hash(first + (uint)j, k0, k1) >= threshold;
                d[j] = kept ? Round(Widen(s[j]) * scale) : (ushort)0;
                if (b != null) DropoutMask.Record(b, j, kept);
            }
        }
    }

    /// <summary>Rows [0, rows) with the keep decisions read from <paramref name="bits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Replay(ushort* src, ushort* dst, byte* bits, long rows, long width, float scale)
    {
        long rowBytes = DropoutMask.RowBytes(width);
        for (long i = 0; i < rows; i++)
        {
            ushort* s = src + i * width, d = dst + i * width;
            byte* b = bits + i * rowBytes;
            long j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= width; j += 8)
                {
                    Store(d + j, Vector256.BitwiseAnd(Load(s + j) * scale, DropoutMask.Kept8(b[j >> 3]).AsSingle()));
                }
            }
            for (; j < width; j++)
                d[j] = DropoutMask.Kept(b, j) ? Round(Widen(s[j]) * scale) : (ushort)0;
        }
    }

    // Conversions, also used by Generation/GreedyClassifier, RotaryFunction and SwiGluFunction.

    /// <summary>8 bfloat16 → float32 (exact): each is the high half of its float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Load(ushort* p) => Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe()), 16).AsSingle();

    /// <summary>8 float32 → bfloat16, nearest even; NaN → 0x7FC0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(ushort* p, Vector256<float> v)
    {
        var u = v.AsUInt32();
        var rounded = (u + Vector256.Create(0x7FFFu) + (Vector256.ShiftRightLogical(u, 16) & Vector256.Create(1u))) >> 16;
        var nan = Vector256.GreaterThan(u & Vector256.Create(0x7FFFFFFFu), Vector256.Create(0x7F800000u));
        Vector256.Narrow(Vector256.ConditionalSelect(nan, Vector256.Create(0x7FC0u), rounded), Vector256<uint>.Zero).GetLower().Store(p);
    }

    /// <summary>8 float32 → the float32 values of their nearest-even bfloat16 (what a bfloat16 round trip gives); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Rounded(Vector256<float> v)
    {
        var u = v.AsUInt32();
        var rounded = (u + Vector256.Create(0x7FFFu) + (Vector256.ShiftRightLogical(u, 16) & Vector256.Create(1u))) & Vector256.Create(0xFFFF0000u);
        return Vector256.ConditionalSelect(Vector256.Equals(v, v), rounded.AsSingle(), v);
    }

    /// <summary>16 float32 → bfloat16, nearest even; NaN → 0x7FC0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store16(ushort* p, Vector512<float> v)
    {
        var u = v.AsUInt32();
        var rounded = (u + Vector512.Create(0x7FFFu) + (Vector512.ShiftRightLogical(u, 16) & Vector512.Create(1u))) >> 16;
        var nan = Vector512.GreaterThan(u & Vector512.Create(0x7FFFFFFFu), Vector512.Create(0x7F800000u));
        Vector512.Narrow(Vector512.ConditionalSelect(nan, Vector512.Create(0x7FC0u), rounded), Vector512<uint>.Zero).GetLower().Store(p);
    }

    /// <summary>16 float32 → the float32 values of their nearest-even bfloat16; NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Rounded(Vector512<float> v)
    {
        var u = v.AsUInt32();
        var rounded = (u + Vector512.Create(0x7FFFu) + (Vector512.ShiftRightLogical(u, 16) & Vector512.Create(1u))) & Vector512.Create(0xFFFF0000u);
        return Vector512.ConditionalSelect(Vector512.Equals(v, v), rounded.AsSingle(), v);
    }

    /// <summary>16 bfloat16 → float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Load16(ushort* p) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()), 16).AsSingle();

    /// <summary>One bfloat16 → float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Widen(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);

    /// <summary>One float32 → bfloat16, nearest even; NaN → 0x7FC0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ushort Round(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0;
        return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }
}
