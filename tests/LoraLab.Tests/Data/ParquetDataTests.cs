using System.Text.Json;
using LoraLab.Data;
using LoraLab.Tests.TestSupport;
using Parquet.Schema;
using Parquet.Serialization;

namespace LoraLab.Tests.Data;

/// <summary>
/// Training data from Parquet (Hugging Face datasets exports), written here with Parquet.Net: the documents, rows and
/// tokens must equal those of the same data given as JSONL.
/// </summary>
public class ParquetDataTests
{
    private static readonly ByteTestTokenizer Tok = new();

    private static readonly string[] Stories = ["Once upon a time, Lily found a ball.", "  Tom ran home.\n", "",
        "The sun was hot. They swam in the lake.", "Mia had a cat named Tim."];

    private static readonly (string Q, string A)[] Pairs = [("What is 2+3?", "5"), ("Name a fruit.", "An apple."), ("Say hi", "hi!"),
        ("Count to three", "1 2 3")];

    private static void WriteParquet(string path, ParquetSchema schema, IEnumerable<IDictionary<string, object?>> rows, int rowGroupSize = 2)
    {
        using var stream = File.Create(path);
        ParquetSerializer.SerializeUntypedAsync(rows.ToList(), schema, stream,
            new Parquet.ParquetOptions { RowGroupSize = rowGroupSize }).GetAwaiter().GetResult();
    }

    private static string WriteJsonl(string path, IEnumerable<Dictionary<string, object?>> rows)
    {
        File.WriteAllLines(path, rows.Select(r => JsonSerializer.Serialize(r)));
        return path;
    }

    private static Dictionary<string, object?> Story(int i) => new() { ["id"] = (long)i, ["text"] = Stories[i] };

    private static int[] AllTokens(TokenCache cache)
    {
        var tokens = new int[cache.Count];
        cache.Read(0, tokens);
        return tokens;
    }

    [Fact]
    public void CptShardsInADirectoryOrByPatternGiveTheJsonlTokens()
    {
        using var dir = new TempDir();
        var schema = new ParquetSchema(new DataField<long>("id"), new DataField<string>("text"));
        Directory.CreateDirectory(dir.File("shards"));
        // two shards in HF naming, the first with two row groups (row numbers must run across them)
        WriteParquet(dir.File("shards/train-00000-of-00002.parquet"), schema, Enumerable.Range(0, 3).Select(Story));
        WriteParquet(dir.File("shards/train-00001-of-00002.parquet"), schema, Enumerable.Range(3, 2).Select(Story));
        string jsonl = WriteJsonl(dir.File("train.jsonl"), Enumerable.Range(0, 5).Select(Story));

        var byDir = DataFiles.Expand([dir.File("shards")]);
        Assert.Equal([dir.File("shards/train-00000-of-00002.parquet"), dir.File("shards/train-00001-of-00002.parquet")], byDir);
        Assert.Equal(byDir, DataFiles.Expand([dir.File("shards/train-*.parquet")]));

        var docs = byDir.SelectMany(f => CptDocumentReader.Read(f)).ToList();
        Assert.Equal(["Once upon a time, Lily found a ball.", "Tom ran home.", "The sun was hot. They swam in the lake.", "Mia had a cat named Tim."], docs);
        Assert.Equal(CptDocumentReader.Read(jsonl).ToList(), docs);

        using var fromParquet = TokenCache.BuildOrOpen(byDir, Tok, dir.File("p.tokens"));
        using var fromJsonl = TokenCache.BuildOrOpen([jsonl], Tok, dir.File("j.tokens"));
        Assert.Equal(4, fromParquet.Documents);
        Assert.Equal(AllTokens(fromJsonl), AllTokens(fromParquet));
        Assert.Equal(1, AllTokens(fromParquet)[0]); // BOS, then the bytes of the first story
        using var reopened = TokenCache.BuildOrOpen(byDir, Tok, dir.File("p.tokens"));
        Assert.False(reopened.WasBuilt);
    }

    [Fact]
    public void IftRowsFromParquetEqualTheJsonlSamples()
    {
        using var dir = new TempDir();
        var schema = new ParquetSchema(new DataField<string>("query"), new DataField<string>("response"), new DataField<string>("type"));
        var rows = Pairs.Select(p => new Dictionary<string, object?> { ["query"] = p.Q, ["response"] = p.A, ["type"] = "x" }).ToList();
        string parquet = dir.File("train.parquet");
        WriteParquet(parquet, schema, rows, rowGroupSize: 3);
        string jsonl = WriteJsonl(dir.File("train.jsonl"), rows);
        var format = IftFormat.Create("metamathqa", null, null, "alpaca");

        var p = new IftDataset([parquet], Tok, format, seqLen: 256);
        var j = new IftDataset([jsonl], Tok, format, seqLen: 256);

        Assert.Equal(4, p.Count);
        Assert.Equal(j.Count, p.Count);
        for (int i = 0; i < p.Count; i++)
        {
            Assert.Equal(j.GetSample(i).InputIds, p.GetSample(i).InputIds);
            Assert.Equal(j.GetSample(i).Labels, p.GetSample(i).Labels);
            Assert.Equal(j.PromptLength(i), p.PromptLength(i));
        }
        // the response of row 0 ("5") and EOS are the only targets
        Assert.Equal(['5' + 3L, 2L], p.GetSample(0).Labels.Where(l => l != -100));
    }

    [Fact]
    public void MissingOrNonStringColumnNamesFileRowAndField()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.parquet");
        WriteParquet(path, new ParquetSchema(new DataField<long>("text"), new DataField<string>("body")),
            [new Dictionary<string, object?> { ["text"] = 1L, ["body"] = "a" }]);

        var wrongType = Assert.Throws<LoraLabException>(() => CptDocumentReader.Read(path).ToList());
        Assert.Contains($"{path}:1: field 'text' is a Int64 column, expected a string column", wrongType.Message);
        var missing = Assert.Throws<LoraLabException>(() => CptDocumentReader.Read(path, textField: "content").ToList());
        Assert.Contains($"{path}:1: field 'content' is missing (the file's columns: text, body)", missing.Message);
        var ift = Assert.Throws<LoraLabException>(() => new IftDataset([path], Tok, IftFormat.Create(null, "body", "answer", null), 32));
        Assert.Contains($"{path}:1: field 'answer' is missing", ift.Message);
        File.WriteAllText(dir.File("junk.parquet"), "not parquet");
        Assert.Contains("junk.parquet: cannot read as Parquet",
            Assert.Throws<LoraLabException>(() => CptDocumentReader.Read(dir.File("junk.parquet")).ToList()).Message);
    }

    [Fact]
    public void NullValueIsABadRowThatCanBeSkipped()
    {
        using var dir = new TempDir();
        string path = dir.File("nulls.parquet");
        var schema = new ParquetSchema(new DataField<string>("q"), new DataField<string>("a"));
        WriteParquet(path, schema,
        [
            new Dictionary<string, object?> { ["q"] = "one", ["a"] = "1" },
            new Dictionary<string, object?> { ["q"] = "two", ["a"] = "2" },
            new Dictionary<string, object?> { ["q"] = "three", ["a"] = null },
            new Dictionary<string, object?> { ["q"] = "four", ["a"] = "4" },
        ]);
        var format = IftFormat.Create(null, "q", "a", null);

        var e = Assert.Throws<LoraLabException>(() => new IftDataset([path], Tok, format, 32));
        Assert.Contains($"{path}:3: field 'a' is null, expected a string", e.Message);
        var ds = new IftDataset([path], Tok, format, 32, skipBadRows: true);
        Assert.Equal(3, ds.Count);
        Assert.Equal(1, ds.BadRows);
        Assert.Contains(":3: field 'a' is null", ds.FirstBadRow);
    }

    [Fact]
    public void PatternWithoutMatchesIsAUserError()
    {
        using var dir = new TempDir();
        Assert.Contains("no file matches", Assert.Throws<LoraLabException>(() => DataFiles.Expand([dir.File("train-*.parquet")])).Message);
        Assert.Contains("holds no", Assert.Throws<LoraLabException>(() => DataFiles.Expand([dir.Path])).Message);
    }
}
