namespace LoraLab.Checkpoints;

/// <summary>
/// The element types of the safetensors format that LoraLab reads and writes.
/// The header spells them as <see cref="SafetensorsDTypeExtensions.HeaderName"/> ("F32", "BF16", ...).
/// </summary>
public enum SafetensorsDType
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    BOOL,
}
