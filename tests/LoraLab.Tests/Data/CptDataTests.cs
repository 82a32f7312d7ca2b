using System.Text;
using LoraLab.Data;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Data;

public class CptDataTests
{
    private static readonly ByteTestTokenizer Tok = new();

    [Fact]
    public void SplitsDocumentsOnMarkerOrBlankLines()
    {
        Assert.Equal(["one\ntwo", "three"], CptDocumentReader.SplitText("one\ntwo\n<|endoftext|>\nthree\n<|endoftext|>\n"));
        Assert.Equal(["a b", "c\nd", "e"], CptDocumentReader.SplitText("a b\n\nc\nd\n \n\n\ne\n"));
    }

    [Fact]
    public void CacheHasTheDocumentedLayoutAndTokens()
    {
        using var dir = new TempDir();
        string src = dir.File("c.txt");
        File.WriteAllText(src, "ab<|endoftext|>c\n");
        string cachePath = dir.File("cache/c.tokens");
        using (var cache = TokenCache.BuildOrOpen([src], Tok, cachePath))
        {
            Assert.True(cache.WasBuilt);
            Assert.Equal(7, cache.Count); // [BOS a b EOS] [BOS c EOS]
            Assert.Equal(2, cache.Documents);
            var all = new int[7];
            cache.Read(0, all);
            Assert.Equal([1, 'a' + 3, 'b' + 3, 2, 1, 'c' + 3, 2], all);
        }
        byte[] bytes = File.ReadAllBytes(cachePath);
        Assert.Equal(64 + 7 * 4, bytes.Length);
        Assert.Equal("LLTOKENS", Encoding.ASCII.GetString(bytes, 0, 8));
        Assert.Equal([1, 0, 0, 0], bytes[8..12]); // version 1
        Assert.Equal([1, 0, 0, 0], bytes[12..16]); // dtype int32
        Assert.Equal([7, 0, 0, 0, 0, 0, 0, 0], bytes[16..24]); // count
        Assert.Equal([2, 0, 0, 0, 0, 0, 0, 0], bytes[24..32]); // documents
        Assert.Equal([100, 0, 0, 0], bytes[(64 + 4)..(64 + 8)]); // 'a' (97) + 3 as int32 LE
    }

    [Fact]
    public void StaleCacheIsRebuiltAndFreshOneReused()
    {
        using var dir = new TempDir();
        string src = dir.File("c.txt");
        string cachePath = dir.File("c.tokens");
        File.WriteAllText(src, "abc");
        TokenCache.BuildOrOpen([src], Tok, cachePath).Dispose();
        using (var again = TokenCache.BuildOrOpen([src], Tok, cachePath)) Assert.False(again.WasBuilt);
        File.WriteAllText(src, "abcd");
        using (var rebuilt = TokenCache.BuildOrOpen([src], Tok, cachePath))
        {
            Assert.True(rebuilt.WasBuilt);
            Assert.Equal(6, rebuilt.Count);
        }
        using (var otherField = TokenCache.BuildOrOpen([src], Tok, cachePath, textField: "content")) Assert.True(otherField.WasBuilt);
    }

    [Fact]
    public void CorruptCacheIsAUserError()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.tokens");
        File.WriteAllBytes(path, new byte[80]);
        var ex = Assert.Throws<LoraLabException>(() => TokenCache.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("bad magic", ex.Message);
    }

    [Fact]
    public void JsonlSourcesUseTheTextFieldAndReportBadRows()
    {
        using var dir = new TempDir();
        string src = dir.File("d.jsonl");
        File.WriteAllText(src, "{\"text\": \"hi\"}\n{\"body\": \"x\"}\n");
        var ex = Assert.Throws<LoraLabException>(() => TokenCache.BuildOrOpen([src], Tok, dir.File("d.tokens")));
        Assert.Contains($"{src}:2: field 'text' is missing", ex.Message);
        using var cache = TokenCache.BuildOrOpen([src], Tok, dir.File("d.tokens"), skipBadRows: true);
        Assert.Equal(4, cache.Count); // BOS h i EOS
    }

    [Fact]
    public void WindowsOverlapByOneTokenAndShiftLabels()
    {
        using var dir = new TempDir();
        string src = dir.File("w.txt");
        File.WriteAllText(src, "abcdefgh"); // tokens: 1, a..h, 2 → 10 tokens
        using var cache = TokenCache.BuildOrOpen([src], Tok, dir.File("w.tokens"));
        var ds = new CptDataset(cache, seqLen: 4);
        Assert.Equal(2, ds.Count); // (10 − 1) / 4
        var (x0, y0) = ds.GetSample(0);
        Assert.Equal([1L, 'a' + 3, 'b' + 3, 'c' + 3], x0);
        Assert.Equal(['a' + 3L, 'b' + 3, 'c' + 3, 'd' + 3], y0);
        var (x1, y1) = ds.GetSample(1);
        Assert.Equal(['d' + 3L, 'e' + 3, 'f' + 3, 'g' + 3], x1);
        Assert.Equal(['e' + 3L, 'f' + 3, 'g' + 3, 'h' + 3], y1);
        Assert.Contains("fewer than one window", Assert.Throws<LoraLabException>(() => new CptDataset(cache, 10)).Message);
    }

    [SkippableFact]
    public void TinyStoriesCacheHoldsEveryDocument()
    {
        string src = SharedFiles.Require(SharedFiles.TinyStories);
        string text = File.ReadAllText(src);
        // Independent count: the non-blank pieces between markers, and UTF-8 bytes of the trimmed pieces.
        var pieces = text.Replace("\r\n", "\n").Split("<|endoftext|>").Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
        long expectedTokens = pieces.Sum(p => (long)Encoding.UTF8.GetByteCount(p) + 2);
        using var dir = new TempDir();
        using var cache = TokenCache.BuildOrOpen([src], Tok, dir.File("ts.tokens"));
        Assert.Equal(pieces.Count, cache.Documents);
        Assert.Equal(expectedTokens, cache.Count);
        var ds = new CptDataset(cache, 256);
        Assert.Equal((int)((expectedTokens - 1) / 256), ds.Count);
    }
}
