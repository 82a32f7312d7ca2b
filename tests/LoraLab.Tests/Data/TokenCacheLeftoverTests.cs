using LoraLab.Data;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Data;

/// <summary>
/// The token cache's temporary file ("NAME.tokens.tmp-PID") never outlives the build that wrote it: a failed build
/// removes it, and the next open removes one left by a killed process (one of a live process is another build in
/// progress and is kept). Problems with the data name the data file, not the cache.
/// </summary>
public class TokenCacheLeftoverTests
{
    private static readonly ByteTestTokenizer Tok = new();

    private static string[] Temporaries(TempDir dir) => Directory.GetFiles(dir.Path, "*.tmp-*", SearchOption.AllDirectories);

    [Fact]
    public void EmptyDataFileIsNamed()
    {
        using var dir = new TempDir();
        string good = dir.File("good.txt"), empty = dir.File("empty.txt");
        File.WriteAllText(good, "some text");
        File.WriteAllText(empty, "\n  \n");
        var e = Assert.Throws<LoraLabException>(() => TokenCache.BuildOrOpen([good, empty], Tok, dir.File("cache/data.tokens")));
        Assert.StartsWith(empty + ":", e.Message);
        Assert.DoesNotContain("data.tokens", e.Message);
        Assert.Empty(Temporaries(dir));
    }

    [Fact]
    public void DataErrorLeavesNoTemporary()
    {
        using var dir = new TempDir();
        string src = dir.File("d.jsonl");
        File.WriteAllText(src, "{\"text\": \"a\"}\n{\"text\": 5}\n");
        var e = Assert.Throws<LoraLabException>(() => TokenCache.BuildOrOpen([src], Tok, dir.File("cache/data.tokens")));
        Assert.StartsWith(src, e.Message);
        Assert.Empty(Temporaries(dir));
    }

    [Fact]
    public void TemporaryOfAKilledBuildIsRemovedOnTheNextOpenEvenWhenTheCacheIsValid()
    {
        using var dir = new TempDir();
        string src = dir.File("c.txt");
        File.WriteAllText(src, "abc");
        string cachePath = dir.File("cache/data.tokens");
        TokenCache.BuildOrOpen([src], Tok, cachePath).Dispose();
        string dead = cachePath + ".tmp-" + DeadPid();
        string live = cachePath + ".tmp-1"; // init is always running: another build in progress
        File.WriteAllBytes(dead, new byte[100]);
        File.WriteAllBytes(live, new byte[100]);
        using (var reopened = TokenCache.BuildOrOpen([src], Tok, cachePath)) Assert.False(reopened.WasBuilt);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
    }

    private static int DeadPid()
    {
        for (int pid = 4_000_000; ; pid--)
            if (!Directory.Exists("/proc/" + pid)) return pid;
    }
}
