using System.IO.Compression;
using System.Text;
using LoraLab.Evaluation.Data;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Data;

public class JsonlReaderTests
{
    [Fact]
    public void ReadsRowsKeepingLineNumbersAcrossBlankLines()
    {
        using var dir = new TempDir();
        string path = dir.File("d.jsonl");
        File.WriteAllText(path, "{\"a\": \"x\", \"n\": 3}\n\n{\"a\": \"y\", \"n\": \"4\"}\n");
        var rows = DatasetReader.ReadJsonl(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows[0].Line);
        Assert.Equal(3, rows[1].Line);
        Assert.Equal("y", rows[1].GetString("a"));
        Assert.Equal(3, rows[0].GetIntOrIntString("n"));
        Assert.Equal(4, rows[1].GetIntOrIntString("n"));
    }

    [Fact]
    public void ReadsGzip()
    {
        using var dir = new TempDir();
        string path = dir.File("d.jsonl.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes("{\"task_id\": \"T/0\"}\n{\"task_id\": \"T/1\"}\n"));
        var rows = DatasetReader.Read(path);
        Assert.Equal(["T/0", "T/1"], rows.Select(r => r.GetString("task_id")));
    }

    [Fact]
    public void InvalidJsonNamesFileAndLine()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.jsonl");
        File.WriteAllText(path, "{\"a\": 1}\n{\"a\": 2}\n{\"a\": \n");
        var e = Assert.Throws<LoraLabException>(() => DatasetReader.ReadJsonl(path));
        Assert.StartsWith($"{path}:3: invalid JSON", e.Message);
    }

    [Fact]
    public void NonObjectLineIsRejected()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.jsonl");
        File.WriteAllText(path, "[1, 2]\n");
        var e = Assert.Throws<LoraLabException>(() => DatasetReader.ReadJsonl(path));
        Assert.StartsWith($"{path}:1: expected a JSON object", e.Message);
    }

    [Fact]
    public void MissingAndWronglyTypedFieldsNameFileLineAndField()
    {
        using var dir = new TempDir();
        string path = dir.File("d.jsonl");
        File.WriteAllText(path, "{\"question\": \"q\"}\n{\"question\": 7, \"answer\": \"#### 1\"}\n");
        var rows = DatasetReader.ReadJsonl(path);
        var missing = Assert.Throws<LoraLabException>(() => rows[0].GetString("answer"));
        Assert.StartsWith($"{path}:1: field 'answer' is missing", missing.Message);
        var wrong = Assert.Throws<LoraLabException>(() => rows[1].GetString("question"));
        Assert.StartsWith($"{path}:2: field 'question' must be a string, got a number", wrong.Message);
        var notInt = Assert.Throws<LoraLabException>(() => rows[1].GetIntOrIntString("answer"));
        Assert.Contains("field 'answer' must be an integer", notInt.Message);
    }

    [Fact]
    public void UnknownExtensionIsAUserError()
    {
        var e = Assert.Throws<LoraLabException>(() => DatasetReader.Read("/tmp/x.csv"));
        Assert.Contains("unknown dataset format", e.Message);
    }
}
