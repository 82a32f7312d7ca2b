using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Counter-based dropout: entry e (the row-major index into the layer's whole (N, in) input) is kept when H(e) ≥ p·2³²,
/// where H is a keyed 32-bit integer hash (two rounds of the "lowbias32" mixer around a 64-bit key). A mask is a function
/// of its key, which is 8 bytes: <see cref="Apply"/> computes it wherever it is needed and writes src ⊙ mask / (1 − p)
/// straight into its destination, 8 or 16 entries per vector step. A caller that applies one mask more than once may
/// record it as bits on the first pass (1/32 of a float32 copy) and <see cref="Replay"/> it, a bit lookup instead of the
/// hash. Because the decision depends only on (key, e), any split into row blocks gives the
/// same mask. The key comes from libtorch's global generator (<see cref="NewKey"/>), so <c>manual_seed</c> and checkpointed
/// RNG state reproduce it. (libtorch's bernoulli_ is a serial per-element loop on non-Intel CPUs.) <see cref="Reference"/>
/// computes the same masks with tensor operations on the CPU; off the CPU it draws its masks from the device's own
/// sampler, still one mask per key.
/// </summary>
internal static class DropoutMask
{
    /// <summary>A fresh key from libtorch's global generator.</summary>
    public static ulong NewKey() => (ulong)randint(0, long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64).item<long>();

    /// <summary>
    /// dst[i, j] = src[i, j] / (1 − p) when entry (firstRow + i)·width + j is kept, else 0. <paramref name="src"/> and
    /// <paramref name="dst"/> are contiguous float32 or bfloat16 (rows, width) tensors of one shape and dtype, possibly the
    /// same tensor; bfloat16 entries are scaled in float32 and rounded back to nearest even, as a float32 pass and a cast.
    /// </summary>
    public static void Apply(Tensor src, Tensor dst, long firstRow, double p, ulong key) => Apply(src, dst, firstRow, p, key, null);

    /// <summary>
    /// <see cref="Apply(Tensor, Tensor, long, double, ulong)"/> that also records the keep decisions into
    /// <paramref name="bits"/> (when given): a contiguous uint8 (rows, <see cref="RowBytes"/>(width)) tensor where bit j % 8 of
    /// byte j / 8 of row i is 1 when entry (i, j) is kept. <see cref="Replay"/> applies the recorded mask without hashing.
    /// </summary>
    public static unsafe void Apply(Tensor src, Tensor dst, long firstRow, double p, ulong key, Tensor? bits)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        CheckPair(src, dst);
        long rows = src.shape[0], width = src.shape[1];
        if ((firstRow + rows) * width > (1L << 32))
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"a dropout key covers at most 2³² entries, got {firstRow + rows}×{width}.");
        if (bits is not null) CheckBits(bits, rows, width);
        if (rows == 0 || width == 0) return;
        uint threshold = (uint)Threshold(p);
        float scale = (float)(1.0 / (1.0 - p));
        if (src.dtype == ScalarType.BFloat16)
            ForRowChunks(src, dst, bits, (s, d, b, r0, len) =>
                Bf16Rows.Hash((ushort*)s, (ushort*)d, b, len, firstRow + r0, width, threshold, scale, key));
        else ForRowChunks(src, dst, bits, (s, d, b, r0, len) => Rows((float*)s, (float*)d, b, len, firstRow + r0, width, threshold, scale, key));
    }

    // One chunk of rows [r0, r0 + len): pointers to its first source and destination element and its first mask byte
    // (null without a record).
    private unsafe delegate void RowChunk(byte* src, byte* dst, byte* bits, long r0, long len);

    /// <summary>
    /// Runs <paramref name="chunk"/> over the rows of the (rows, width) pair, split over libtorch's thread team
    /// (<see cref="OmpTeam"/>); libtorch buffers do not move, so their addresses stay valid on the team's threads.
    /// </summary>
    private static unsafe void ForRowChunks(Tensor src, Tensor dst, Tensor? bits, RowChunk chunk)
    {
        long rows = src.shape[0], width = src.shape[1], rowBytes = RowBytes(width), size = src.element_size();
        // no record: an empty span, which pins as a null pointer
        fixed (byte* s = src.bytes, d = dst.bytes, b = bits is null ? Span<byte>.Empty : bits.bytes)
        {
            nint sp = (nint)s, dp = (nint)d, bp = (nint)b;
            OmpTeam.For(rows, OmpTeam.RowGrain(width), (r0, r1) =>
                chunk((byte*)sp + r0 * width * size, (byte*)dp + r0 * width * size, bp == 0 ? null : (byte*)bp + r0 * rowBytes, r0, r1 - r0));
        }
    }

    /// <summary>Bytes per row of a recorded mask of <paramref name="width"/> entries: one bit per entry, rows byte-aligned.</summary>
    public static long RowBytes(long width) => (width + 7) / 8;

    /// <summary>
    /// dst = src / (1 − p) where <paramref name="bits"/> (recorded by <see cref="Apply(Tensor, Tensor, long, double, ulong, Tensor?)"/>
    /// for these rows) says kept, else 0: the same values as the hashing pass, at the cost of a bit lookup.
    /// </summary>
    public static unsafe void Replay(Tensor src, Tensor dst, Tensor bits, double p)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        CheckPair(src, dst);
        long rows = src.shape[0], width = src.shape[1];
        CheckBits(bits, rows, width);
        if (rows == 0 || width == 0) return;
        float scale = (float)(1.0 / (1.0 - p));
        if (src.dtype == ScalarType.BFloat16)
            ForRowChunks(src, dst, bits, (s, d, b, _, len) => Bf16Rows.Replay((ushort*)s, (ushort*)d, b, len, width, scale));
        else ForRowChunks(src, dst, bits, (s, d, b, _, len) => ReplayRows((float*)s, (float*)d, b, len, width, scale));
    }

    private static void CheckPair(Tensor src, Tensor dst)
    {
        if (src.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || dst.dtype != src.dtype || src.dim() != 2
            || !src.shape.SequenceEqual(dst.shape) || !src.is_contiguous() || !dst.is_contiguous())
            throw new ArgumentException($"dropout needs two contiguous float32 or bfloat16 (rows, width) tensors of one shape and dtype, got {src.dtype} " +
                $"{Shape(src)} and {dst.dtype} {Shape(dst)}.");
    }

    private static void CheckBits(Tensor bits, long rows, long width)
    {
        if (bits.dtype != ScalarType.Byte || bits.dim() != 2 || bits.shape[0] != rows || bits.shape[1] != RowBytes(width) || !bits.is_contiguous())
            throw new ArgumentException($"a dropout mask record for ({rows}, {width}) is a contiguous uint8 ({rows}, {RowBytes(width)}) tensor, " +
                $"got {bits.dtype} {Shape(bits)}.");
    }

    /// <summary>
    /// The device-generic dropout: dropout(x2) for the (rows, width) block <paramref name="x2"/> whose first row is row
    /// <paramref name="firstRow"/> of the masked input, in x2's dtype, x·1/(1 − p) where kept. On the CPU the keep decisions
    /// are <see cref="Apply"/>'s own, hashed with plain tensor operations (<see cref="HashedKeep"/>); on any other device
    /// they are <see cref="DrawnKeep"/>'s. Either way one key gives one mask, so activation checkpointing's recompute
    /// replays it.
    /// </summary>
    public static Tensor Reference(Tensor x2, long firstRow, double p, ulong key)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        if (x2.dim() != 2) throw new ArgumentException($"dropout needs a (rows, width) tensor, got {Shape(x2)}.");
        using var scope = NewDisposeScope();
        var keep = x2.device.type == DeviceType.CPU ? HashedKeep(x2, firstRow, p, key) : DrawnKeep(x2, firstRow, p, key); // (rows, width)
        using Scalar scale = ((float)(1.0 / (1.0 - p))).ToScalar();
        var dropped = x2.to_type(ScalarType.Float32).mul(scale).mul_(keep); // as Apply: x·scale, then masked
        return dropped.to_type(x2.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Apply"/>'s keep decisions (bool, rows × width) as tensor operations on x2's device: 64-bit integer
    /// arithmetic, every product below 2⁶³. About 45 passes over 8-byte integers per entry: on an H200 at Llama-2-7B's
    /// layer shape and 4096 tokens, about 140 ms a step for 28 projections, more than full finetuning's whole amp_bf16
    /// step (75 ms), which is why other devices draw their masks instead. Beside the result it holds the entry indices and
    /// at most two temporaries of their size.
    /// </summary>
    internal static Tensor HashedKeep(Tensor x2, long firstRow, double p, ulong key)
    {
        long rows = x2.shape[0], width = x2.shape[1];
        if ((firstRow + rows) * width > (1L << 32))
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"a dropout key covers at most 2³² entries, got {firstRow + rows}×{width}.");
        using var scope = NewDisposeScope();
        var device = x2.device;
        Tensor Constant(long value) => tensor(value, dtype: ScalarType.Int64, device: device);
        var low32 = Constant(uint.MaxValue);
        var entries = Scalars.Arange(firstRow * width, (firstRow + rows) * width, device); // (rows·width)
        using Scalar k0 = ((long)(uint)key).ToScalar();
        var z = Mix(entries.add_(k0, Scalars.One).bitwise_and_(low32), low32, Constant); // (e + k0) mod 2³², mixed in place
        Mix(z.bitwise_xor_(Constant((long)(key >> 32))), low32, Constant);
        return z.ge(Constant(Threshold(p))).view(rows, width).MoveToOuterDisposeScope(); // (rows, width)
    }

    /// <summary>
    /// Keep decisions (bool, rows × width) drawn by libtorch's Bernoulli sampler (Philox on CUDA) from a generator of
    /// x2's device seeded with the key: one pass, and what PyTorch's own dropout uses there. The same key, block shape and
    /// device give the same mask; the masks are not <see cref="Apply"/>'s, so a run with LoRA dropout drops other entries
    /// on a GPU than on the CPU. A block is drawn whole: <paramref name="firstRow"/> must be 0. On the CPU (which
    /// <see cref="Reference"/> never sends here; tests do) it draws from a generator of its own.
    /// </summary>
    internal static Tensor DrawnKeep(Tensor x2, long firstRow, double p, ulong key)
    {
        if (firstRow != 0) throw new ArgumentException($"a drawn dropout mask covers a whole input, got a block from row {firstRow}.", nameof(firstRow));
        var keep = empty(x2.shape[0], x2.shape[1], dtype: ScalarType.Float32, device: x2.device);
        if (x2.device.type == DeviceType.CPU)
        {
            using var generator = new Generator(key);
            return keep.bernoulli_(1 - p, generator).to_type(ScalarType.Bool);
        }
        // TorchSharp 0.107 creates CPU generators only, so off the CPU the default generators are reseeded (every CUDA
        // device's: a tensor on cuda:1 draws from device 1's); later random draws there continue from this key's stream.
        cuda.manual_seed_all((long)key);
        return keep.bernoulli_(1 - p).to_type(ScalarType.Bool);
    }

    internal static long Threshold(double p) => (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0)); // p · 2³²

    // lowbias32 on int64 tensors holding 32-bit values, in place on x: each step frees its temporaries as it ends, so at
    // most two (rows·width) temporaries live beside x.
    private static Tensor Mix(Tensor x, Tensor low32, Func<long, Tensor> constant)
    {
        XorShift(x, 16, constant);
        MulLow32(x, 0x7feb352dL, low32, constant);
        XorShift(x, 15, constant);
        MulLow32(x, 0x846ca68bL, low32, constant);
        XorShift(x, 16, constant);
        return x;
    }

    // x ^= x >> k, in place.
    private static void XorShift(Tensor x, long k, Func<long, Tensor> constant)
    {
        using var scope = NewDisposeScope();
        x.bitwise_xor_(x.bitwise_right_shift(constant(k)));
    }

    // x = (x · c) mod 2³² in place, for x, c < 2³², by 16-bit halves of x so that no product reaches 2⁶³.
    private static void MulLow32(Tensor x, long c, Tensor low32, Func<long, Tensor> constant)
    {
        using var scope = NewDisposeScope();
        var s16 = constant(16);
        using Scalar factor = c.ToScalar();
        var low = x.bitwise_and(constant(0xFFFF)).mul_(factor); // < 2⁴⁸
        x.bitwise_right_shift_(s16).mul_(factor).bitwise_and_(constant(0xFFFF)).bitwise_left_shift_(s16); // < 2³²
        x.add_(low, Scalars.One).bitwise_and_(low32);
    }

    // Row-major pass; with bits non-null, also writes the keep decisions (bit j % 8 of byte j / 8 of each row).
    // Fully optimised from the first call: these loops otherwise run as tier-0 / on-stack-replacement code for many calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows(float* src, float* dst, byte* bits, long rows, long firstRow, long width, uint threshold, float scale, ulong key)
    {
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        long rowBytes = RowBytes(width);
        for (long i = 0; i < rows; i++)
        {
            uint first = (uint)((firstRow + i) * width); // entry index of the row's first element (< 2³², checked)
            float* s = src + i * width, d = dst + i * width;
            byte* b = bits == null ? null : bits + i * rowBytes;
            long j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j + 16 <= width; j += 16)
                {
                    var keep = Keep16(first + (uint)j, k0, k1, threshold);
                    Vector512.Store(Vector512.BitwiseAnd(Vector512.Load(s + j) * scale, keep.AsSingle()), d + j);
                    if (b != null) *(ushort*)(b + (j >> 3)) = (ushort)keep.ExtractMostSignificantBits(); // lane n → bit n (little-endian)
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= width; j += 8)
                {
                    var keep = Keep8(first + (uint)j, k0, k1, threshold);
                    Vector256.Store(Vector256.BitwiseAnd(Vector256.Load(s + j) * scale, keep.AsSingle()), d + j);
                    if (b != null) b[j >> 3] = (byte)keep.ExtractMostSignificantBits();
                }
            }
            for (; j < width; j++) // j starts at a multiple of 8: its byte is zeroed before its first bit is set
            {
                bool kept = Hash(first + (uint)j, k0, k1) >= threshold;
                d[j] = kept ? s[j] * scale : 0f;
                if (b != null) Record(b, j, kept);
            }
        }
    }

    // dst = src·scale where the recorded bit is set, else 0 (the arithmetic of Rows, so the values are bit for bit the same).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ReplayRows(float* src, float* dst, byte* bits, long rows, long width, float scale)
    {
        long rowBytes = RowBytes(width);
        for (long i = 0; i < rows; i++)
        {
            float* s = src + i * width, d = dst + i * width;
            byte* b = bits + i * rowBytes;
            long j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j + 16 <= width; j += 16)
                {
                    Vector512.Store(Vector512.BitwiseAnd(Vector512.Load(s + j) * scale, Kept16(*(ushort*)(b + (j >> 3))).AsSingle()), d + j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= width; j += 8)
                {
                    Vector256.Store(Vector256.BitwiseAnd(Vector256.Load(s + j) * scale, Kept8(b[j >> 3]).AsSingle()), d + j);
                }
            }
            for (; j < width; j++)
                d[j] = Kept(b, j) ? s[j] * scale : 0f;
        }
    }

    // The keep decisions, 16, 8 or one entry at a time, as every mask loop (here, Bf16Rows, MaskedRows) takes them.

    /// <summary>Lane n all ones when entry <paramref name="first"/> + n is kept under the key (n = 0..7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Keep8(uint first, uint k0, uint k1, uint threshold) =>
        Vector256.GreaterThanOrEqual(Hash(Vector256.Create(first) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7), k0, k1), Vector256.Create(threshold));

    /// <summary>Lane n all ones when entry <paramref name="first"/> + n is kept under the key (n = 0..15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Keep16(uint first, uint k0, uint k1, uint threshold) =>
        Vector512.GreaterThanOrEqual(Hash(Vector512.Create(first) + Lanes16, k0, k1), Vector512.Create(threshold));

    /// <summary>Lane n all ones when bit n of two recorded mask bytes (little-endian) is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Kept16(ushort bits) => Vector512.Equals(Vector512.Create((uint)bits) & Bit16, Bit16);

    private static readonly Vector512<uint> Lanes16 = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    private static readonly Vector512<uint> Bit16 =
        Vector512.Create(1u, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);

    /// <summary>Lane n all ones when bit n of a recorded mask byte is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Kept8(byte bits)
    {
        var bit8 = Vector256.Create(1u, 2, 4, 8, 16, 32, 64, 128);
        return Vector256.Equals(Vector256.Create((uint)bits) & bit8, bit8);
    }

    /// <summary>Whether entry j of a row's recorded mask is kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe bool Kept(byte* row, long j) => ((row[j >> 3] >> (int)(j & 7)) & 1) != 0;

    /// <summary>Records entry j's decision one entry at a time, past the 8-wide steps: j's byte is zeroed at its first bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Record(byte* row, long j, bool kept)
    {
        if ((j & 7) == 0) row[j >> 3] = 0;
        if (kept) row[j >> 3] |= (byte)(1 << (int)(j & 7));
    }

    /// <summary>H(e) of entry e under the key (k1 · 2³² + k0): mix(mix(e + k0) ⊕ k1), 32-bit wrapping arithmetic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Hash(uint entry, uint k0, uint k1) => Mix(Mix(entry + k0) ^ k1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Hash(Vector256<uint> entries, uint k0, uint k1) =>
        Mix(Mix(entries + Vector256.Create(k0)) ^ Vector256.Create(k1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Hash(Vector512<uint> entries, uint k0, uint k1) =>
        Mix(Mix(entries + Vector512.Create(k0)) ^ Vector512.Create(k1));

    // "lowbias32" (C. Wellons' hash prospector): a bijective 32-bit mixer with low bias. Written once per width:
    // Vector256/Vector512 expose no shared generic interface to write it against.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb352dU;
        x ^= x >> 15;
        x *= 0x846ca68bU;
        return x ^ (x >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= 0x7feb352dU;
        x ^= Vector256.ShiftRightLogical(x, 15);
        x *= 0x846ca68bU;
        return x ^ Vector256.ShiftRightLogical(x, 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Mix(Vector512<uint> x)
    {
        x ^= Vector512.ShiftRightLogical(x, 16);
        x *= 0x7feb352dU;
        x ^= Vector512.ShiftRightLogical(x, 15);
        x *= 0x846ca68bU;
        return x ^ Vector512.ShiftRightLogical(x, 16);
    }

    private static string Shape(Tensor t) => $"({string.Join(", ", t.shape)})";
}
