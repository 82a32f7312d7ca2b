using Xunit.Abstractions;
using LoraLab.Checkpoints;
using LoraLab.Tests.TestSupport;
using static LoraLab.Tests.Checkpoints.HandMadeSafetensors;

namespace LoraLab.Tests.Checkpoints;

/// <summary>Malformed files, laid out by hand: every one must be refused at Open with a message naming the file (and tensor).</summary>
public class SafetensorsCorruptionTests(ITestOutputHelper output)
{
    private static string Entry(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    /// <summary>Case name → (file bytes, text the message must contain besides the file name).</summary>
    public static TheoryData<string> Cases => new(CaseTable.Keys);

    private static readonly Dictionary<string, Func<(byte[] File, string[] Expect)>> CaseTable = new()
    {
        ["shorter than 8 bytes"] = () => (new byte[] { 1, 0, 0, 0, 0 }, ["5 bytes"]),
        ["header length beyond file"] = () =>
        {
            var file = Build("{}", []);
            file[0] = 200;
            return (file, ["header length 200"]);
        },
        ["header length over 100 MB limit"] = () => (Concat(U64(200_000_000), new byte[16]), ["200000000", "limit"]),
        ["header not JSON"] = () => (Build("{not json", []), ["not valid JSON"]),
        ["header not UTF-8"] = () => (Concat(U64(4), [(byte)'{', 0xFF, 0xFE, (byte)'}']), ["UTF-8"]),
        ["header JSON not an object"] = () => (Build("[1,2]   ", []), ["JSON object"]),
        ["duplicate tensor key"] = () => (Build("{" + Entry("w", "U8", "[1]", "[0,1]") + "," + Entry("w", "U8", "[1]", "[1,2]") + "}", [1, 2]), ["'w'",
            "twice"]),
        ["unknown dtype"] = () => (Build("{" + Entry("w", "F8_E4M3", "[1]", "[0,1]") + "}", [1]), ["'w'", "F8_E4M3"]),
        ["dtype not a string"] = () => (Build("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), ["'w'", "dtype"]),
        ["shape x dtype != byte range"] = () => (Build("{" + Entry("w", "F32", "[2,3]", "[0,20]") + "}", new byte[20]), ["'w'", "24 bytes", "span 20"]),
        ["shape byte size overflows"] = () => (Build("{" + Entry("w", "F32", "[4294967296,4294967296]", "[0,4]") + "}", new byte[4]), ["'w'", "overflow"]),
        ["negative shape"] = () => (Build("{" + Entry("w", "F32", "[-1,2]", "[0,8]") + "}", new byte[8]), ["'w'", "negative"]),
        ["non-integer shape"] = () => (Build("{" + Entry("w", "F32", "[1.5]", "[0,4]") + "}", new byte[4]), ["'w'", "not an integer"]),
        ["missing data_offsets"] = () => (Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), ["'w'", "data_offsets"]),
        ["missing shape"] = () => (Build("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), ["'w'", "shape"]),
        ["data_offsets not two ints"] = () => (Build("{" + Entry("w", "F32", "[1]", "[0,4,8]") + "}", new byte[8]), ["'w'", "data_offsets"]),
        ["begin > end"] = () => (Build("{" + Entry("w", "U8", "[0]", "[4,0]") + "}", new byte[4]), ["'w'", "begin > end"]),
        ["offsets outside data section"] = () => (Build("{" + Entry("w", "F32", "[2]", "[4,12]") + "}", new byte[8]), ["'w'", "outside the data section"]),
        ["overlapping tensors"] = () => (Build("{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("b", "F32", "[2]", "[4,12]") + "}", new byte[12]),
            ["'a'", "'b'", "overlaps"]),
        ["hole in data section"] = () => (Build("{" + Entry("a", "F32", "[1]", "[0,4]") + "," + Entry("b", "F32", "[1]", "[8,12]") + "}",
            new byte[12]), ["'b'", "hole"]),
        ["trailing bytes after last tensor"] = () => (Build("{" + Entry("a", "F32", "[1]", "[0,4]") + "}", new byte[8]), ["data section has 8 bytes"]),
        ["truncated data section"] = () =>
        {
            var full = Build("{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("b", "F32", "[4]", "[8,24]") + "}", new byte[24]);
            return (full[..^5], ["'b'", "outside the data section"]);
        },
        ["non-string metadata value"] = () => (Build("{\"__metadata__\":{\"format\":\"pt\",\"step\":7}}", []), ["__metadata__", "'step'", "string"]),
        ["metadata not an object"] = () => (Build("{\"__metadata__\":[\"pt\"]}", []), ["__metadata__"]),
        ["tensor entry not an object"] = () => (Build("{\"w\":[1,2,3]}", []), ["'w'"]),
        ["BOOL byte other than 0/1"] = () => (Build("{" + Entry("m", "BOOL", "[2]", "[0,2]") + "}", [1, 2]), ["'m'", "BOOL"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CorruptFileIsRefusedWithFileAndTensorInMessage(string caseName)
    {
        using var dir = new TempDir();
        var (bytes, expect) = CaseTable[caseName]();
        string path = dir.File("corrupt-case.safetensors");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<LoraLabException>(() =>
        {
            using var reader = SafetensorsReader.Open(path);
            // Bad BOOL bytes are only visible once the data is read.
            foreach (var t in reader.Tensors) reader.ReadTensor(t.Name).Dispose();
        });
        output.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        foreach (string part in expect) Assert.Contains(part, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingFileIsALoraLabError()
    {
        using var dir = new TempDir();
        string path = dir.File("absent.safetensors");
        var e = Assert.Throws<LoraLabException>(() => SafetensorsReader.Open(path));
        Assert.Contains(path, e.Message);
    }
}
