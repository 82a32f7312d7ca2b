using System.Buffers.Binary;
using System.Text;

namespace LoraLab.Tests.Checkpoints;

/// <summary>
/// Builds and parses safetensors byte layouts by hand (u64 little-endian header length, UTF-8 JSON, data),
/// independently of LoraLab's reader and writer, so tests check them against the format itself.
/// </summary>
internal static class HandMadeSafetensors
{
    /// <summary>u64 LE length of <paramref name="headerJson"/> in UTF-8, the JSON bytes, then <paramref name="data"/>.</summary>
    public static byte[] Build(string headerJson, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    public static string Write(string path, string headerJson, byte[] data)
    {
        File.WriteAllBytes(path, Build(headerJson, data));
        return path;
    }

    /// <summary>Splits a file into its declared header length, header text and data section.</summary>
    public static (ulong HeaderLength, string Header, byte[] Data) Parse(byte[] file)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        return (n, header, file[(8 + (int)n)..]);
    }

    /// <summary>Little-endian bytes of 16-bit patterns.</summary>
    public static byte[] U16(params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        return bytes;
    }

    /// <summary>Little-endian bytes of 32-bit patterns.</summary>
    public static byte[] U32(params uint[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    /// <summary>Little-endian bytes of 64-bit patterns.</summary>
    public static byte[] U64(params ulong[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
