using System.Buffers.Binary;
using System.Text;
using LoraLab.Training.Logging;

namespace LoraLab.Tests.Training.Logging;

public class TensorBoardEventWriterTests
{
    [Fact]
    public void Crc32CMatchesTheStandardCheckValue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0xE3069283u, BitwiseCrc32C("123456789"u8.ToArray()));
        uint crc = 0xE3069283u;
        Assert.Equal(unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u), Crc32C.Masked("123456789"u8));
    }

    [Fact]
    public void TrainerEventFileParsesBackWithAnIndependentReader()
    {
        using var run = new TinyRun();
        using var trainer = TinyRun.Train(run.Config("tb", "max_duration=3ba"));
        string file = Directory.GetFiles(Path.Combine(trainer.RunDirectory, MetricsWriter.TensorBoardDir)).Single();
        Assert.Contains("events.out.tfevents.", Path.GetFileName(file));
        var events = ReadRecords(File.ReadAllBytes(file)).Select(ParseEvent).ToList();

        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.True(events[0].WallTime > 1.6e9);
        var losses = events.Where(e => e.Scalars.ContainsKey("train/loss")).ToList();
        Assert.Equal([1L, 2L, 3L], losses.Select(e => e.Step));
        var rows = TinyRun.Metrics(trainer.RunDirectory);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((float)TinyRun.Num(rows[i], "loss"), losses[i].Scalars["train/loss"]);
            Assert.Equal((float)TinyRun.Num(rows[i], "lr"), losses[i].Scalars["train/lr"]);
            Assert.Equal((float)TinyRun.Num(rows[i], "grad_norm"), losses[i].Scalars["train/grad_norm"]);
        }
    }

    private sealed record Event(double WallTime, long Step, string? FileVersion, Dictionary<string, float> Scalars);

    // Independent of the writer: TFRecord = u64 length, masked crc(length), data, masked crc(data), with a bitwise CRC.
    private static IEnumerable<byte[]> ReadRecords(byte[] file)
    {
        int pos = 0;
        while (pos < file.Length)
        {
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(pos));
            Assert.Equal(Mask(BitwiseCrc32C(file[pos..(pos + 8)])), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 8)));
            byte[] data = file[(pos + 12)..(pos + 12 + (int)len)];
            Assert.Equal(Mask(BitwiseCrc32C(data)), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 12 + (int)len)));
            pos += 16 + (int)len;
            yield return data;
        }
    }

    private static uint BitwiseCrc32C(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    private static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);

    private static Event ParseEvent(byte[] data)
    {
        double wall = 0;
        long step = 0;
        string? version = null;
        var scalars = new Dictionary<string, float>();
        foreach (var (field, wire, value, bytes) in Fields(data))
        {
            if (field == 1 && wire == 1) wall = BitConverter.Int64BitsToDouble((long)value);
            else if (field == 2 && wire == 0) step = (long)value;
            else if (field == 3 && wire == 2) version = Encoding.UTF8.GetString(bytes!);
            else if (field == 5 && wire == 2)
            {
                foreach (var (vf, _, _, vbytes) in Fields(bytes!))
                {
                    Assert.Equal(1, vf);
                    string tag = "";
                    float simple = float.NaN;
                    foreach (var (f, w, v, b) in Fields(vbytes!))
                    {
                        if (f == 1 && w == 2) tag = Encoding.UTF8.GetString(b!);
                        if (f == 2 && w == 5) simple = BitConverter.Int32BitsToSingle((int)v);
                    }
                    scalars[tag] = simple;
                }
            }
            else Assert.Fail($"unexpected field {field} wire {wire}");
        }
        return new Event(wall, step, version, scalars);
    }

    private static List<(int Field, int Wire, ulong Value, byte[]? Bytes)> Fields(byte[] data)
    {
        var result = new List<(int, int, ulong, byte[]?)>();
        int pos = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data[pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }
        while (pos < data.Length)
        {
            ulong key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: result.Add((field, wire, Varint(), null)); break;
                case 1: result.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(pos)), null)); pos += 8; break;
                case 5: result.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos)), null)); pos += 4; break;
                case 2:
                    int len = (int)Varint();
                    result.Add((field, wire, 0, data[pos..(pos + len)]));
                    pos += len;
                    break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
        return result;
    }
}
