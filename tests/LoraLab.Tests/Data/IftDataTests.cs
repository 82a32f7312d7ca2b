using System.Text;
using System.Text.Json;
using LoraLab.Data;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Data;

public class IftDataTests
{
    private static readonly ByteTestTokenizer Tok = new();

    private static IftFormat Plain => IftFormat.Create(null, "q", "a", null);

    [Fact]
    public void MasksPromptAndKeepsResponseAndEos()
    {
        using var dir = new TempDir();
        string path = dir.File("t.jsonl");
        File.WriteAllText(path, "{\"q\": \"hi\", \"a\": \"yo\"}\n");
        var ds = new IftDataset([path], Tok, Plain, seqLen: 64);
        // s = BOS h i \n | y o EOS  (prompt length 4); input = s[0..6), labels = s[1..7) with the 3 prompt targets ignored.
        var (x, y) = ds.GetSample(0);
        Assert.Equal([1L, 'h' + 3, 'i' + 3, '\n' + 3, 'y' + 3, 'o' + 3], x);
        Assert.Equal([-100L, -100, -100, 'y' + 3, 'o' + 3, 2], y);
        Assert.Equal(4, ds.PromptLength(0));
    }

    [Fact]
    public void AlpacaTemplateAndPresets()
    {
        var f = IftFormat.Create("metamathqa", null, null, "alpaca");
        Assert.Equal(("query", "response"), (f.PromptField, f.ResponseField));
        Assert.EndsWith("### Instruction:\nQ\n\n### Response:\n", f.RenderPrompt("Q"));
        Assert.Equal(("instruction", "response"), (IftFormat.Create("magicoder", null, null, null).PromptField, "response"));
        var g = IftFormat.Create("gsm8k", null, "solution", "Question: {prompt}\nAnswer:");
        Assert.Equal(("question", "solution"), (g.PromptField, g.ResponseField));
        Assert.Contains("unknown preset 'mmlu'", Assert.Throws<LoraLabException>(() => IftFormat.Create("mmlu", null, null, null)).Message);
        Assert.Contains("{prompt}", Assert.Throws<LoraLabException>(() => IftFormat.Create("gsm8k", null, null, "Q: A:")).Message);
    }

    [Fact]
    public void TruncatesLongRowsAndDropsRowsWithoutResponse()
    {
        using var dir = new TempDir();
        string path = dir.File("t.jsonl");
        File.WriteAllText(path, "{\"q\": \"a\", \"a\": \"bcdefgh\"}\n{\"q\": \"abcdefgh\", \"a\": \"z\"}\n{\"q\": \"a\", \"a\": \"b\"}\n");
        var ds = new IftDataset([path], Tok, Plain, seqLen: 5);
        // Row 1: BOS a \n b c d e f g h EOS = 11 tokens > 6 → cut to 6: input BOS a \n b c, labels - - b c d.
        // Row 2: prompt BOS abcdefgh \n = 10 tokens ≥ 6 → dropped. Row 3 fits (5 tokens).
        Assert.Equal(2, ds.Count);
        Assert.Equal(1, ds.Truncated);
        Assert.Equal(1, ds.DroppedPromptTooLong);
        var (x, y) = ds.GetSample(0);
        Assert.Equal([1L, 'a' + 3, '\n' + 3, 'b' + 3, 'c' + 3], x);
        Assert.Equal([-100L, -100, 'b' + 3, 'c' + 3, 'd' + 3], y);
        Assert.Contains("truncated to seq_len 5: 1", ds.Summary());
    }

    [Theory]
    [InlineData("{\"q\": \"x\"}", "2: field 'a' is missing")]
    [InlineData("{\"q\": \"x\", \"a\": 3}", "2: field 'a' is a JSON Number, expected a string")]
    [InlineData("{\"q\": \"x\", \"a\": ", "2: invalid JSON")]
    [InlineData("[1, 2]", "2: row is a JSON Array")]
    public void BadRowNamesFileLineAndField(string badLine, string expected)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.jsonl");
        File.WriteAllText(path, "{\"q\": \"x\", \"a\": \"y\"}\n" + badLine + "\n{\"q\": \"x\", \"a\": \"y\"}\n");
        var ex = Assert.Throws<LoraLabException>(() => new IftDataset([path], Tok, Plain, 32));
        Assert.Contains($"{path}:{expected}", ex.Message);
        Assert.Contains("skip_bad_rows", ex.Message);
        var skipped = new IftDataset([path], Tok, Plain, 32, skipBadRows: true);
        Assert.Equal(2, skipped.Count);
        Assert.Equal(1, skipped.BadRows);
        Assert.Contains("bad rows skipped: 1", skipped.Summary());
    }

    [SkippableFact]
    public void Gsm8kTrainMasksEveryRowCorrectly()
    {
        string path = SharedFiles.Require(SharedFiles.Gsm8kTrain);
        const int seqLen = 512;
        var ds = new IftDataset([path], Tok, IftFormat.Create("gsm8k", null, null, null), seqLen);
        Assert.Equal(7473, ds.Rows);
        Assert.Equal(0, ds.BadRows);

        // Independent reference: parse the file again and compute the byte-level token counts by hand.
        var rows = File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (Q: e.GetProperty("question").GetString()!, A: e.GetProperty("answer").GetString()!)).ToList();
        int expectedTruncated = 0, expectedDropped = 0, sample = 0;
        foreach (var (q, a) in rows)
        {
            int promptLen = 1 + Encoding.UTF8.GetByteCount(q + "\n");
            int total = promptLen + Encoding.UTF8.GetByteCount(a) + 1;
            if (promptLen >= seqLen + 1)
            {
                expectedDropped++;
                continue;
            }
            if (total > seqLen + 1) expectedTruncated++;
            var (x, y) = ds.GetSample(sample++);
            Assert.Equal(Math.Min(total, seqLen + 1) - 1, x.Length);
            Assert.All(y.Take(promptLen - 1), l => Assert.Equal(-100, l));
            var target = y.Skip(promptLen - 1).Select(l => (int)l).ToList();
            if (total <= seqLen + 1)
            {
                Assert.Equal(2, target[^1]); // EOS is a target
                Assert.Equal(a, Tok.Decode(target));
            }
        }
        Assert.Equal(7473 - expectedDropped, ds.Count);
        Assert.Equal(expectedDropped, ds.DroppedPromptTooLong);
        Assert.Equal(expectedTruncated, ds.Truncated);
        Assert.True(expectedTruncated > 0); // seq_len 512 exercises truncation on real rows
        var (x0, _) = ds.GetSample(0);
        Assert.Equal(rows[0].Q + "\n" + rows[0].A, Tok.Decode(x0.Select(v => (int)v).ToList()));
    }
}
