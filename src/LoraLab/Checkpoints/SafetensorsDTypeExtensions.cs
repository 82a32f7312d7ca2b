using TorchSharp;

namespace LoraLab.Checkpoints;

/// <summary>Element size, header spelling and TorchSharp <see cref="torch.ScalarType"/> mapping of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypeExtensions
{
    /// <summary>The header spellings we support, for error messages.</summary>
    public const string SupportedNames = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 => 2,
        SafetensorsDType.I8 or SafetensorsDType.U8 or SafetensorsDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The spelling in the JSON header ("F32", "BF16", "BOOL", ...).</summary>
    public static string HeaderName(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 => "F64",
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.F16 => "F16",
        SafetensorsDType.BF16 => "BF16",
        SafetensorsDType.I64 => "I64",
        SafetensorsDType.I32 => "I32",
        SafetensorsDType.I16 => "I16",
        SafetensorsDType.I8 => "I8",
        SafetensorsDType.U8 => "U8",
        SafetensorsDType.BOOL => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses a header spelling (case-sensitive, as the format requires).</summary>
    public static bool TryParseHeaderName(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "F64": dtype = SafetensorsDType.F64; return true;
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "I32": dtype = SafetensorsDType.I32; return true;
            case "I16": dtype = SafetensorsDType.I16; return true;
            case "I8": dtype = SafetensorsDType.I8; return true;
            case "U8": dtype = SafetensorsDType.U8; return true;
            case "BOOL": dtype = SafetensorsDType.BOOL; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The TorchSharp element type holding this dtype bit-for-bit.</summary>
    public static torch.ScalarType ToScalarType(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 => torch.ScalarType.Float64,
        SafetensorsDType.F32 => torch.ScalarType.Float32,
        SafetensorsDType.F16 => torch.ScalarType.Float16,
        SafetensorsDType.BF16 => torch.ScalarType.BFloat16,
        SafetensorsDType.I64 => torch.ScalarType.Int64,
        SafetensorsDType.I32 => torch.ScalarType.Int32,
        SafetensorsDType.I16 => torch.ScalarType.Int16,
        SafetensorsDType.I8 => torch.ScalarType.Int8,
        SafetensorsDType.U8 => torch.ScalarType.Byte,
        SafetensorsDType.BOOL => torch.ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The safetensors dtype for a TorchSharp element type, or false (complex, quantized) if it has none we support.</summary>
    public static bool TryFromScalarType(torch.ScalarType type, out SafetensorsDType dtype)
    {
        switch (type)
        {
            case torch.ScalarType.Float64: dtype = SafetensorsDType.F64; return true;
            case torch.ScalarType.Float32: dtype = SafetensorsDType.F32; return true;
            case torch.ScalarType.Float16: dtype = SafetensorsDType.F16; return true;
            case torch.ScalarType.BFloat16: dtype = SafetensorsDType.BF16; return true;
            case torch.ScalarType.Int64: dtype = SafetensorsDType.I64; return true;
            case torch.ScalarType.Int32: dtype = SafetensorsDType.I32; return true;
            case torch.ScalarType.Int16: dtype = SafetensorsDType.I16; return true;
            case torch.ScalarType.Int8: dtype = SafetensorsDType.I8; return true;
            case torch.ScalarType.Byte: dtype = SafetensorsDType.U8; return true;
            case torch.ScalarType.Bool: dtype = SafetensorsDType.BOOL; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>
    /// Rank used by the reference implementation to order tensors in a file: larger (more aligned) types first,
    /// so every tensor starts at a multiple of its element size. Higher rank = earlier in the file.
    /// Mirrors the Rust enum order BOOL &lt; U8 &lt; I8 &lt; I16 &lt; F16 &lt; BF16 &lt; I32 &lt; F32 &lt; F64 &lt; I64.
    /// </summary>
    internal static int WriteOrderRank(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL => 0,
        SafetensorsDType.U8 => 1,
        SafetensorsDType.I8 => 2,
        SafetensorsDType.I16 => 3,
        SafetensorsDType.F16 => 4,
        SafetensorsDType.BF16 => 5,
        SafetensorsDType.I32 => 6,
        SafetensorsDType.F32 => 7,
        SafetensorsDType.F64 => 8,
        SafetensorsDType.I64 => 9,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
