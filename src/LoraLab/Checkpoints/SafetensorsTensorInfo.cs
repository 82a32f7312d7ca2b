namespace LoraLab.Checkpoints;

/// <summary>One tensor entry of a safetensors header. <see cref="Begin"/>/<see cref="End"/> are byte offsets relative to the data section.</summary>
public sealed class SafetensorsTensorInfo
{
    public SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long begin, long end)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Begin = begin;
        End = end;
    }

    public string Name { get; }

    public SafetensorsDType DType { get; }

    /// <summary>The shape; empty for a scalar (0-dim) tensor. Do not modify.</summary>
    public long[] Shape { get; }

    public long Begin { get; }

    public long End { get; }

    public long ByteLength => End - Begin;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => ByteLength / DType.ElementSize();

    public override string ToString() => $"{Name}: {DType.HeaderName()} [{string.Join(", ", Shape)}] @ [{Begin}, {End})";
}
