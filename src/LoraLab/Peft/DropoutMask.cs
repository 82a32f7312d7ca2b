using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>A 0/1 dropout mask stored as bits: eight entries per byte, most significant first (numpy's packbits order).</summary>
internal static class DropoutMask
{
    private static readonly byte[] BitValues = { 128, 64, 32, 16, 8, 4, 2, 1 };

    /// <summary>Packs a 0/1 tensor of any shape into uint8 (ceil(numel / 8)); the tail is padded with zeros.</summary>
    public static Tensor Pack(Tensor keep)
    {
        using var scope = NewDisposeScope();
        var flat = keep.reshape(-1).to_type(ScalarType.Byte); // (n)
        long n = flat.shape[0], pad = (8 - n % 8) % 8;
        if (pad > 0) flat = cat(new[] { flat, zeros(pad, dtype: ScalarType.Byte) });
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        var packed = flat.view(-1, 8).mul(bits).sum(1, type: ScalarType.Byte); // (⌈n/8⌉, 8) -> (⌈n/8⌉)
        return packed.MoveToOuterDisposeScope();
    }

    /// <summary>Inverse of <see cref="Pack"/>: a 0/1 tensor of <paramref name="shape"/> in <paramref name="dtype"/>.</summary>
    public static Tensor Unpack(Tensor packed, long[] shape, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        var flat = packed.unsqueeze(1).bitwise_and(bits).ne(0).view(-1); // (⌈n/8⌉, 8) -> (8⌈n/8⌉)
        return flat.narrow(0, 0, n).to_type(dtype).view(shape).MoveToOuterDisposeScope();
    }

    /// <summary>An uninitialised row-packed mask for an (rows, width) tensor: (rows, ⌈width/8⌉) uint8.</summary>
    public static Tensor Packed(long rows, long width) => empty(rows, (width + 7) / 8, dtype: ScalarType.Byte);

    /// <summary>Packs each row of a 0/1 (rows, width) tensor on its own: (rows, ⌈width/8⌉) uint8.</summary>
    public static Tensor PackRows(Tensor keep)
    {
        using var scope = NewDisposeScope();
        long rows = keep.shape[0], width = keep.shape[1], pad = (8 - width % 8) % 8;
        var k = keep.to_type(ScalarType.Byte); // (rows, width)
        if (pad > 0) k = cat(new[] { k, zeros(rows, pad, dtype: ScalarType.Byte) }, 1); // (rows, width + pad)
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        return k.view(rows, -1, 8).mul(bits).sum(2, type: ScalarType.Byte).MoveToOuterDisposeScope(); // (rows, ⌈width/8⌉)
    }

    /// <summary>Inverse of <see cref="PackRows"/>: a (rows, width) bool tensor.</summary>
    public static Tensor UnpackRows(Tensor packed, long width)
    {
        using var scope = NewDisposeScope();
        long rows = packed.shape[0];
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        var flat = packed.unsqueeze(2).bitwise_and(bits).ne(0).view(rows, -1); // (rows, ⌈width/8⌉, 8) -> (rows, 8⌈width/8⌉)
        return flat.narrow(1, 0, width).MoveToOuterDisposeScope(); // (rows, width)
    }
}
