using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Moves raw bytes between contiguous CPU tensors and native memory or streams.
/// TorchSharp's <see cref="Tensor.bytes"/> is a span over the tensor's own storage (starting at its storage offset),
/// limited to int-sized lengths, so large tensors are processed through 1-D chunks of at most <see cref="ChunkBytes"/>.
/// </summary>
internal static class TensorBytes
{
    /// <summary>Largest chunk copied through one span (1 GiB).</summary>
    internal const long ChunkBytes = 1L << 30;

    /// <summary>Copies <paramref name="length"/> bytes from <paramref name="source"/> into the storage of <paramref name="target"/>.</summary>
    public static unsafe void CopyInto(Tensor target, IntPtr source, long length, long chunkBytes = ChunkBytes)
    {
        var address = source;
        ForEachChunk(target, length, chunkBytes, (chunk, offset) =>
            new ReadOnlySpan<byte>((byte*)address + offset, chunk.Length).CopyTo(chunk));
    }

    /// <summary>Writes the bytes of a contiguous CPU tensor to <paramref name="stream"/>.</summary>
    public static void WriteTo(Tensor source, Stream stream, long chunkBytes = ChunkBytes)
    {
        long length = source.numel() * source.element_size();
        ForEachChunk(source, length, chunkBytes, (chunk, _) => stream.Write(chunk));
    }

    private delegate void ChunkAction(Span<byte> chunk, long offset);

    private static void ForEachChunk(Tensor tensor, long length, long chunkBytes, ChunkAction action)
    {
        if (length == 0) return;
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new InvalidOperationException("tensor must be contiguous and on the CPU");
        long elementSize = tensor.element_size();
        if (length != tensor.numel() * elementSize)
            throw new InvalidOperationException($"byte length {length} does not match the tensor ({tensor.numel()} x {elementSize} bytes)");

        if (length <= chunkBytes)
        {
            action(tensor.bytes, 0);
            return;
        }

        using var scope = NewDisposeScope();
        var flat = tensor.reshape(-1); // (numel) view of the contiguous storage
        long chunkElements = Math.Max(1, chunkBytes / elementSize);
        for (long start = 0; start < flat.shape[0]; start += chunkElements)
        {
            long count = Math.Min(chunkElements, flat.shape[0] - start);
            using var part = flat.narrow(0, start, count); // (count) view at element offset start
            action(part.bytes, start * elementSize);
        }
    }
}
