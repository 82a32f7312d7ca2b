using LoraLab.Checkpoints;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static LoraLab.Tests.Checkpoints.HandMadeSafetensors;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

public class SafetensorsReaderTests
{
    /// <summary>Hand-lays tensors back to back: header JSON with sequential data_offsets plus the concatenated data.</summary>
    private static string WriteLayout(string path, params (string Name, string DType, long[] Shape, byte[] Bytes)[] tensors)
    {
        var entries = new List<string>();
        long offset = 0;
        foreach (var t in tensors)
        {
            entries.Add($"\"{t.Name}\":{{\"dtype\":\"{t.DType}\",\"shape\":[{string.Join(",", t.Shape)}]," +
                $"\"data_offsets\":[{offset},{offset + t.Bytes.Length}]}}");
            offset += t.Bytes.Length;
        }
        string header = "{\"__metadata__\":{\"format\":\"pt\"}," + string.Join(",", entries) + "}";
        return Write(path, header, Concat(tensors.Select(t => t.Bytes).ToArray()));
    }

    [Fact]
    public void ReadsFloatTypesFromKnownBitPatterns()
    {
        using var dir = new TempDir();
        string path = WriteLayout(dir.File("floats.safetensors"),
            ("f32", "F32", [2, 2], U32(0x3FC00000, 0xC0100000, 0x00000000, 0x3DCCCCCD)),
            ("f16", "F16", [6], U16(0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001, 0xFC00)),
            ("bf16", "BF16", [2, 3], U16(0x3F80, 0xC000, 0x4049, 0x7F80, 0x3E80, 0x8000)),
            ("f64", "F64", [3], U64(0x3FF0000000000000, 0xC000000000000000, 0x400921FB54442D18)));

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal(["f32", "f16", "bf16", "f64"], reader.Tensors.Select(t => t.Name));

        using (var f32 = reader.ReadTensor("f32"))
        {
            Assert.Equal(ScalarType.Float32, f32.dtype);
            Assert.Equal([2L, 2L], f32.shape);
            Assert.Equal([1.5f, -2.25f, 0f, 0.1f], f32.data<float>().ToArray());
        }

        using (var f16 = reader.ReadTensor("f16"))
        using (var f16AsF32 = f16.to_type(ScalarType.Float32))
        {
            Assert.Equal(ScalarType.Float16, f16.dtype);
            // IEEE half: 0x3C00 = 1, 0xC000 = -2, 0x3555 = 0.333251953125, 0x7BFF = 65504 (max), 0x0001 = 2^-24, 0xFC00 = -inf.
            Assert.Equal([1f, -2f, 0.333251953125f, 65504f, MathF.Pow(2, -24), float.NegativeInfinity], f16AsF32.data<float>().ToArray());
        }

        using (var bf16 = reader.ReadTensor("bf16", ScalarType.Float32))
        {
            Assert.Equal([2L, 3L], bf16.shape);
            // bfloat16 = top 16 bits of float32: 0x3F80 = 1, 0xC000 = -2, 0x4049 = 3.140625, 0x7F80 = +inf, 0x3E80 = 0.25, 0x8000 = -0.
            float[] v = bf16.data<float>().ToArray();
            Assert.Equal([1f, -2f, 3.140625f, float.PositiveInfinity, 0.25f, 0f], v);
            Assert.True(float.IsNegative(v[5]));
        }

        using (var f64 = reader.ReadTensor("f64"))
            Assert.Equal([1.0, -2.0, Math.PI], f64.data<double>().ToArray());
    }

    [Fact]
    public void ReadsIntegerAndBoolTypesFromKnownBitPatterns()
    {
        using var dir = new TempDir();
        string path = WriteLayout(dir.File("ints.safetensors"),
            ("i64", "I64", [3], U64(0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x0102030405060708)),
            ("i32", "I32", [3], U32(0xFFFFFFFE, 0x80000000, 42)),
            ("i16", "I16", [2], U16(0xFFFF, 0x7FFF)),
            ("i8", "I8", [2], [0x80, 0x7F]),
            ("u8", "U8", [3], [255, 0, 7]),
            ("mask", "BOOL", [3], [1, 0, 1]));

        using var reader = SafetensorsReader.Open(path);
        using (var t = reader.ReadTensor("i64")) Assert.Equal([-1L, long.MaxValue, 0x0102030405060708L], t.data<long>().ToArray());
        using (var t = reader.ReadTensor("i32")) Assert.Equal([-2, int.MinValue, 42], t.data<int>().ToArray());
        using (var t = reader.ReadTensor("i16")) Assert.Equal([(short)-1, short.MaxValue], t.data<short>().ToArray());
        using (var t = reader.ReadTensor("i8")) Assert.Equal([(sbyte)-128, (sbyte)127], t.data<sbyte>().ToArray());
        using (var t = reader.ReadTensor("u8"))
        {
            Assert.Equal(ScalarType.Byte, t.dtype);
            Assert.Equal([(byte)255, (byte)0, (byte)7], t.data<byte>().ToArray());
        }
        using (var t = reader.ReadTensor("mask"))
        {
            Assert.Equal(ScalarType.Bool, t.dtype);
            Assert.Equal([true, false, true], t.data<bool>().ToArray());
        }
    }

    [Fact]
    public void ReadsScalarAndEmptyTensorsAndExposesInfo()
    {
        using var dir = new TempDir();
        string path = WriteLayout(dir.File("edge.safetensors"),
            ("scalar", "I64", [], U64(42)),
            ("empty", "F32", [0, 3], []),
            ("w", "F32", [1], U32(0x40490FDB)));

        using var reader = SafetensorsReader.Open(path);
        using (var s = reader.ReadTensor("scalar"))
        {
            Assert.Equal(0, s.dim());
            Assert.Equal(42L, s.item<long>());
        }
        using (var e = reader.ReadTensor("empty"))
            Assert.Equal([0L, 3L], e.shape);

        var info = reader.Info("w");
        Assert.Equal(SafetensorsDType.F32, info.DType);
        Assert.Equal(8, info.Begin);
        Assert.Equal(12, info.End);
        Assert.True(reader.Contains("scalar"));
        Assert.False(reader.Contains("nope"));
        using (var w = reader.ReadTensor("w")) Assert.Equal(MathF.PI, w.item<float>()); // 0x40490FDB = (float)pi
    }

    [Fact]
    public void StoredBytesComeBackExactly()
    {
        using var dir = new TempDir();
        byte[] raw = U16(0x3F80, 0x0001, 0x7FC1, 0xFF80); // bf16 incl. denormal, a NaN payload and -inf
        string path = WriteLayout(dir.File("raw.safetensors"), ("x", "BF16", [2, 2], raw));
        using var reader = SafetensorsReader.Open(path);
        using var x = reader.ReadTensor("x");
        Assert.Equal(raw, x.bytes.ToArray());
    }

    [Fact]
    public void UnknownTensorNameIsAnErrorNamingTensorAndFile()
    {
        using var dir = new TempDir();
        string path = WriteLayout(dir.File("one.safetensors"), ("a", "U8", [1], [1]));
        using var reader = SafetensorsReader.Open(path);
        var e = Assert.Throws<LoraLabException>(() => reader.ReadTensor("model.missing.weight"));
        Assert.Contains("model.missing.weight", e.Message);
        Assert.Contains("one.safetensors", e.Message);
    }

    [Fact]
    public void HeaderOnlyFileWithNoTensorsOpens()
    {
        using var dir = new TempDir();
        string path = Write(dir.File("empty.safetensors"), "{}      ", []);
        using var reader = SafetensorsReader.Open(path);
        Assert.Empty(reader.Tensors);
    }

    [Fact]
    public void RepeatedReadsDoNotLeakTensors()
    {
        using var dir = new TempDir();
        string path = WriteLayout(dir.File("leak.safetensors"), ("x", "BF16", [4, 4], new byte[32]));
        using var reader = SafetensorsReader.Open(path);
        using (reader.ReadTensor("x", ScalarType.Float32)) { } // warm up anything lazily created
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var a = reader.ReadTensor("x");
            using var b = reader.ReadTensor("x", ScalarType.Float32);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        using (reader.ReadTensor("x"))
            Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // the counter does see live tensors
    }

    [Fact]
    public void ChunkedCopyMatchesSingleCopy()
    {
        // Large tensors go through 1 GiB chunks; use a 12-byte chunk to exercise the same path on a small tensor.
        var source = Enumerable.Range(0, 40).Select(i => (byte)(i * 7)).ToArray();
        using var target = empty([10], ScalarType.Float32); // (10)
        var pinned = System.Runtime.InteropServices.GCHandle.Alloc(source, System.Runtime.InteropServices.GCHandleType.Pinned);
        try { TensorBytes.CopyInto(target, pinned.AddrOfPinnedObject(), source.Length, chunkBytes: 12); }
        finally { pinned.Free(); }
        Assert.Equal(source, target.bytes.ToArray());

        using var ms = new MemoryStream();
        TensorBytes.WriteTo(target, ms, chunkBytes: 12);
        Assert.Equal(source, ms.ToArray());
    }
}
