using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Kernels;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static LoraLab.Tests.Checkpoints.HandMadeSafetensors;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

public class SafetensorsWriterTests
{
    private static KeyValuePair<string, Tensor> Kv(string name, Tensor t) => new(name, t);

    [Fact]
    public void WriterOutputMatchesTheFormatByteForByte()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        string path = dir.File("w.safetensors");
        SafetensorsWriter.Write(path,
            [Kv("c", tensor(new[] { 1.5f, -2.25f })), Kv("a", tensor(new[] { 0.1f })), Kv("b", tensor(7L))],
            new Dictionary<string, string> { ["format"] = "pt" });

        var (n, header, data) = Parse(File.ReadAllBytes(path));
        Assert.Equal(0UL, n % 8);
        Assert.Equal(header.TrimEnd(' ').Length, header.TrimEnd().Length); // padding is spaces only
        using var doc = JsonDocument.Parse(header);
        // Reference order: 8-byte types first (I64 "b"), then F32 by name ("a", "c"); __metadata__ first.
        Assert.Equal(["__metadata__", "b", "a", "c"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("pt", doc.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());

        var b = doc.RootElement.GetProperty("b");
        Assert.Equal("I64", b.GetProperty("dtype").GetString());
        Assert.Equal(0, b.GetProperty("shape").GetArrayLength()); // scalar
        Assert.Equal([0L, 8L], b.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([8L, 12L], doc.RootElement.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([12L, 20L], doc.RootElement.GetProperty("c").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([2L], doc.RootElement.GetProperty("c").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));

        // 7L, then 0.1f = 0x3DCCCCCD, then 1.5f = 0x3FC00000, -2.25f = 0xC0100000, all little-endian.
        Assert.Equal(Concat(U64(7), U32(0x3DCCCCCD, 0x3FC00000, 0xC0100000)), data);
    }

    [Fact]
    public void SameDtypeTensorsAreInNameOrderAndMixedDtypesStayAligned()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        string path = dir.File("mixed.safetensors");
        SafetensorsWriter.Write(path,
        [
            Kv("mask", tensor(new[] { true, false, true })),
            Kv("z.bf16", ones(3, dtype: ScalarType.BFloat16)),
            Kv("a.f32", ones(1)),
            Kv("ids", tensor(new long[] { 1, 2 })),
            Kv("y.f32", ones(2)),
            Kv("u", tensor(new byte[] { 9 })),
        ]);

        var (_, header, _) = Parse(File.ReadAllBytes(path));
        using var doc = JsonDocument.Parse(header);
        var entries = doc.RootElement.EnumerateObject().ToList();
        Assert.Equal(["ids", "a.f32", "y.f32", "z.bf16", "u", "mask"], entries.Select(p => p.Name));
        foreach (var e in entries)
        {
            long begin = e.Value.GetProperty("data_offsets")[0].GetInt64();
            int size = e.Value.GetProperty("dtype").GetString() switch { "I64" => 8, "F32" => 4, "BF16" => 2, _ => 1 };
            Assert.Equal(0, begin % size);
        }
    }

    [Fact]
    public void RoundTripKeepsValuesDtypesAndShapes()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f64"] = randn(2, dtype: ScalarType.Float64),
            ["f16"] = randn(5, dtype: ScalarType.Float16),
            ["bf16"] = randn(2, 3, dtype: ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { long.MinValue, 3 }),
            ["i32"] = tensor(new[] { -5, 6 }),
            ["i16"] = tensor(new short[] { -7 }),
            ["i8"] = tensor(new sbyte[] { -8, 8 }),
            ["u8"] = tensor(new byte[] { 200 }),
            ["bool"] = tensor(new[] { true, false }),
            ["scalar"] = tensor(2.5f),
            ["empty"] = zeros(0, 4),
            ["param"] = randn(2, 2).requires_grad_(true), // a trainable weight saves like any other tensor
        };
        string path = dir.File("rt.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["k"] = "v ü" });

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("v ü", reader.Metadata["k"]);
        Assert.Equal(tensors.Count, reader.Tensors.Count);
        foreach (var (name, expected) in tensors)
        {
            var actual = reader.ReadTensor(name);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.bytes.SequenceEqual(actual.bytes), name); // bit-exact
        }
    }

    [Fact]
    public void NonContiguousAndOffsetViewsAreWrittenByValue()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        using Scalar stop = 12.ToScalar();
        var m = arange(Scalars.Zero, stop, Scalars.One, ScalarType.Float32).reshape(3, 4); // (3, 4)
        var transposed = m.t(); // (4, 3), non-contiguous
        var row = m[1]; // (4), contiguous view at storage offset 4
        string path = dir.File("views.safetensors");
        SafetensorsWriter.Write(path, [Kv("t", transposed), Kv("row", row)]);

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal([0f, 4f, 8f, 1f, 5f, 9f, 2f, 6f, 10f, 3f, 7f, 11f], reader.ReadTensor("t").data<float>().ToArray());
        Assert.Equal([4f, 5f, 6f, 7f], reader.ReadTensor("row").data<float>().ToArray());
    }

    [Fact]
    public void BadTensorSetLeavesExistingFileIntactAndNoTempFile()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        string path = dir.File("keep.safetensors");
        SafetensorsWriter.Write(path, [Kv("w", ones(2))]);
        byte[] before = File.ReadAllBytes(path);

        var duplicate = Assert.Throws<LoraLabException>(() =>
            SafetensorsWriter.Write(path, [Kv("a", ones(1)), Kv("a", zeros(1))]));
        Assert.Contains("'a'", duplicate.Message);
        Assert.Contains(path, duplicate.Message);

        var complex = Assert.Throws<LoraLabException>(() =>
            SafetensorsWriter.Write(path, [Kv("ok", ones(1)), Kv("c", zeros(2, dtype: ScalarType.ComplexFloat32))]));
        Assert.Contains("'c'", complex.Message);

        Assert.Throws<LoraLabException>(() => SafetensorsWriter.Write(path, [Kv("__metadata__", ones(1))]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void FailedRenameRemovesTheTempFile()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        string target = dir.File("is-a-directory.safetensors");
        Directory.CreateDirectory(target); // File.Move over a directory fails after the data is written

        var e = Assert.Throws<LoraLabException>(() => SafetensorsWriter.Write(target, [Kv("w", ones(4))]));
        Assert.Contains(target, e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ReaderIgnoresUnknownEntryFieldsLikeTheReference()
    {
        using var dir = new TempDir();
        string path = Write(dir.File("extra.safetensors"), "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"note\":\"x\"}}", [5]);
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal((byte)5, reader.ReadTensor("w").item<byte>());
    }
}
