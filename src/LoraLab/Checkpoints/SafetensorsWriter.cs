using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Writes safetensors files the way the reference implementation does: tensors ordered by dtype alignment
/// (8-byte types first) then by name (UTF-8 byte order), "__metadata__" first in the header, header padded with spaces
/// to a multiple of 8 bytes. The file is written to a temporary sibling and renamed over the target.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (of a supported dtype, on any device: each is copied to the CPU as it is written;
    /// non-contiguous ones are made contiguous)
    /// and optional string <paramref name="metadata"/> to <paramref name="path"/> atomically. The tensors are not disposed.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = Prepare(path, tensors);
        byte[] header = BuildHeader(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var e in entries)
            {
                using var scope = NewDisposeScope();
                var data = e.Tensor.cpu(); // one tensor at a time off a GPU (the same tensor on the CPU)
                if (!data.is_contiguous()) data = data.contiguous();
                TensorBytes.WriteTo(data, stream);
            }
        });
    }

    /// <summary>Number of data bytes <paramref name="tensor"/> takes in a safetensors file.</summary>
    public static long ByteSize(Tensor tensor) => checked(tensor.numel() * tensor.element_size());

    /// <summary>Validates names, devices and dtypes, and orders the tensors as the reference implementation does.</summary>
    internal static List<Entry> Prepare(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new LoraLabException($"{path}: a tensor has a null name; give every tensor a name");
            if (name == SafetensorsHeader.MetadataKey)
                throw new LoraLabException($"{path}: '{name}' is reserved for metadata and cannot name a tensor; rename it");
            if (!names.Add(name))
                throw new LoraLabException($"{path}: tensor name '{name}' is given twice; tensor names must be unique");
            if (tensor is null || tensor.IsInvalid)
                throw new LoraLabException($"{path}: tensor '{name}' is null or disposed");
            if (!SafetensorsDTypeExtensions.TryFromScalarType(tensor.dtype, out var dtype))
                throw new LoraLabException($"{path}: tensor '{name}' has element type {tensor.dtype}, which safetensors cannot store here (supported: " +
                    $"{SafetensorsDTypeExtensions.SupportedNames}); convert it first");
            entries.Add(new Entry(name, Encoding.UTF8.GetBytes(name), dtype, tensor, ByteSize(tensor)));
        }

        entries.Sort((a, b) =>
        {
            int byType = b.DType.WriteOrderRank().CompareTo(a.DType.WriteOrderRank());
            return byType != 0 ? byType : a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name);
        });
        return entries;
    }

    private static byte[] BuildHeader(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value ?? throw new ArgumentException($"metadata value of '{key}' is null", nameof(metadata)));
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (long d in e.Tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset = checked(offset + e.Bytes);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int length = (int)buffer.Length;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    internal sealed record Entry(string Name, byte[] Utf8Name, SafetensorsDType DType, Tensor Tensor, long Bytes);
}
