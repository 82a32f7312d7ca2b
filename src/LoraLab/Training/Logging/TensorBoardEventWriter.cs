using System.Buffers.Binary;
using System.Text;

namespace LoraLab.Training.Logging;

/// <summary>
/// Writes TensorBoard scalar summaries to an <c>events.out.tfevents.*</c> file without TensorFlow: TFRecord framing
/// (u64 length, masked CRC32C of the length bytes, data, masked CRC32C of the data; little-endian) around hand-encoded
/// <c>Event</c> protobufs: field 1 wall_time (double), 2 step (int64), 3 file_version (string, first record:
/// "brain.Event:2"), 5 summary { repeated value (1) { tag (1) string, simple_value (2) float } }.
/// Each record is flushed as written, so a killed run keeps every step logged so far.
/// </summary>
public sealed class TensorBoardEventWriter : IDisposable
{
    private readonly FileStream _stream;

    public TensorBoardEventWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(directory, $"events.out.tfevents.{now}.{Environment.MachineName}.{Environment.ProcessId}.loralab");
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var first = new List<byte>();
        WireDouble(first, 1, WallTime());
        WireString(first, 3, "brain.Event:2");
        WriteRecord(first.ToArray());
    }

    public string Path { get; }

    /// <summary>Appends one Event holding the given scalars at <paramref name="step"/>.</summary>
    public void AddScalars(long step, IEnumerable<(string Tag, double Value)> scalars)
    {
        var summary = new List<byte>();
        foreach (var (tag, value) in scalars)
        {
            var v = new List<byte>();
            WireString(v, 1, tag);
            WireFloat(v, 2, (float)value);
            WireBytes(summary, 1, v.ToArray());
        }
        var ev = new List<byte>();
        WireDouble(ev, 1, WallTime());
        WireVarintField(ev, 2, (ulong)step);
        WireBytes(ev, 5, summary.ToArray());
        WriteRecord(ev.ToArray());
    }

    /// <summary>Frames <paramref name="data"/> as one TFRecord.</summary>
    public static byte[] Frame(byte[] data)
    {
        var record = new byte[8 + 4 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32C.Masked(record.AsSpan(0, 8)));
        data.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), Crc32C.Masked(data));
        return record;
    }

    private void WriteRecord(byte[] data)
    {
        _stream.Write(Frame(data));
        _stream.Flush();
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static void Varint(List<byte> o, ulong v)
    {
        while (v >= 0x80)
        {
            o.Add((byte)(v | 0x80));
            v >>= 7;
        }
        o.Add((byte)v);
    }

    private static void Key(List<byte> o, int field, int wireType) => Varint(o, (ulong)((field << 3) | wireType));

    private static void WireVarintField(List<byte> o, int field, ulong v)
    {
        Key(o, field, 0);
        Varint(o, v);
    }

    private static void WireDouble(List<byte> o, int field, double v)
    {
        Key(o, field, 1);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, v);
        o.AddRange(b.ToArray());
    }

    private static void WireFloat(List<byte> o, int field, float v)
    {
        Key(o, field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, v);
        o.AddRange(b.ToArray());
    }

    private static void WireBytes(List<byte> o, int field, byte[] bytes)
    {
        Key(o, field, 2);
        Varint(o, (ulong)bytes.Length);
        o.AddRange(bytes);
    }

    private static void WireString(List<byte> o, int field, string s) => WireBytes(o, field, Encoding.UTF8.GetBytes(s));

    public void Dispose() => _stream.Dispose();
}
