using System.IO.Compression;
using System.Text;
using LoraLab.Data;
using LoraLab.Evaluation.Data;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Tests.Evaluation.HumanEval;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Data;

/// <summary>
/// gzip input is read as Python's gzip module reads it: a stream cut anywhere (inside the deflate data or the
/// 8-byte CRC-32/size trailer) is an error (Python: EOFError), a trailer that does not match is an error
/// (BadGzipFile), concatenated members are read in order, and trailing zero padding is ignored.
/// </summary>
public class GzipReadStreamTests
{
    private static byte[] Rows(int n) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, n).Select(i => $"{{\"task_id\": \"T/{i}\", \"text\": " +
            $"\"{new string((char)('a' + i % 26), 50 + i % 70)}\"}}\n")));

    /// <summary>The gzip file .NET writes for <paramref name="data"/> (one member).</summary>
    internal static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    [Fact]
    public void EveryTruncationIsAnErrorNamingTheFile()
    {
        using var dir = new TempDir();
        byte[] whole = Gzip(Rows(200));
        string path = dir.File("d.jsonl.gz");
        // Every cut point from the header to the last trailer byte (stride keeps the test fast; the tail is exhaustive).
        var cuts = Enumerable.Range(0, whole.Length).Where(c => c % 97 == 0 || c >= whole.Length - 12).ToList();
        foreach (int cut in cuts)
        {
            File.WriteAllBytes(path, whole[..cut]);
            var e = Assert.Throws<LoraLabException>(() => DatasetReader.ReadJsonl(path));
            Assert.StartsWith(path + ":", e.Message);
            Assert.DoesNotContain("\n", e.Message);
        }
        File.WriteAllBytes(path, whole);
        Assert.Equal(200, DatasetReader.ReadJsonl(path).Count);
    }

    [Fact]
    public void MissingTrailerIsTruncation()
    {
        using var dir = new TempDir();
        string path = dir.File("HumanEval.jsonl.gz");
        byte[] whole = Gzip(File.ReadAllBytes(HumanEvalFixture.WriteProblems(dir)));
        File.WriteAllBytes(path, whole[..^8]);
        var e = Assert.Throws<LoraLabException>(() => HumanEvalProblems.Read(path));
        Assert.Contains("truncated", e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Theory]
    [InlineData(-8)] // a CRC-32 byte
    [InlineData(-2)] // a size byte
    public void WrongTrailerIsAnError(int offset)
    {
        using var dir = new TempDir();
        string path = dir.File("d.jsonl.gz");
        byte[] bytes = Gzip(Rows(20));
        bytes[bytes.Length + offset] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<LoraLabException>(() => DatasetReader.ReadJsonl(path));
        Assert.Contains(offset == -8 ? "CRC-32" : "size", e.Message);
    }

    [Fact]
    public void ConcatenatedMembersAndZeroPaddingAreRead()
    {
        using var dir = new TempDir();
        string path = dir.File("d.jsonl.gz");
        File.WriteAllBytes(path, [.. Gzip(Rows(3)), .. Gzip(Rows(5)), 0, 0, 0, 0]);
        Assert.Equal(8, DatasetReader.ReadJsonl(path).Count);
    }

    [Fact]
    public void TrailingGarbageIsAnError()
    {
        using var dir = new TempDir();
        string path = dir.File("d.jsonl.gz");
        File.WriteAllBytes(path, [.. Gzip(Rows(3)), (byte)'x', (byte)'y']);
        var e = Assert.Throws<LoraLabException>(() => DatasetReader.ReadJsonl(path));
        Assert.StartsWith(path + ":", e.Message);
    }

    [Theory]
    [InlineData(0)] // magic
    [InlineData(2)] // compression method
    [InlineData(20)] // inside the deflate data
    public void CorruptGzipNamesTheFaultNotNoProblems(int at)
    {
        using var dir = new TempDir();
        string path = dir.File("HumanEval.jsonl.gz");
        byte[] bytes = Gzip(File.ReadAllBytes(HumanEvalFixture.WriteProblems(dir)));
        bytes[at] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<LoraLabException>(() => HumanEvalProblems.Read(path));
        Assert.DoesNotContain("no problems", e.Message);
        Assert.Contains("gzip", e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void EmptyGzipFileIsAnError()
    {
        using var dir = new TempDir();
        string path = dir.File("HumanEval.jsonl.gz");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<LoraLabException>(() => HumanEvalProblems.Read(path));
        Assert.Contains("gzip", e.Message);
    }
}
